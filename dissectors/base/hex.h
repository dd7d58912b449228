/* hex.h — bytes as lower-case hex text, the one encoder of digests and
 * fingerprints (certificate SHA-256, JA3, TLSA data). */
#ifndef SMTPTLS_HEX_H
#define SMTPTLS_HEX_H

#include <stddef.h>
#include <stdint.h>

static const char hex_digits[] = "0123456789abcdef";

/* Writes the n bytes at p to out as 2n hex digits and a NUL: out must hold
 * 2n + 1 bytes. */
static inline void hex_encode(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex_digits[p[i] >> 4];
		out[2 * i + 1] = hex_digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

#endif
