/* The entry point every fuzz target defines (libFuzzer's convention; the
 * AFL++ driver and the standalone replay main call it too). */
#ifndef SF_FUZZ_TARGET_H
#define SF_FUZZ_TARGET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
