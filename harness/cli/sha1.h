/* SHA-1 (FIPS 180-4), for naming corpus files by their content as OSS-Fuzz
 * and libFuzzer do. Not for anything where collisions matter. */
#ifndef SF_SHA1_H
#define SF_SHA1_H

#include <stddef.h>
#include <stdint.h>

/* The digest of len bytes as 40 lowercase hex digits and a NUL. */
void sf_sha1_hex(const void *data, size_t len, char out[41]);

#endif
