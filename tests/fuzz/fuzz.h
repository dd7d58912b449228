/* fuzz.h — what the fuzz targets share: libFuzzer's entry point and a check
 * that turns a broken invariant into a crash the fuzzer (or the replay driver)
 * reports with its input.
 */
#ifndef SMTPTLS_FUZZ_H
#define SMTPTLS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* libFuzzer's contract: called once per input, returns 0. Defined by each
 * fuzz_<target>.c; called by libFuzzer or by replay_main.c. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant of the code under test. Bad input must never break one, so a
 * violation is a bug: say which and abort. */
#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant violated: %s\n", __FILE__, __LINE__,     \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* A bounds-checked reader over the fuzzer's input (the input is the fuzzer's
 * control script, not packet data, so running out simply yields zeros). */
struct fuzz_in {
	const uint8_t *p;
	size_t len, off;
};

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	if (in->off >= in->len)
		return 0;
	return in->p[in->off++];
}

static inline uint16_t fuzz_be16(struct fuzz_in *in)
{
	uint16_t hi = fuzz_u8(in);
	return (uint16_t)((hi << 8) | fuzz_u8(in));
}

static inline uint32_t fuzz_be32(struct fuzz_in *in)
{
	uint32_t hi = fuzz_be16(in);
	return (hi << 16) | fuzz_be16(in);
}

static inline size_t fuzz_left(const struct fuzz_in *in)
{
	return in->off < in->len ? in->len - in->off : 0;
}

/* Takes up to n bytes; *got says how many were there. */
static inline const uint8_t *fuzz_bytes(struct fuzz_in *in, size_t n, size_t *got)
{
	const uint8_t *p = in->p + in->off;
	size_t left = fuzz_left(in);
	*got = n < left ? n : left;
	in->off += *got;
	return p;
}

#endif
