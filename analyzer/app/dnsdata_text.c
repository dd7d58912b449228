/* dnsdata_text.c — the records of a DNS data file (dnsdata.h): the dig form
 * and JSON Lines.
 *
 * The dig form is the master-file presentation format (RFC 1035 §5.1) as
 * dig prints it: absolute names, "owner TTL class type rdata", ';' comments,
 * '(' ... ')' joining lines, quoted TXT strings with \" and \DDD escapes.
 * Zone-file directives ($ORIGIN, $TTL, ...), an owner left out (a line that
 * starts with a blank) and '@' need a zone context that dig never prints:
 * they are refused with a clear error rather than guessed. A record of a
 * type the view does not use (NS, SOA, DNSKEY, NSEC, ...) is counted and
 * skipped; an RRSIG marks the RRset (owner, type covered) secure, wherever
 * it stands in the file (RFC 4035 §5: a validated RRset comes with its
 * signatures).
 *
 * JSON Lines (jansson, duplicate keys refused): one object a line with
 * name, type, ttl, data, secure and rcode; "data" is read as the rdata of a
 * dig line, so both forms give the same records (docs/dns.md).
 *
 * Names are kept as the DNS dissector delivers them (dns.h): lower-case,
 * without the final dot, bytes other than letters, digits, '-', '_' and '*'
 * written \DDD.
 */
#include "analyzer/app/dnsdata_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* Types: those kept, and those skipped without complaint. */
struct dnsdata_type {
	const char *name;
	uint16_t type;
	uint8_t kept;
};

