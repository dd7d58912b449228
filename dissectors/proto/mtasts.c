/* mtasts.c — MTA-STS policy files and TXT records (RFC 8461 §3.1, §3.2,
 * §4.1) and the TLS-RPT TXT record (RFC 8460 §3).
 *
 * The policy file (§3.2), as its ABNF has it:
 *
 *   sts-policy-record = sts-policy-field *WSP
 *                       *(sts-policy-term sts-policy-field *WSP) [sts-policy-term]
 *   sts-policy-term   = LF / CRLF
 *   field-delim       = ":" *WSP
 *   sts-policy-field  = version / mode / max_age / mx / extension, in any order
 *
 * so a line starts with its key (no leading space), field names and the
 * values "STSv1", "enforce", "testing", "none" are case-sensitive (%s),
 * max_age is 1*10 DIGIT and at most 31557600, an mx value is
 * ["*."] Domain (RFC 5321), and an unknown key that has the shape of an
 * extension (name of 1-32 letters, digits, '_', '-', '.', first a letter or
 * digit; a value of visible characters) is ignored. A field other than mx
 * given twice: the first counts, the others are ignored unchecked (§3.2). An empty
 * line is not in the grammar and makes the file invalid, with one tolerance:
 * empty lines after the last field are ignored.
 */
#include "dissectors/proto/mtasts.h"

#include <stdio.h>
#include <string.h>

#include "dissectors/base/cur.h"

#define MTASTS_MAX_AGE_MAX 31557600u /* §3.2: one year */

static int is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Whether [p, p+n) equals the NUL-terminated s exactly. */
static int eq(const uint8_t *p, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(p, s, n) == 0;
}

/* RFC 8461 §3.1/§3.2 and RFC 8460 §3: an extension's name. */
static int ext_name_ok(const uint8_t *p, size_t n)
{
	if (n < 1 || n > 32 || !(is_alpha(p[0]) || is_digit(p[0])))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!is_alpha(p[i]) && !is_digit(p[i]) && p[i] != '_' && p[i] != '-' && p[i] != '.')
			return 0;
	return 1;
}

/* RFC 5321 Domain: sub-domain *("." sub-domain), sub-domain = Let-dig
 * [Ldh-str] (letters, digits, hyphens inside), at most 253 bytes. */
static int domain_ok(const uint8_t *p, size_t n)
{
	if (n == 0 || n > 253)
		return 0;
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && p[i] != '.') {
			if (!is_alpha(p[i]) && !is_digit(p[i]) && p[i] != '-')
				return 0;
			continue;
		}
		size_t len = i - start;
		if (len == 0 || len > 63 || p[start] == '-' || p[i - 1] == '-')
			return 0;
		start = i + 1;
	}
	return 1;
}

