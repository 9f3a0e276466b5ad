/* Ladder (sequence) diagrams of a run as SVG, written by hand (plain
 * text, no dependency): two lifelines, the stack and the peer; one arrow
 * per packet labelled with its flags, sequence numbers (relative to the
 * first SYN each way), ack, length and time; socket calls and TCP states
 * beside the stack's lifeline; the failing packet in red and, for a failed
 * expectation, the expected packet beside the actual one.
 *
 * Items are drawn in the order they are added, one row each. */
#ifndef SYNFIN_LADDER_H
#define SYNFIN_LADDER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sf_ladder sf_ladder;

/* title: the diagram's heading (a script or input path). NULL: no memory. */
sf_ladder *sf_ladder_new(const char *title);
void sf_ladder_free(sf_ladder *l);

/* A datagram (dir: SF_DIR_IN into the stack, SF_DIR_OUT from it). */
void sf_ladder_packet(sf_ladder *l, uint64_t t_us, int dir, const uint8_t *pkt,
                      size_t len);
/* A socket call and its result, as text, beside the stack. */
void sf_ladder_call(sf_ladder *l, uint64_t t_us, const char *text);
/* A TCP state change, on the stack's lifeline. */
void sf_ladder_state(sf_ladder *l, uint64_t t_us, const char *text);
/* A comment across the diagram (an event of a scenario). */
void sf_ladder_note(sf_ladder *l, uint64_t t_us, const char *text);

/* The packet-th datagram added (0-based) is the one that failed. */
void sf_ladder_mark_packet(sf_ladder *l, size_t packet);
/* What the script expected instead (a line of script text), drawn beside
 * the failing packet, or at the end when no packet came. */
void sf_ladder_expected(sf_ladder *l, int dir, const char *text);
/* The failure, in red under the diagram. */
void sf_ladder_failure(sf_ladder *l, const char *text);

/* Writes the SVG. Returns 0 or -errno. */
int sf_ladder_write(const sf_ladder *l, FILE *f);
int sf_ladder_write_file(const sf_ladder *l, const char *path, char *err,
                         size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