static const struct dnsdata_type dd_types[] = {
	{"A", DNS_T_A, 1},
	{"AAAA", DNS_T_AAAA, 1},
	{"CNAME", DNS_T_CNAME, 1},
	{"MX", DNS_T_MX, 1},
	{"TXT", DNS_T_TXT, 1},
	{"TLSA", DNS_T_TLSA, 1},
	{"RRSIG", DNS_T_RRSIG, 0},
	{"NS", DNS_T_NS, 0},
	{"SOA", DNS_T_SOA, 0},
	{"DS", DNS_T_DS, 0},
	{"DNSKEY", DNS_T_DNSKEY, 0},
	{"NSEC", DNS_T_NSEC, 0},
	{"NSEC3", DNS_T_NSEC3, 0},
	{"NSEC3PARAM", 51, 0},
	{"PTR", 12, 0},
	{"HINFO", 13, 0},
	{"SRV", 33, 0},
	{"DNAME", 39, 0},
	{"SSHFP", 44, 0},
	{"CDS", 59, 0},
	{"CDNSKEY", 60, 0},
	{"SVCB", 64, 0},
	{"HTTPS", 65, 0},
	{"SPF", 99, 0},
	{"CAA", 257, 0},
};

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int tok_is(const struct dnsdata_tok *t, const char *s)
{
	size_t n = strlen(s);
	if (t->quoted || t->n != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (lower(t->p[i]) != lower((unsigned char)s[i]))
			return 0;
	return 1;
}

/* A decimal number of at most max; -1 when the token is not one. */
static int64_t tok_num(const struct dnsdata_tok *t, int64_t max)
{
	int64_t v = 0;
	if (t->quoted || t->n == 0 || t->n > 10)
		return -1;
	for (size_t i = 0; i < t->n; i++) {
		if (t->p[i] < '0' || t->p[i] > '9')
			return -1;
		v = v * 10 + (t->p[i] - '0');
	}
	return v <= max ? v : -1;
}

/* A type by name or as TYPEnnn (RFC 3597 §5). Returns the entry, or NULL
 * (*num set for TYPEnnn of a type not listed). */
static const struct dnsdata_type *type_of(const struct dnsdata_tok *t, int *num)
{
	*num = -1;
	for (size_t i = 0; i < sizeof(dd_types) / sizeof(dd_types[0]); i++)
		if (tok_is(t, dd_types[i].name))
			return &dd_types[i];
	if (!t->quoted && t->n > 4 && lower(t->p[0]) == 't' && lower(t->p[1]) == 'y' &&
	    lower(t->p[2]) == 'p' && lower(t->p[3]) == 'e') {
		struct dnsdata_tok rest = {t->p + 4, t->n - 4, 0};
		int64_t v = tok_num(&rest, 65535);
		for (size_t i = 0; v >= 0 && i < sizeof(dd_types) / sizeof(dd_types[0]); i++)
			if (dd_types[i].type == v)
				return &dd_types[i];
		*num = (int)v;
	}
	return NULL;
}

/* Decodes a <character-string> or label escape at t->p[*i] ('\' seen):
 * \DDD or \X (RFC 1035 §5.1). Returns the byte, or -1. */
static int unescape(const struct dnsdata_tok *t, size_t *i)
{
	if (*i + 1 >= t->n)
		return -1;
	const uint8_t *q = t->p + *i + 1;
	if (q[0] >= '0' && q[0] <= '9') {
		if (*i + 3 >= t->n || q[1] < '0' || q[1] > '9' || q[2] < '0' || q[2] > '9')
			return -1;
		int v = (q[0] - '0') * 100 + (q[1] - '0') * 10 + (q[2] - '0');
		*i += 4;
		return v <= 255 ? v : -1;
	}
	*i += 2;
	return q[0];
}

/* A domain name in presentation form, written in the form of dns.h into
 * out. Returns its wire length (RFC 1035 §3.1, at most 255), or -1. A name
 * without the final dot is taken as absolute (there is no origin). */
int dnsdata_name(struct dnsdata_parse *p, const struct dnsdata_tok *t, char out[DNS_NAME_MAX],
		 const char *what)
{
	size_t o = 0, wire = 1, label = 0, i = 0;
	if (t->quoted || t->n == 0)
		return dnsdata_perr(p, "%s is not a domain name", what);
	if (t->n == 1 && t->p[0] == '@')
		return dnsdata_perr(
			p, "'@' needs a zone origin: give absolute names as dig prints them");
	if (t->n == 1 && t->p[0] == '.') {
		out[0] = '\0';
		return 1;
	}
	while (i < t->n) {
		int c = t->p[i];
		if (c == '.') {
			if (label == 0)
				return dnsdata_perr(p, "%s has an empty label", what);
			wire += label + 1;
			label = 0;
			i++;
			if (i < t->n && o + 1 < DNS_NAME_MAX)
				out[o++] = '.';
			continue;
		}
		if (c == '\\') {
			c = unescape(t, &i);
			if (c < 0)
				return dnsdata_perr(p, "%s has a bad escape", what);
		} else {
			i++;
		}
		if (++label > 63)
			return dnsdata_perr(p, "%s has a label over 63 bytes", what);
		c = lower(c);
		int plain = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
			    c == '_' || c == '*';
		if (o + (plain ? 1 : 4) >= DNS_NAME_MAX)
			return dnsdata_perr(p, "%s is too long", what);
		if (plain)
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, DNS_NAME_MAX - o, "\\%03d", c);
	}
	wire += label ? label + 1 : 0;
	if (wire > 255)
		return dnsdata_perr(p, "%s is over 255 bytes", what);
	out[o] = '\0';
	return (int)wire;
}

/* Appends one field; a quoted one runs to its closing '"' (escapes
 * skipped), a bare one to a blank, ';', '(', ')' or '"'. */
static int tokenize_one(struct dnsdata_parse *p, struct cur *c)
{
	int quoted = cur_peek_u8(c) == '"';
	size_t left = cur_left(c), n = 0;
	const uint8_t *s;
	if (quoted) {
		cur_skip(c, 1);
		left--;
	}
	s = cur_peek(c, left);
	for (; n < left; n++) {
		uint8_t b = s[n];
		if (b == '\\') {
			n++;
			continue;
		}
		if ((b < 0x20 && b != '\t') || b == 0x7f) {
			if (quoted)
				return dnsdata_perr(p, "control character 0x%02x", (unsigned)b);
			break;
		}
		if (quoted ? b == '"'
			   : (b == ' ' || b == '\t' || b == ';' || b == '(' || b == ')' ||
			      b == '"'))
			break;
	}
	if (n > left)
		return dnsdata_perr(p, "a field ends in an escape");
	if (quoted && n == left)
		return dnsdata_perr(p, "a quoted string is not closed on its line");
	if (p->ntok >= DNSDATA_MAX_TOKENS)
		return dnsdata_perr(p, "more than %d fields in a record", DNSDATA_MAX_TOKENS);
	p->tok[p->ntok].p = s;
	p->tok[p->ntok].n = n;
	p->tok[p->ntok].quoted = (uint8_t)quoted;
	p->ntok++;
	cur_skip(c, n + (quoted ? 1 : 0));
	return 0;
}

