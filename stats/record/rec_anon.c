/* rec_anon.c — one finished record anonymised in place (rec_anon.h). */
#include "stats/record/rec_anon.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

/* Appends text to out (size n, at *pos), whole or not at all; 0 or -1. */
static int rec_anon_put(char *out, size_t n, size_t *pos, const char *text, size_t len)
{
	if (*pos + len >= n)
		return -1;
	memcpy(out + *pos, text, len);
	*pos += len;
	out[*pos] = '\0';
	return 0;
}

/* An address in text (exactly len bytes, no brackets) as anonymised text,
 * into out; 0, or -1 when it is not an address. */
static int rec_anon_addr(struct rec_anon *x, const char *in, size_t len, char *out, size_t n)
{
	char buf[INET6_ADDRSTRLEN];
	uint8_t a[16];
	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, in, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, a) == 1) {
		anon_ipv4(x->anon, a, a);
		return inet_ntop(AF_INET, a, out, (socklen_t)n) ? 0 : -1;
	}
	if (inet_pton(AF_INET6, buf, a) == 1) {
		anon_ipv6(x->anon, a, a);
		return inet_ntop(AF_INET6, a, out, (socklen_t)n) ? 0 : -1;
	}
	return -1;
}

/* Whether a word (len bytes of [A-Za-z0-9.-_]) reads as a host name: two
 * labels or more, none empty, the last one with a letter. */
static int rec_anon_is_name(const char *w, size_t len)
{
	if (len < 3 || w[0] == '.' || w[len - 1] == '.' || !memchr(w, '.', len))
		return 0;
	for (size_t i = 1; i < len; i++)
		if (w[i] == '.' && w[i - 1] == '.')
			return 0;
	size_t last = len;
	while (last > 0 && w[last - 1] != '.')
		last--;
	for (size_t i = last; i < len; i++)
		if (isalpha((unsigned char)w[i]))
			return 1;
	return 0;
}

void rec_anon_name(struct rec_anon *x, const char *in, char *out, size_t n)
{
	char name[300];
	size_t len = strlen(in);
	if (len >= sizeof(name))
		len = sizeof(name) - 1;
	/* an address literal of SMTP (RFC 5321 §4.1.3) or a bare address */
	const char *lit = in;
	size_t llen = len;
	if (len >= 2 && in[0] == '[' && in[len - 1] == ']') {
		lit = in + 1;
		llen = len - 2;
		if (llen > 5 && strncasecmp(lit, "IPv6:", 5) == 0) {
			lit += 5;
			llen -= 5;
		}
	}
	char addr[INET6_ADDRSTRLEN];
	if (rec_anon_addr(x, lit, llen, addr, sizeof(addr)) == 0) {
		if (lit == in)
			snprintf(out, n, "%s", addr);
		else
			snprintf(out, n, "[%s%s]", lit - in > 1 ? "IPv6:" : "", addr);
		return;
	}
	/* a wildcard keeps its star: "*.example.com" -> "*.h-....anon" */
	int star = len > 2 && in[0] == '*' && in[1] == '.';
	memcpy(name, in + (star ? 2 : 0), len - (star ? 2 : 0));
	name[len - (star ? 2 : 0)] = '\0';
	char h[320];
	const char *keep = x->psl ? psl_registrable(x->psl, name) : NULL;
	anon_name(x->anon, name, keep, h, sizeof(h));
	snprintf(out, n, "%s%s", star ? "*." : "", h);
}

static int rec_anon_word_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '-' || c == '_' || c == ':';
}

/* One word of free text, replaced when it is a name or an address. */
static void rec_anon_word(struct rec_anon *x, const char *w, size_t len, int is_name, char *out,
			  size_t n, size_t *pos)
{
	char rep[320], tmp[300];
	if (rec_anon_addr(x, w, len, rep, sizeof(rep)) == 0) {
		rec_anon_put(out, n, pos, rep, strlen(rep));
		return;
	}
	const char *colon = memchr(w, ':', len);
	if (colon) {
		/* "IPv6:addr", "name:port", "mailto:..." : each side apart */
		size_t k = (size_t)(colon - w);
		rec_anon_word(x, w, k, is_name, out, n, pos);
		rec_anon_put(out, n, pos, ":", 1);
		rec_anon_word(x, colon + 1, len - k - 1, 0, out, n, pos);
		return;
	}
	/* a final dot ends the sentence, not the name */
	size_t core = len;
	while (core > 0 && w[core - 1] == '.')
		core--;
	if (core > 0 && core < sizeof(tmp) && (is_name || rec_anon_is_name(w, core))) {
		memcpy(tmp, w, core);
		tmp[core] = '\0';
		rec_anon_name(x, tmp, rep, sizeof(rep));
		if (rec_anon_put(out, n, pos, rep, strlen(rep)) == 0)
			rec_anon_put(out, n, pos, w + core, len - core);
		return;
	}
	rec_anon_put(out, n, pos, w, len);
}

