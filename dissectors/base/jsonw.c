/* jsonw.c — compact JSON output as jansson writes it (RFC 8259 §7 escaping). */
#include "dissectors/base/jsonw.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int jsonw_grow(struct jsonw *w, size_t more)
{
	if (w->failed)
		return -1;
	if (w->len + more + 1 <= w->cap)
		return 0;
	size_t cap = w->cap ? w->cap : 4096;
	while (cap < w->len + more + 1)
		cap *= 2;
	char *b = realloc(w->buf, cap);
	if (!b) {
		w->failed = 1;
		return -1;
	}
	w->buf = b;
	w->cap = cap;
	return 0;
}

/* Length of the UTF-8 sequence starting at p (left bytes available), 0 when
 * it is not one jansson accepts (its utf8_check_first/utf8_check_full: no
 * overlong forms, no surrogates, nothing above U+10FFFF). p[0] >= 0x80. */
static size_t jsonw_utf8_len(const unsigned char *p, size_t left)
{
	unsigned c = p[0];
	size_t k;
	uint32_t v;
	if (c < 0xC2)
		return 0; /* a continuation byte, or an overlong 2-byte form */
	if (c <= 0xDF) {
		k = 2;
		v = c & 0x1F;
	} else if (c <= 0xEF) {
		k = 3;
		v = c & 0x0F;
	} else if (c <= 0xF4) {
		k = 4;
		v = c & 0x07;
	} else {
		return 0;
	}
	if (k > left)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (p[i] & 0x3Fu);
	}
	if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	if ((k == 3 && v < 0x800) || (k == 4 && v < 0x10000))
		return 0;
	return k;
}

/* n bytes of s as a JSON string; -1 (nothing written) when not UTF-8. */
static int jsonw_string(struct jsonw *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF"; /* as jansson writes them */
	/* worst case every byte becomes \u00XX */
	if (jsonw_grow(w, n * 6 + 2) != 0)
		return 0;
	char *o = w->buf + w->len;
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	*o++ = '"';
	while (p < end) {
		/* eight plain bytes at a time: none below 0x20, none '"' or '\\',
		 * none above 0x7F (the usual text of a record is all plain) */
		while (end - p >= 8) {
			uint64_t x;
			memcpy(&x, p, 8);
			const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
			uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
			uint64_t special = (x | ((x - ones * 0x20) & ~x) | ((q - ones) & ~q) |
					    ((b - ones) & ~b)) &
					   highs;
			if (special)
				break;
			memcpy(o, p, 8);
			o += 8;
			p += 8;
		}
		if (p == end)
			break;
		unsigned c = *p;
		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			*o++ = (char)c;
			p++;
			continue;
		}
		if (c >= 0x80) {
			size_t k = jsonw_utf8_len(p, (size_t)(end - p));
			if (!k)
				return -1; /* w->len is unchanged: nothing was written */
			memcpy(o, p, k);
			o += k;
			p += k;
			continue;
		}
		*o++ = '\\';
		switch (c) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '\b': *o++ = 'b'; break;
		case '\f': *o++ = 'f'; break;
		case '\n': *o++ = 'n'; break;
		case '\r': *o++ = 'r'; break;
		case '\t': *o++ = 't'; break;
		default:
			*o++ = 'u';
			*o++ = '0';
			*o++ = '0';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
		p++;
	}
	*o++ = '"';
	w->len = (size_t)(o - w->buf);
	return 0;
}

int jsonw_str(struct jsonw *w, const char *s, size_t max)
{
	if (!s)
		return -1;
	return jsonw_string(w, s, strnlen(s, max));
}

void jsonw_int(struct jsonw *w, int64_t v)
{
	char b[24];
	char *e = b + sizeof(b), *p = e;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	jsonw_raw(w, p, (size_t)(e - p));
}

/* As jansson's jsonp_dtostr(): "%.15g", a ".0" when the text would read as
 * an integer, no '+' and no leading zeros in the exponent. */