static void set_err(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

/* What the fields seen so far were (a field given twice keeps the first). */
struct policy_seen {
	uint8_t version, mode, max_age;
};

/* One "key: value" line, the value without trailing WSP. Returns NULL, or
 * the reason the line is malformed. */
static const char *policy_field(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
				struct mtasts_policy *out, struct policy_seen *seen)
{
	/* §3.2: "If any non-repeated field -- i.e., all fields excepting
	 * "mx" -- is duplicated, all entries except for the first SHALL be
	 * ignored": a repeated one is not even checked. */
	if ((eq(key, klen, "version") && seen->version) || (eq(key, klen, "mode") && seen->mode) ||
	    (eq(key, klen, "max_age") && seen->max_age))
		return NULL;
	if (eq(key, klen, "version")) {
		if (!eq(val, vlen, "STSv1"))
			return "version is not STSv1";
		seen->version = 1;
	} else if (eq(key, klen, "mode")) {
		uint8_t m;
		if (eq(val, vlen, "enforce"))
			m = MTASTS_MODE_ENFORCE;
		else if (eq(val, vlen, "testing"))
			m = MTASTS_MODE_TESTING;
		else if (eq(val, vlen, "none"))
			m = MTASTS_MODE_NONE;
		else
			return "mode is not enforce, testing or none";
		out->mode = m;
		seen->mode = 1;
	} else if (eq(key, klen, "max_age")) {
		/* 1*10 DIGIT, at most 31557600 */
		uint64_t v = 0;
		if (vlen < 1 || vlen > 10)
			return "max_age is not a number of seconds";
		for (size_t i = 0; i < vlen; i++) {
			if (!is_digit(val[i]))
				return "max_age is not a number of seconds";
			v = v * 10 + (uint64_t)(val[i] - '0');
		}
		if (v > MTASTS_MAX_AGE_MAX)
			return "max_age is over 31557600";
		out->max_age = (uint32_t)v;
		seen->max_age = 1;
	} else if (eq(key, klen, "mx")) {
		int wild = vlen >= 2 && val[0] == '*' && val[1] == '.';
		size_t off = wild ? 2 : 0;
		if (!domain_ok(val + off, vlen - off))
			return "mx is not a host name or *.domain";
		if (out->nmx >= MTASTS_MAX_MX) {
			if (out->mx_dropped < UINT8_MAX)
				out->mx_dropped++;
			return NULL;
		}
		char *dst = out->mx[out->nmx++];
		for (size_t i = 0; i < vlen; i++)
			dst[i] = (char)lower(val[i]);
		dst[vlen] = '\0';
	} else {
		/* An extension: ignored, but it must have the grammar's shape
		 * (sts-policy-ext-value: visible characters and inner spaces;
		 * UTF-8 is allowed). */
		if (!ext_name_ok(key, klen))
			return "not a \"key: value\" line";
		if (vlen == 0)
			return "empty value";
		for (size_t i = 0; i < vlen; i++)
			if (val[i] < 0x20 || val[i] == 0x7f || (val[i] == '\t'))
				return "control character in a value";
	}
	return NULL;
}

/* Splits one line (without its terminator) into key and value and hands
 * them to policy_field(). Returns NULL or the reason it is malformed. */
static const char *policy_line(struct cur *line, struct mtasts_policy *out,
			       struct policy_seen *seen)
{
	size_t n = cur_left(line);
	size_t colon = cur_find(line, ':');
	const uint8_t *p = cur_peek(line, n);
	if (n == 0 || p == NULL)
		return "empty line";
	if (colon == n)
		return "no ':' on the line";
	if (colon == 0)
		return "no key before ':'";
	size_t v = colon + 1;
	while (v < n && is_wsp(p[v]))
		v++;
	size_t end = n;
	while (end > v && is_wsp(p[end - 1]))
		end--;
	for (size_t i = 0; i < colon; i++)
		if (!is_alpha(p[i]) && !is_digit(p[i]) && p[i] != '_' && p[i] != '-' && p[i] != '.')
			return "not a \"key: value\" line";
	return policy_field(p, colon, p + v, end - v, out, seen);
}

int mtasts_policy_parse(const uint8_t *p, size_t n, struct mtasts_policy *out, unsigned *bad_line,
			char *err, size_t errlen)
{
	struct cur c = cur_make(p, n);
	struct policy_seen seen = {0, 0, 0};
	unsigned lineno = 0;
	unsigned first_empty = 0; /* the first empty line of the current run */
	memset(out, 0, sizeof(*out));
	*bad_line = 0;
	set_err(err, errlen, "");
	while (cur_left(&c) > 0) {
		size_t len = cur_find(&c, '\n');
		int has_lf = len < cur_left(&c);
		const uint8_t *lp = cur_peek(&c, len);
		size_t body = len;
		struct cur line;
		lineno++;
		/* LF or CRLF (§3.2 sts-policy-term): a CR ends a line only
		 * before LF; a bare CR elsewhere is a control character. */
		if (has_lf && len > 0 && lp && lp[len - 1] == '\r')
			body--;
		cur_sub(&c, body, &line);
		cur_skip(&c, len - body + (size_t)has_lf);
		if (cur_left(&line) == 0) {
			if (!first_empty)
				first_empty = lineno;
			continue;
		}
		if (first_empty) {
			*bad_line = first_empty;
			set_err(err, errlen, "empty line");
			return -1;
		}
		const char *why = policy_line(&line, out, &seen);
		if (why) {
			*bad_line = lineno;
			set_err(err, errlen, why);
			return -1;
		}
	}
	const char *missing =
		!seen.version	? "no version"
		: !seen.mode	? "no mode"
		: !seen.max_age ? "no max_age"
				: (out->nmx == 0 && out->mode != MTASTS_MODE_NONE ? "no mx" : NULL);
	if (missing) {
		set_err(err, errlen, missing);
		return -1;
	}
	return 0;
}

/* A field of a TXT record: "v=X" comes first, then ';'-separated
 * "key=value" fields with optional WSP around each ';' (RFC 8461 §3.1
 * sts-field-delim, RFC 8460 §3 field-delim). */
struct txt_field {
	const uint8_t *key;
	size_t klen;
	const uint8_t *val;
	size_t vlen;
};

/* Reads the next field up to ';' or the end; returns 0 at the end of the
 * record, 1 with a field, -1 when malformed. WSP before a ';' belongs to the
 * delimiter, so the value ends at the last non-WSP byte. */
static int txt_next(struct cur *c, struct txt_field *f)
{
	while (is_wsp(cur_peek_u8(c)) || cur_peek_u8(c) == ';') {
		/* Only one ';' between fields: "a=1;;b=2" is not in the grammar. */
		if (cur_peek_u8(c) == ';')
			return -1;
		cur_skip(c, 1);
	}
	if (cur_left(c) == 0)
		return 0;
	size_t n = cur_find(c, ';');
	const uint8_t *p = cur_peek(c, n);
	if (p == NULL)
		return -1;
	cur_skip(c, n);
	if (cur_peek_u8(c) == ';') {
		cur_skip(c, 1);
		while (is_wsp(cur_peek_u8(c)))
			cur_skip(c, 1);
	}
	size_t end = n;
	while (end > 0 && is_wsp(p[end - 1]))
		end--;
	size_t eqs = 0;
	while (eqs < end && p[eqs] != '=')
		eqs++;
	if (eqs == end || eqs == 0 || eqs + 1 == end)
		return -1;
	f->key = p;
	f->klen = eqs;
	f->val = p + eqs + 1;
	f->vlen = end - eqs - 1;
	return 1;
}

/* Opens a TXT record that must begin with "v=<version>" then a delimiter or
 * the end. Returns 0 with the cursor after the version, or -1. */
static int txt_open(struct cur *c, const char *txt, const char *version)
{
	size_t n = strlen(txt);
	*c = cur_make((const uint8_t *)txt, n);
	size_t vl = strlen(version);
	const uint8_t *p = cur_peek(c, vl);
	if (p == NULL || memcmp(p, version, vl) != 0)
		return -1;
	cur_skip(c, vl);
	int next = cur_peek_u8(c);
	if (next != -1 && next != ';' && !is_wsp(next))
		return -1;
	while (is_wsp(cur_peek_u8(c)))
		cur_skip(c, 1);
	if (cur_peek_u8(c) == ';')
		cur_skip(c, 1);
	else if (cur_left(c) != 0)
		return -1;
	while (is_wsp(cur_peek_u8(c)))
		cur_skip(c, 1);
	return 0;
}

/* sts-ext-value and tlsrpt-ext-value: 1*(%x21-3A / %x3C / %x3E-7E). */
static int ext_value_ok(const uint8_t *p, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x21 || p[i] > 0x7e || p[i] == ';' || p[i] == '=')
			return 0;
	return 1;
}

