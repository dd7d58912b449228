/* jsonw.c — compact JSON output of jansson values (RFC 8259 §7 escaping). */
#include "stats/jsonw.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int jsonw_reserve(struct jsonw *w, size_t more)
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

static void jsonw_put(struct jsonw *w, const char *s, size_t n)
{
	if (jsonw_reserve(w, n) == 0) {
		memcpy(w->buf + w->len, s, n);
		w->len += n;
	}
}

static void jsonw_string(struct jsonw *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF"; /* as jansson writes them */
	/* worst case every byte becomes \u00XX */
	if (jsonw_reserve(w, n * 6 + 2) != 0)
		return;
	char *o = w->buf + w->len;
	*o++ = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"':
			*o++ = '\\';
			*o++ = '"';
			break;
		case '\\':
			*o++ = '\\';
			*o++ = '\\';
			break;
		case '\b':
			*o++ = '\\';
			*o++ = 'b';
			break;
		case '\f':
			*o++ = '\\';
			*o++ = 'f';
			break;
		case '\n':
			*o++ = '\\';
			*o++ = 'n';
			break;
		case '\r':
			*o++ = '\\';
			*o++ = 'r';
			break;
		case '\t':
			*o++ = '\\';
			*o++ = 't';
			break;
		default:
			if (c < 0x20) {
				*o++ = '\\';
				*o++ = 'u';
				*o++ = '0';
				*o++ = '0';
				*o++ = hex[c >> 4];
				*o++ = hex[c & 15];
			} else {
				*o++ = (char)c;
			}
		}
	}
	*o++ = '"';
	w->len = (size_t)(o - w->buf);
}

/* As jansson's jsonp_dtostr(): "%.15g", a ".0" when the text would read as
 * an integer, no '+' and no leading zeros in the exponent. */
static void jsonw_real(struct jsonw *w, double v)
{
	char b[40];
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
	jsonw_put(w, b, (size_t)n);
}

static void jsonw_value(struct jsonw *w, const json_t *j)
{
	char num[24];
	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		const char *key;
		json_t *val;
		int first = 1;
		jsonw_put(w, "{", 1);
		json_object_foreach((json_t *)(uintptr_t)j, key, val)
		{
			if (!first)
				jsonw_put(w, ",", 1);
			first = 0;
			jsonw_string(w, key, strlen(key));
			jsonw_put(w, ":", 1);
			jsonw_value(w, val);
		}
		jsonw_put(w, "}", 1);
		break;
	}
	case JSON_ARRAY: {
		size_t n = json_array_size(j);
		jsonw_put(w, "[", 1);
		for (size_t i = 0; i < n; i++) {
			if (i)
				jsonw_put(w, ",", 1);
			jsonw_value(w, json_array_get(j, i));
		}
		jsonw_put(w, "]", 1);
		break;
	}
	case JSON_STRING: jsonw_string(w, json_string_value(j), json_string_length(j)); break;
	case JSON_INTEGER: {
		int n = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(j));
		jsonw_put(w, num, (size_t)n);
		break;
	}
	case JSON_REAL: jsonw_real(w, json_real_value(j)); break;
	case JSON_TRUE: jsonw_put(w, "true", 4); break;
	case JSON_FALSE: jsonw_put(w, "false", 5); break;
	case JSON_NULL: jsonw_put(w, "null", 4); break;
	}
}

int jsonw_dump(struct jsonw *w, const json_t *j)
{
	w->len = 0;
	w->failed = 0;
	jsonw_value(w, j);
	if (jsonw_reserve(w, 0) != 0)
		return -1;
	w->buf[w->len] = '\0';
	return 0;
}

void jsonw_free(struct jsonw *w)
{
	free(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
}