void rec_anon_text(struct rec_anon *x, const char *in, int first_is_name, char *out, size_t n)
{
	char buf[1024];
	size_t pos = 0, i = 0, len = strlen(in);
	int first = 1;
	buf[0] = '\0';
	while (i < len) {
		if (!rec_anon_word_char(in[i])) {
			/* other characters are kept; a whole multi-byte character
			 * or none */
			size_t j = i + 1;
			while (j < len && ((unsigned char)in[j] & 0xc0) == 0x80)
				j++;
			if (in[i] != ' ')
				first = first && in[i] == '[';
			if (rec_anon_put(buf, sizeof(buf), &pos, in + i, j - i) != 0)
				break;
			i = j;
			continue;
		}
		size_t j = i;
		while (j < len && rec_anon_word_char(in[j]))
			j++;
		rec_anon_word(x, in + i, j - i, first && first_is_name, buf, sizeof(buf), &pos);
		first = 0;
		i = j;
	}
	/* cut at a character boundary when out is shorter */
	size_t k = strlen(buf);
	if (k >= n) {
		k = n - 1;
		while (k > 0 && ((unsigned char)buf[k] & 0xc0) == 0x80)
			k--;
	}
	memcpy(out, buf, k);
	out[k] = '\0';
}

/* Replaces a field with text, cut at a character boundary to fit cap. */
static void rec_anon_set(char *f, size_t cap, const char *text)
{
	size_t k = strlen(text);
	if (k >= cap) {
		k = cap - 1;
		while (k > 0 && ((unsigned char)text[k] & 0xc0) == 0x80)
			k--;
	}
	memmove(f, text, k);
	f[k] = '\0';
}

/* A name field in place. */
static void rec_anon_name_field(struct rec_anon *x, char *f, size_t cap)
{
	char out[320];
	if (!f[0])
		return;
	rec_anon_name(x, f, out, sizeof(out));
	rec_anon_set(f, cap, out);
}

static void rec_anon_text_field(struct rec_anon *x, char *f, size_t cap, int first_is_name)
{
	char out[1024];
	if (!f[0])
		return;
	rec_anon_text(x, f, first_is_name, out, sizeof(out));
	rec_anon_set(f, cap, out);
}

/* An RFC 4514 name ("CN=mx1,O=Org,C=US"): CN as a host name, C kept, every
 * other value hashed as text. Separators escaped with '\' stay in values. */
static void rec_anon_dn(struct rec_anon *x, char *f, size_t cap)
{
	char out[1024], val[300], rep[320];
	size_t pos = 0, i = 0, len = strlen(f);
	out[0] = '\0';
	while (i < len) {
		size_t j = i;
		while (j < len && f[j] != ',' && f[j] != '+')
			j += f[j] == '\\' && j + 1 < len ? 2 : 1;
		const char *eq = memchr(f + i, '=', j - i);
		size_t ak = eq ? (size_t)(eq - (f + i)) + 1 : 0;
		size_t vk = j - i - ak;
		if (rec_anon_put(out, sizeof(out), &pos, f + i, ak) != 0)
			break;
		if (vk >= sizeof(val))
			vk = sizeof(val) - 1;
		memcpy(val, f + i + ak, vk);
		val[vk] = '\0';
		if (ak == 2 && strncasecmp(f + i, "C=", 2) == 0)
			snprintf(rep, sizeof(rep), "%s", val);
		else if (ak == 3 && strncasecmp(f + i, "CN=", 3) == 0)
			rec_anon_name(x, val, rep, sizeof(rep));
		else
			anon_text(x->anon, val, rep, sizeof(rep));
		if (rec_anon_put(out, sizeof(out), &pos, rep, strlen(rep)) != 0 ||
		    (j < len && rec_anon_put(out, sizeof(out), &pos, f + j, 1) != 0))
			break;
		i = j + 1;
	}
	/* a DN that does not fit is cut after its last whole attribute */
	rec_anon_set(f, cap, out);
	if (strlen(out) >= cap) {
		char *comma = strrchr(f, ',');
		if (comma)
			*comma = '\0';
	}
}