/* Splits one line into fields, appended to p->tok; *depth counts the open
 * parentheses (RFC 1035 §5.1: a record continues across lines inside them). */
static int tokenize(struct dnsdata_parse *p, struct cur *c, int *depth)
{
	while (cur_left(c) > 0) {
		int b = cur_peek_u8(c);
		if (b == ' ' || b == '\t') {
			cur_skip(c, 1);
		} else if (b == ';') {
			break; /* a comment to the end of the line */
		} else if (b == '(') {
			(*depth)++;
			cur_skip(c, 1);
		} else if (b == ')') {
			if (--(*depth) < 0)
				return dnsdata_perr(p, "')' without '('");
			cur_skip(c, 1);
		} else if (b < 0x20 || b == 0x7f) {
			return dnsdata_perr(p, "control character 0x%02x", (unsigned)b);
		} else if (tokenize_one(p, c) != 0) {
			return -1;
		}
	}
	return 0;
}

/* Hex digits of the fields [from, to) concatenated into p->buf. Returns
 * the byte count, or -1. */
static long hex_of(struct dnsdata_parse *p, size_t from, size_t to, const char *what)
{
	size_t n = 0;
	int hi = -1;
	for (size_t k = from; k < to; k++) {
		const struct dnsdata_tok *t = &p->tok[k];
		for (size_t i = 0; i < t->n; i++) {
			int c = lower(t->p[i]);
			int v = c >= '0' && c <= '9'   ? c - '0'
				: c >= 'a' && c <= 'f' ? c - 'a' + 10
						       : -1;
			if (v < 0 || t->quoted)
				return dnsdata_perr(p, "%s is not hex", what);
			if (hi < 0) {
				hi = v;
				continue;
			}
			if (n >= DNSDATA_RDATA_MAX)
				return dnsdata_perr(p, "%s is too long", what);
			p->buf[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0)
		return dnsdata_perr(p, "%s has an odd number of hex digits", what);
	if (n == 0)
		return dnsdata_perr(p, "%s is empty", what);
	return (long)n;
}

/* TXT rdata: one or more <character-string>s, each at most 255 bytes,
 * concatenated as dns.h keeps them (non-printable bytes as '?'). */
static int txt_of(struct dnsdata_parse *p, struct dnsdata_item *it, size_t from)
{
	char text[DNS_TXT_MAX];
	size_t len = 0, wire = 0;
	int truncated = 0;
	if (from >= p->ntok)
		return dnsdata_perr(p, "TXT record without a string");
	for (size_t k = from; k < p->ntok; k++) {
		const struct dnsdata_tok *t = &p->tok[k];
		size_t slen = 0;
		for (size_t i = 0; i < t->n;) {
			int c = t->p[i];
			if (c == '\\' && t->quoted != DNSDATA_RAW) {
				c = unescape(t, &i);
				if (c < 0)
					return dnsdata_perr(p, "TXT string has a bad escape");
			} else {
				i++;
			}
			if (++slen > 255)
				return dnsdata_perr(p, "TXT string over 255 bytes");
			if (len < DNS_TXT_MAX - 1)
				text[len++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
			else
				truncated = 1;
		}
		wire += 1 + slen;
	}
	if (wire > DNSDATA_RDATA_MAX)
		return dnsdata_perr(p, "TXT record over 65535 bytes");
	text[len] = '\0';
	it->u.txt.text = dnsdata_strdup(text);
	if (it->u.txt.text == NULL)
		return dnsdata_perr(p, "out of memory");
	it->u.txt.len = (uint16_t)len;
	it->u.txt.truncated = (uint8_t)truncated;
	it->rdlength = (uint16_t)wire;
	return 0;
}

/* TLSA rdata (RFC 6698 §2.2): usage selector matching-type hex... */
static int tlsa_of(struct dnsdata_parse *p, struct dnsdata_item *it, size_t from)
{
	if (p->ntok < from + 4)
		return dnsdata_perr(p, "TLSA record needs usage, selector, matching type and data");
	int64_t f[3];
	for (int k = 0; k < 3; k++) {
		f[k] = tok_num(&p->tok[from + (size_t)k], 255);
		if (f[k] < 0)
			return dnsdata_perr(p, "TLSA %s is not a number of 0 to 255",
					    k == 0   ? "usage"
					    : k == 1 ? "selector"
						     : "matching type");
	}
	long n = hex_of(p, from + 3, p->ntok, "TLSA data");
	if (n < 0)
		return -1;
	if (n > (long)DNSDATA_RDATA_MAX - 3)
		return dnsdata_perr(p, "TLSA data is too long");
	if (dns_tlsa_set(&it->u.tlsa, (uint8_t)f[0], (uint8_t)f[1], (uint8_t)f[2], p->buf,
			 (size_t)n) != 0)
		return dnsdata_perr(p, "TLSA data cannot be digested");
	it->rdlength = (uint16_t)(n + 3);
	return 0;
}

static int one_name(struct dnsdata_parse *p, size_t from, char *out, const char *what)
{
	if (p->ntok != from + 1)
		return dnsdata_perr(p, "%s: one name expected", what);
	return dnsdata_name(p, &p->tok[from], out, what);
}

/* The rdata of a kept type, fields [from, ntok). */
static int rdata_of(struct dnsdata_parse *p, struct dnsdata_item *it, size_t from)
{
	char name[DNS_NAME_MAX], addr[64];
	int w;
	switch (it->type) {
	case DNS_T_A:
	case DNS_T_AAAA: {
		const struct dnsdata_tok *t = &p->tok[from];
		int af = it->type == DNS_T_A ? AF_INET : AF_INET6;
		if (p->ntok != from + 1 || t->quoted || t->n >= sizeof(addr))
			return dnsdata_perr(p, "%s address expected",
					    it->type == DNS_T_A ? "IPv4" : "IPv6");
		memcpy(addr, t->p, t->n);
		addr[t->n] = '\0';
		if (inet_pton(af, addr, it->u.addr) != 1)
			return dnsdata_perr(p, "%s is not an %s address", addr,
					    it->type == DNS_T_A ? "IPv4" : "IPv6");
		it->rdlength = it->type == DNS_T_A ? 4 : 16;
		return 0;
	}
	case DNS_T_CNAME:
		if ((w = one_name(p, from, name, "CNAME target")) < 0)
			return -1;
		it->rdlength = (uint16_t)w;
		it->u.target = dnsdata_strdup(name);
		return it->u.target ? 0 : dnsdata_perr(p, "out of memory");
	case DNS_T_MX: {
		int64_t pref = from < p->ntok ? tok_num(&p->tok[from], 65535) : -1;
		if (pref < 0)
			return dnsdata_perr(p, "MX preference is not a number of 0 to 65535");
		if ((w = one_name(p, from + 1, name, "MX host")) < 0)
			return -1;
		it->u.mx.pref = (uint16_t)pref;
		it->rdlength = (uint16_t)(w + 2);
		it->u.mx.host = dnsdata_strdup(name);
		return it->u.mx.host ? 0 : dnsdata_perr(p, "out of memory");
	}
	case DNS_T_TXT: return txt_of(p, it, from);
	case DNS_T_TLSA: return tlsa_of(p, it, from);
	}
	return dnsdata_perr(p, "type %u is not kept", (unsigned)it->type);
}

/* Owner [TTL] [class] type — TTL and class in either order (RFC 1035
 * §5.1). Sets *ttl and returns the index of the type field, or -1. */
static long head_of(struct dnsdata_parse *p, uint32_t *ttl)
{
	size_t k = 1;
	int have_ttl = 0, have_class = 0;
	*ttl = 0;
	for (; k < p->ntok && k < 3; k++) {
		const struct dnsdata_tok *t = &p->tok[k];
		int64_t v = tok_num(t, INT32_MAX);
		if (!have_ttl && v >= 0) {
			*ttl = (uint32_t)v;
			have_ttl = 1;
		} else if (!have_class && tok_is(t, "IN")) {
			have_class = 1;
		} else if (!have_class && (tok_is(t, "CH") || tok_is(t, "HS") || tok_is(t, "CS") ||
					   (t->n > 5 && lower(t->p[0]) == 'c' &&
					    lower(t->p[1]) == 'l' && lower(t->p[2]) == 'a'))) {
			return dnsdata_perr(p, "class %.*s is not IN", (int)t->n,
					    (const char *)t->p);
		} else {
			break;
		}
	}
	if (k >= p->ntok)
		return dnsdata_perr(p, "no record type");
	return (long)k;
}

static int add_sig(struct dnsdata_parse *p, const char *owner, size_t from)
{
	int num;
	if (from >= p->ntok)
		return dnsdata_perr(p, "RRSIG without a type covered");
	const struct dnsdata_type *ty = type_of(&p->tok[from], &num);
	if (ty == NULL && num < 0)
		return dnsdata_perr(p, "RRSIG covers an unknown type");
	if (dnsdata_grow((void **)&p->sigs, &p->capsigs, p->nsigs, sizeof(*p->sigs)) != 0)
		return dnsdata_perr(p, "out of memory");
	p->sigs[p->nsigs].name = dnsdata_strdup(owner);
	if (p->sigs[p->nsigs].name == NULL)
		return dnsdata_perr(p, "out of memory");
	p->sigs[p->nsigs].type = ty ? ty->type : (uint16_t)num;
	p->nsigs++;
	return 0;
}

/* One record whose fields are in p->tok: kept, counted as skipped, or an
 * RRSIG remembered. sec is its state when no RRSIG decides it. */
static int add_record(struct dnsdata_parse *p, enum dnsv_sec sec)
{
	char owner[DNS_NAME_MAX];
	uint32_t ttl;
	int num;
	if (p->tok[0].n > 0 && p->tok[0].p[0] == '$' && !p->tok[0].quoted)
		return dnsdata_perr(p, "%.*s is not supported: give records as dig prints them",
				    (int)p->tok[0].n, (const char *)p->tok[0].p);
	if (dnsdata_name(p, &p->tok[0], owner, "owner") < 0)
		return -1;
	long k = head_of(p, &ttl);
	if (k < 0)
		return -1;
	const struct dnsdata_type *ty = type_of(&p->tok[k], &num);
	if (ty == NULL && num < 0)
		return dnsdata_perr(p, "unknown record type %.*s", (int)p->tok[k].n,
				    (const char *)p->tok[k].p);
	if ((size_t)k + 1 < p->ntok && tok_is(&p->tok[k + 1], "\\#"))
		return dnsdata_perr(p, "generic rdata (\\#) is not supported");
	if (ty && ty->type == DNS_T_RRSIG)
		return add_sig(p, owner, (size_t)k + 1);
	if (ty == NULL || !ty->kept) {
		p->d->skipped++;
		return 0;
	}
	if (dnsdata_grow((void **)&p->d->items, &p->d->capitems, p->d->nitems,
			 sizeof(*p->d->items)))
		return dnsdata_perr(p, "out of memory");
	struct dnsdata_item *it = &p->d->items[p->d->nitems];
	memset(it, 0, sizeof(*it));
	it->type = ty->type;
	it->ttl = ttl;
	it->sec = (uint8_t)sec;
	if ((size_t)k + 1 >= p->ntok)
		return dnsdata_perr(p, "%s record without data", ty->name);
	it->name = dnsdata_strdup(owner);
	if (it->name == NULL)
		return dnsdata_perr(p, "out of memory");
	p->d->nitems++; /* owned by d from here on, freed with it */
	return rdata_of(p, it, (size_t)k + 1);
}

/* The next line of the file (without its LF and a CR before it) as a child
 * cursor; p->line counts it. Returns 0 at the end of the file. */
static int next_line(struct dnsdata_parse *p, struct cur *file, struct cur *line, unsigned *lineno)
{
	if (cur_left(file) == 0)
		return 0;
	size_t len = cur_find(file, '\n');
	int has_lf = len < cur_left(file);
	const uint8_t *lp = cur_peek(file, len);
	size_t body = len;
	if (len > 0 && lp && lp[len - 1] == '\r')
		body--;
	cur_sub(file, body, line);
	cur_skip(file, len - body + (size_t)has_lf);
	(*lineno)++;
	(void)p;
	return 1;
}

/* The dig form: records, one per line or parenthesised over several. */
int dnsdata_read_dig(struct dnsdata_parse *p, struct cur *file)
{
	struct cur line;
	unsigned lineno = 0;
	while (next_line(p, file, &line, &lineno)) {
		int depth = 0;
		int b = cur_peek_u8(&line);
		p->line = lineno;
		p->ntok = 0;
		if (tokenize(p, &line, &depth) != 0)
			return -1;
		if (p->ntok > 0 && (b == ' ' || b == '\t'))
			return dnsdata_perr(p,
					    "the owner name is left out: give it on every line, as "
					    "dig prints it");
		while (depth > 0) {
			unsigned start = p->line;
			if (!next_line(p, file, &line, &lineno))
				return dnsdata_perr(p, "'(' is not closed");
			p->line = lineno;
			if (tokenize(p, &line, &depth) != 0)
				return -1;
			p->line = start;
		}
		if (p->ntok > 0 && add_record(p, DNSV_SEC_INSECURE) != 0)
			return -1;
	}
	return 0;
}

/* A state entry of the JSON form (NXDOMAIN, NODATA, SERVFAIL). */
static int add_state(struct dnsdata_parse *p, const char *name, uint16_t type, enum dnsv_state st,
		     enum dnsv_sec sec)
{
	struct dnsdata *d = p->d;
	if (dnsdata_grow((void **)&d->states, &d->capstates, d->nstates, sizeof(*d->states)) != 0)
		return dnsdata_perr(p, "out of memory");
	d->states[d->nstates].name = dnsdata_strdup(name);
	if (d->states[d->nstates].name == NULL)
		return dnsdata_perr(p, "out of memory");
	d->states[d->nstates].type = type;
	d->states[d->nstates].st = (uint8_t)st;
	d->states[d->nstates].sec = (uint8_t)sec;
	d->nstates++;
	return 0;
}

/* The fields of one JSON object, checked. */
struct dnsdata_jrec {
	const char *name, *type, *data, *rcode;
	json_int_t ttl;
	int secure;
};

static int json_fields(struct dnsdata_parse *p, json_t *o, struct dnsdata_jrec *r)
{
	const char *key;
	json_t *v;
	memset(r, 0, sizeof(*r));
	if (!json_is_object(o))
		return dnsdata_perr(p, "not a JSON object");
	json_object_foreach(o, key, v)
	{
		if (strcmp(key, "name") == 0 || strcmp(key, "type") == 0 ||
		    strcmp(key, "data") == 0 || strcmp(key, "rcode") == 0) {
			if (!json_is_string(v))
				return dnsdata_perr(p, "\"%s\" is not a string", key);
			const char *sv = json_string_value(v);
			if (strlen(sv) != json_string_length(v))
				return dnsdata_perr(p, "\"%s\" holds a NUL byte", key);
			*(key[0] == 'n'	  ? &r->name
			  : key[0] == 't' ? &r->type
			  : key[0] == 'd' ? &r->data
					  : &r->rcode) = sv;
		} else if (strcmp(key, "ttl") == 0) {
			if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			    json_integer_value(v) > INT32_MAX)
				return dnsdata_perr(p, "\"ttl\" is not a number of seconds");
			r->ttl = json_integer_value(v);
		} else if (strcmp(key, "secure") == 0) {
			if (!json_is_boolean(v))
				return dnsdata_perr(p, "\"secure\" is not true or false");
			r->secure = json_is_true(v);
		} else {
			return dnsdata_perr(p, "unknown key \"%s\"", key);
		}
	}
	if (r->name == NULL)
		return dnsdata_perr(p, "no \"name\"");
	if (r->type == NULL)
		return dnsdata_perr(p, "no \"type\"");
	return 0;
}

/* Fields of s (a JSON string) into p->tok. */
static int tokenize_str(struct dnsdata_parse *p, const char *s)
{
	struct cur c = cur_make((const uint8_t *)s, strlen(s));
	int depth = 0;
	if (tokenize(p, &c, &depth) != 0)
		return -1;
	return depth ? dnsdata_perr(p, "'(' is not closed in \"data\"") : 0;
}

/* One JSON Lines record: a record (rcode NOERROR or none, with data) or a
 * state (NXDOMAIN or NODATA: absent; SERVFAIL: failed, bogus). */
static int json_record(struct dnsdata_parse *p, const struct dnsdata_jrec *r)
{
	struct dnsdata_tok tt = {(const uint8_t *)r->type, strlen(r->type), 0};
	char name[DNS_NAME_MAX];
	int num;
	const struct dnsdata_type *ty = type_of(&tt, &num);
	struct dnsdata_tok nt = {(const uint8_t *)r->name, strlen(r->name), 0};
	if (dnsdata_name(p, &nt, name, "\"name\"") < 0)
		return -1;
	if (ty == NULL && num < 0)
		return dnsdata_perr(p, "unknown record type %s", r->type);
	if (ty && ty->type == DNS_T_RRSIG)
		return dnsdata_perr(p, "RRSIG records are not given in JSON: say \"secure\": true");
	uint16_t type = ty ? ty->type : (uint16_t)num;
	if (r->rcode && strcmp(r->rcode, "NOERROR") != 0) {
		int fail = strcmp(r->rcode, "SERVFAIL") == 0;
		if (!fail && strcmp(r->rcode, "NXDOMAIN") != 0 && strcmp(r->rcode, "NODATA") != 0)
			return dnsdata_perr(
				p, "\"rcode\" is not NOERROR, NXDOMAIN, NODATA or SERVFAIL");
		if (r->data)
			return dnsdata_perr(p, "\"data\" with rcode %s", r->rcode);
		if (fail && r->secure)
			return dnsdata_perr(p, "SERVFAIL cannot be secure");
		return add_state(p, name, type, fail ? DNSV_FAILED : DNSV_ABSENT,
				 fail	     ? DNSV_SEC_BOGUS
				 : r->secure ? DNSV_SEC_SECURE
					     : DNSV_SEC_INSECURE);
	}
	if (r->data == NULL)
		return dnsdata_perr(p, "no \"data\"");
	/* The record as a dig line: owner, TTL, class and type are known; the
	 * data is presentation rdata, except TXT text that does not start
	 * with '"', taken as it is (one string per 255 bytes). */
	p->ntok = 0;
	p->tok[p->ntok++] = nt;
	char ttl[16];
	snprintf(ttl, sizeof(ttl), "%lld", (long long)r->ttl);
	p->tok[p->ntok++] = (struct dnsdata_tok){(const uint8_t *)ttl, strlen(ttl), 0};
	p->tok[p->ntok++] = tt;
	if (type == DNS_T_TXT && r->data[strspn(r->data, " \t")] != '"') {
		size_t n = strlen(r->data), off = 0;
		do {
			size_t k = n - off > 255 ? 255 : n - off;
			if (p->ntok >= DNSDATA_MAX_TOKENS)
				return dnsdata_perr(p, "TXT text is too long");
			p->tok[p->ntok++] = (struct dnsdata_tok){(const uint8_t *)r->data + off, k,
								 DNSDATA_RAW};
			off += k;
		} while (off < n);
	} else if (tokenize_str(p, r->data) != 0) {
		return -1;
	}
	return add_record(p, r->secure ? DNSV_SEC_SECURE : DNSV_SEC_INSECURE);
}

/* JSON Lines: one object a line, blank lines ignored. */
int dnsdata_read_jsonl(struct dnsdata_parse *p, struct cur *file)
{
	struct cur line;
	unsigned lineno = 0;
	while (next_line(p, file, &line, &lineno)) {
		size_t n = cur_left(&line);
		const uint8_t *s = cur_peek(&line, n);
		size_t b = 0;
		p->line = lineno;
		while (b < n && (s[b] == ' ' || s[b] == '\t'))
			b++;
		if (b == n)
			continue;
		json_error_t jerr;
		json_t *o = json_loadb((const char *)s, n, JSON_REJECT_DUPLICATES, &jerr);
		if (o == NULL)
			return dnsdata_perr(p, "not JSON: %s", jerr.text);
		struct dnsdata_jrec r;
		int rc = json_fields(p, o, &r);
		if (rc == 0)
			rc = json_record(p, &r);
		json_decref(o);
		if (rc != 0)
			return -1;
	}
	return 0;
}