int mtasts_txt_parse(const char *txt, char id[MTASTS_ID_MAX])
{
	struct cur c;
	struct txt_field f;
	int have_id = 0, r;
	id[0] = '\0';
	if (txt_open(&c, txt, "v=STSv1") != 0)
		goto fail;
	while ((r = txt_next(&c, &f)) == 1) {
		if (eq(f.key, f.klen, "id")) {
			/* sts-id = %s"id=" 1*32(ALPHA / DIGIT) */
			if (f.vlen > MTASTS_ID_MAX - 1)
				goto fail;
			for (size_t i = 0; i < f.vlen; i++)
				if (!is_alpha(f.val[i]) && !is_digit(f.val[i]))
					goto fail;
			if (!have_id) {
				memcpy(id, f.val, f.vlen);
				id[f.vlen] = '\0';
			}
			have_id = 1;
		} else if (!ext_name_ok(f.key, f.klen) || !ext_value_ok(f.val, f.vlen)) {
			goto fail;
		}
	}
	if (r < 0 || !have_id)
		goto fail;
	return 0;
fail:
	id[0] = '\0';
	return -1;
}

/* tlsrpt-rua = %s"rua=" tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri), where a URI
 * holds no ',' or ';' (they are percent-encoded) and has a scheme. */
static int rua_ok(const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t s = i, colon = 0;
		while (i < n && p[i] != ',' && !is_wsp(p[i])) {
			if (p[i] < 0x21 || p[i] > 0x7e)
				return 0;
			if (p[i] == ':' && !colon)
				colon = i;
			i++;
		}
		if (i == s || colon == 0 || colon == s || !is_alpha(p[s]))
			return 0;
		while (i < n && is_wsp(p[i]))
			i++;
		if (i < n) {
			if (p[i] != ',')
				return 0;
			i++;
			while (i < n && is_wsp(p[i]))
				i++;
			if (i == n)
				return 0;
		}
	}
	return n > 0;
}