void jsonw_real(struct jsonw *w, double v)
{
	char b[40];
	if (!isfinite(v))
		return;
	int n = snprintf(b, sizeof(b), "%.15g", v);
	if (n < 0 || (size_t)n >= sizeof(b) - 3)
		return;
	if (!strchr(b, '.') && !strchr(b, 'e')) {
		memcpy(b + n, ".0", 3);
		n += 2;
	}
	char *e = strchr(b, 'e');
	if (e) {
		char *d = e + 1, *s = e + 1;
		if (*s == '+')
			s++;
		else if (*s == '-')
			*d++ = *s++;
		while (*s == '0' && s[1])
			s++;
		memmove(d, s, strlen(s) + 1);
		n = (int)strlen(b);
	}
	jsonw_raw(w, b, (size_t)n);
}

/* For 100 <= us < 10^15, us / 1e6 has at most 15 significant digits and the
 * double nearest to it is within 2^-53 of it (relative), far less than half
 * a unit of the 15th digit: "%.15g" prints exactly its decimal digits, in
 * fixed notation (exponent -4 to 8), trailing zeros dropped. Smaller values
 * take the exponent form, larger ones need real rounding: printf does those. */
void jsonw_micros(struct jsonw *w, uint64_t us)
{
	if (us < 100 || us >= 1000000000000000ull) {
		jsonw_real(w, (double)us / 1e6);
		return;
	}
	char b[32];
	char *e = b + 16, *p = e;
	uint64_t s = us / 1000000u;
	uint32_t f = (uint32_t)(us % 1000000u);
	do {
		*--p = (char)('0' + s % 10);
		s /= 10;
	} while (s);
	*e++ = '.';
	if (!f) {
		*e++ = '0';
	} else {
		int digits = 6;
		while (f % 10 == 0) {
			f /= 10;
			digits--;
		}
		for (int i = digits - 1; i >= 0; i--) {
			e[i] = (char)('0' + f % 10);
			f /= 10;
		}
		e += digits;
	}
	jsonw_raw(w, p, (size_t)(e - p));
}

int jsonw_end(struct jsonw *w)
{
	if (jsonw_grow(w, 0) != 0)
		return -1;
	w->buf[w->len] = '\0';
	return 0;
}

static void jsonw_value(struct jsonw *w, const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		const char *key;
		json_t *val;
		int first = 1;
		JSONW_LIT(w, "{");
		json_object_foreach((json_t *)(uintptr_t)j, key, val)
		{
			if (!first)
				JSONW_LIT(w, ",");
			first = 0;
			jsonw_string(w, key, strlen(key));
			JSONW_LIT(w, ":");
			jsonw_value(w, val);
		}
		JSONW_LIT(w, "}");
		break;
	}
	case JSON_ARRAY: {
		size_t n = json_array_size(j);
		JSONW_LIT(w, "[");
		for (size_t i = 0; i < n; i++) {
			if (i)
				JSONW_LIT(w, ",");
			jsonw_value(w, json_array_get(j, i));
		}
		JSONW_LIT(w, "]");
		break;
	}
	case JSON_STRING: jsonw_string(w, json_string_value(j), json_string_length(j)); break;
	case JSON_INTEGER: jsonw_int(w, (int64_t)json_integer_value(j)); break;
	case JSON_REAL: jsonw_real(w, json_real_value(j)); break;
	case JSON_TRUE: JSONW_LIT(w, "true"); break;
	case JSON_FALSE: JSONW_LIT(w, "false"); break;
	case JSON_NULL: JSONW_LIT(w, "null"); break;
	}
}

int jsonw_dump(struct jsonw *w, const json_t *j)
{
	jsonw_reset(w);
	jsonw_value(w, j);
	return jsonw_end(w);
}

void jsonw_free(struct jsonw *w)
{
	free(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
}
