/* Planted bugs, for measuring fuzzers (in the style of Magma, Hazimeh et
 * al., 2020): each is a real class of TCP/IP stack bug, compiled in only
 * with its own switch SF_BUG_<NAME> (CMake: -DSYNFIN_BUGS=NAME[,NAME...]
 * or "all"; ci/bugzoo.sh). Every normal build has none of them, and this
 * header then defines nothing.
 *
 * Each bug carries a canary:
 *   SF_BUG_REACHED(NAME)    the buggy code ran (recorded once per process);
 *   SF_BUG_TRIGGERED(NAME)  its effect happened: the canary records it and
 *                           aborts with "synfin bug NAME triggered", so a
 *                           fuzzer's crash is the trigger (the effect
 *                           itself, a loop without end or a wild copy, is
 *                           not let happen).
 * A canary calls sf_bug_hook(name, "reached" | "triggered") when a harness
 * defines that function, and writes an empty marker file
 * $SYNFIN_BUG_MARKERS/NAME.reached or NAME.triggered when that variable
 * names a directory (ci/bugzoo.sh takes times to trigger from them).
 *
 * The bugs, and what a fuzzer must do to trigger them (tcp_scenario_fuzzer
 * reaches all of them; none is triggered by the seeds from specs/):
 *
 * OPTLEN0_LOOP (tcp_options.c) — the option walk of segments other than
 *   SYNs does not check the length byte for zero, and `i += len` never
 *   advances: a loop without end (Linux CVE-2005-0209-like; many
 *   embedded stacks). Reached: a non-SYN segment with a length-bearing
 *   option. Triggered: one of its options has length 0.
 *
 * SACK_PAST_SND_NXT (tcp_input.c) — only the first SACK block of an option
 *   is checked to end at or before SND.NXT; the others mark unsent data in
 *   the scoreboard and retransmission skips past SND.NXT (Linux
 *   CVE-2019-11478-like scoreboard corruption). Reached: a second (or
 *   later) SACK block on a connection that negotiated SACK. Triggered: such
 *   a block above SND.UNA ends past SND.NXT.
 *
 * URG_PTR_OVERFLOW (tcp_input.c) — the urgent pointer locates the urgent
 *   byte in the receive ring without a bound check (SEG.SEQ + SEG.UP - 1
 *   taken as an offset from the first byte buffered). Reached: a segment
 *   with URG and a pointer in a state that receives data. Triggered: the
 *   offset lies outside the ring (a pointer far beyond the data, or a
 *   segment starting before the bytes still buffered).
 *
 * WSCALE_GT_14 (tcp_input.c) — an active open takes the SYN-ACK's window
 *   scale as it is, without RFC 7323 2.3's limit of 14 (the passive side
 *   was fixed, the active one not). Reached: a SYN-ACK with a shift above
 *   14 in SYN-SENT. Triggered: a later segment's window is shifted by it
 *   (a window of 2^30 or more, or an undefined shift).
 *
 * FRAG_OVERLAP_OVERFLOW (ip_reassembly.c) — an IPv4 fragment overlapping
 *   data already held is trimmed by the end of that data instead of
 *   dropping the datagram (the Teardrop class: the trim assumes the overlap
 *   is at the fragment's front). Reached: a partly overlapping fragment.
 *   Triggered: the trim is longer than the fragment, so the copy length
 *   underflows.
 *
 * SEQ_WRAP_COMPARE (tcp_input.c) — the window test of RFC 9293 3.10.7.4
 *   compares sequence numbers as plain integers. Reached: every
 *   acceptability test. Triggered: the plain and the modular (RFC 1982)
 *   answers differ: the receive window straddles 2^32 (a peer ISN close to
 *   the wrap) or a segment lies across it.
 *
 * FIN_IN_SYN_RECEIVED (tcp_input.c) — a FIN without ACK in SYN-RECEIVED is
 *   processed instead of dropped (RFC 9293 3.10.7.4 fifth: no ACK, drop):
 *   the connection would move to CLOSE-WAIT with its SYN unacknowledged
 *   and never reach the accept queue. Reached: a FIN without ACK arrives
 *   in SYN-RECEIVED. Triggered: it is in order (at RCV.NXT).
 *
 * ZERO_WINDOW_PROBE (tcp_timer.c) — the persist timer's backoff is done as
 *   a 32-bit shift of the RTO (BSD's tcp_setpersist class): after enough
 *   answered probes the interval wraps to a short one and probes flood.
 *   Reached: a zero-window probe is rescheduled. Triggered: the shift
 *   overflows 32 bits (about 15 probes, each answered, so that the
 *   connection is not given up).
 *
 * TS_ECR_RTT (tcp_input.c) — an RTT sample from the echoed timestamp after
 *   a retransmission (RFC 7323 4.2) is taken without checking that TSecr
 *   is not ahead of the clock, so a TSecr from the future gives a sample of
 *   2^31 ticks and more (a "negative" RTT) and an absurd RTO. Reached: a
 *   TS-timed RTT sample while backed off. Triggered: TSecr is ahead of the
 *   stack's TS clock.
 */
#ifndef SF_BUGS_H
#define SF_BUGS_H

#if defined(SF_BUG_OPTLEN0_LOOP) || defined(SF_BUG_SACK_PAST_SND_NXT) ||       \
    defined(SF_BUG_URG_PTR_OVERFLOW) || defined(SF_BUG_WSCALE_GT_14) ||        \
    defined(SF_BUG_FRAG_OVERLAP_OVERFLOW) ||                                   \
    defined(SF_BUG_SEQ_WRAP_COMPARE) || defined(SF_BUG_FIN_IN_SYN_RECEIVED) || \
    defined(SF_BUG_ZERO_WINDOW_PROBE) || defined(SF_BUG_TS_ECR_RTT)
#define SF_BUGS_PLANTED 1

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* A harness may define this to learn of canaries (weak: optional). */
void sf_bug_hook(const char *name, const char *what) __attribute__((weak));

static inline void sf_bug_mark(const char *name, const char *what) {
  if (sf_bug_hook)
    sf_bug_hook(name, what);
  const char *dir = getenv("SYNFIN_BUG_MARKERS");
  if (!dir || !*dir)
    return;
  char path[512];
  snprintf(path, sizeof(path), "%s/%s.%s", dir, name, what);
  int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0)
    close(fd);
}

__attribute__((noreturn)) static inline void sf_bug_trigger(const char *name) {
  sf_bug_mark(name, "triggered");
  char msg[96];
  int n = snprintf(msg, sizeof(msg), "synfin bug %s triggered\n", name);
  if (n > 0 && write(2, msg, (size_t)n) < 0)
    abort();
  abort();
}

#define SF_BUG_REACHED(NAME)                                                   \
  do {                                                                         \
    static int sf_bug_seen_;                                                   \
    if (!sf_bug_seen_) {                                                       \
      sf_bug_seen_ = 1;                                                        \
      sf_bug_mark(#NAME, "reached");                                           \
    }                                                                          \
  } while (0)
#define SF_BUG_TRIGGERED(NAME) sf_bug_trigger(#NAME)

#endif
#endif