/* The SAN list: whole entries only, as the certificate facts keep it. */
static void rec_anon_san(struct rec_anon *x, char *f, size_t cap)
{
	char out[512], in[512], rep[320];
	size_t pos = 0;
	snprintf(in, sizeof(in), "%s", f);
	out[0] = '\0';
	for (char *s = in, *e; s && *s; s = e ? e + 1 : NULL) {
		e = strchr(s, ',');
		if (e)
			*e = '\0';
		rec_anon_name(x, s, rep, sizeof(rep));
		size_t before = pos;
		if ((pos && rec_anon_put(out, sizeof(out), &pos, ",", 1) != 0) ||
		    rec_anon_put(out, sizeof(out), &pos, rep, strlen(rep)) != 0) {
			out[before] = '\0';
			break;
		}
	}
	rec_anon_set(f, cap, out);
}

static void rec_anon_ep(struct rec_anon *x, struct rec_ep *e)
{
	if (e->family == 4)
		anon_ipv4(x->anon, e->addr, e->addr);
	else if (e->family == 6)
		anon_ipv6(x->anon, e->addr, e->addr);
}

static void rec_anon_smtp(struct rec_anon *x, struct smtp_facts *m, const struct rec_anon_keep *k)
{
	if (!k->server) {
		rec_anon_text_field(x, m->banner, sizeof(m->banner), 1);
		rec_anon_name_field(x, m->server_name, sizeof(m->server_name));
		rec_anon_text_field(x, m->ehlo_greeting, sizeof(m->ehlo_greeting), 1);
		for (int i = 0; i < m->ncaps && i < SMTP_MAX_CAPS; i++)
			rec_anon_text_field(x, m->caps[i], sizeof(m->caps[i]), 0);
	}
	if (!k->client)
		rec_anon_name_field(x, m->helo, sizeof(m->helo));
}

static void rec_anon_cert(struct rec_anon *x, struct cert_facts *c)
{
	if (!c->present)
		return;
	/* a self-issued certificate's issuer is its subject: a host's name;
	 * any other issuer is a CA's, and the issuer distribution of a study
	 * needs it in clear */
	int self_issued = strcmp(c->issuer, c->subject) == 0;
	rec_anon_dn(x, c->subject, sizeof(c->subject));
	rec_anon_san(x, c->san, sizeof(c->san));
	if (self_issued) {
		rec_anon_set(c->issuer, sizeof(c->issuer), c->subject);
		if (c->issuer_org[0]) {
			char rep[64];
			anon_text(x->anon, c->issuer_org, rep, sizeof(rep));
			rec_anon_set(c->issuer_org, sizeof(c->issuer_org), rep);
		}
	}
	rec_anon_name_field(x, c->hostname_checked, sizeof(c->hostname_checked));
}

static void rec_anon_dns(struct rec_anon *x, struct rec_dns *d)
{
	if (!d->present)
		return;
	rec_anon_name_field(x, d->mx_host, sizeof(d->mx_host));
	for (int i = 0; i < d->ndomains && i < REC_DNS_MAX_DOMAINS; i++)
		rec_anon_name_field(x, d->domains[i], sizeof(d->domains[i]));
	rec_anon_name_field(x, d->sts_domain, sizeof(d->sts_domain));
	for (int i = 0; i < d->sts_policy.nmx && i < MTASTS_MAX_MX; i++)
		rec_anon_name_field(x, d->sts_policy.mx[i], sizeof(d->sts_policy.mx[i]));
	rec_anon_text_field(x, d->tlsrpt_rua, sizeof(d->tlsrpt_rua), 0);
}

void rec_anon_apply(struct rec_anon *x, struct rec *r, const struct rec_anon_keep *keep)
{
	if (r->anon_key[0])
		return;
	rec_anon_ep(x, &r->client);
	rec_anon_ep(x, &r->server);
	rec_anon_smtp(x, &r->smtp, keep);
	if (!keep->server) {
		rec_anon_name_field(x, r->tls.sni, sizeof(r->tls.sni));
		rec_anon_cert(x, &r->cert);
		rec_anon_dns(x, &r->dns);
	}
	for (int i = 0; i < r->nanomalies && i < REC_MAX_ANOMALIES; i++)
		rec_anon_text_field(x, r->anomalies[i].detail, sizeof(r->anomalies[i].detail), 0);
	snprintf(r->anon_key, sizeof(r->anon_key), "%s", x->anon->key_id);
}