int mtasts_tlsrpt_parse(const char *txt, char rua[MTASTS_RUA_MAX])
{
	struct cur c;
	struct txt_field f;
	int have_rua = 0, r;
	rua[0] = '\0';
	if (txt_open(&c, txt, "v=TLSRPTv1") != 0)
		goto fail;
	while ((r = txt_next(&c, &f)) == 1) {
		if (eq(f.key, f.klen, "rua")) {
			if (!rua_ok(f.val, f.vlen))
				goto fail;
			if (!have_rua) {
				size_t k =
					f.vlen < MTASTS_RUA_MAX - 1 ? f.vlen : MTASTS_RUA_MAX - 1;
				memcpy(rua, f.val, k);
				rua[k] = '\0';
			}
			have_rua = 1;
		} else if (!ext_name_ok(f.key, f.klen) || !ext_value_ok(f.val, f.vlen)) {
			goto fail;
		}
	}
	if (r < 0 || !have_rua)
		goto fail;
	return 0;
fail:
	rua[0] = '\0';
	return -1;
}

/* Case-insensitive equality of [a, a+n) and [b, b+n). */
static int ieq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return 0;
	return 1;
}

int mtasts_mx_match(const struct mtasts_policy *pol, const char *host)
{
	size_t hl = strlen(host);
	if (hl > 0 && host[hl - 1] == '.')
		hl--;
	if (hl == 0)
		return 0;
	for (unsigned i = 0; i < pol->nmx && i < MTASTS_MAX_MX; i++) {
		const char *pat = pol->mx[i];
		size_t pl = strnlen(pat, MTASTS_PATTERN_MAX);
		if (pl >= 2 && pat[0] == '*' && pat[1] == '.') {
			/* §4.1: the wildcard stands for exactly one label, the
			 * leftmost: "*.example.com" matches "mail.example.com",
			 * not "example.com" nor "foo.bar.example.com". */
			const char *dot = memchr(host, '.', hl);
			if (dot == NULL || dot == host)
				continue;
			size_t rest = hl - (size_t)(dot - host);
			if (rest == pl - 1 && ieq(dot, pat + 1, rest))
				return 1;
		} else if (pl == hl && ieq(host, pat, hl)) {
			return 1;
		}
	}
	return 0;
}

const char *mtasts_mode_name(enum mtasts_mode m)
{
	switch (m) {
	case MTASTS_MODE_NONE: return "none";
	case MTASTS_MODE_TESTING: return "testing";
	case MTASTS_MODE_ENFORCE: return "enforce";
	}
	return "none";
}
