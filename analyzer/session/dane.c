/* dane.c — the MX host, DANE and MTA-STS facts of a connection. */
#include "analyzer/session/dane.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

_Static_assert((int)REC_TLSA_PRESENT == (int)DNSV_PRESENT &&
		       (int)REC_TLSA_ABSENT == (int)DNSV_ABSENT &&
		       (int)REC_TLSA_FAILED == (int)DNSV_FAILED &&
		       (int)REC_DNSSEC_SECURE == (int)DNSV_SEC_SECURE &&
		       (int)REC_DNSSEC_BOGUS == (int)DNSV_SEC_BOGUS,
	       "the record keeps the view's states as they are");

#define DANE_NAMES 8 /* names of an address, or sources of a CNAME, looked at */

/* Whether pattern (one certificate name) covers name (RFC 6125 §6.4.3: a
 * "*" only as the whole leftmost label, matching one label). */
static int dane_pattern_match(const char *pat, size_t plen, const char *name)
{
	if (plen > 2 && pat[0] == '*' && pat[1] == '.') {
		const char *dot = strchr(name, '.');
		if (!dot || dot == name)
			return 0;
		return strlen(dot) == plen - 1 && !strncasecmp(dot, pat + 1, plen - 1);
	}
	return strlen(name) == plen && !strncasecmp(pat, name, plen);
}

int dane_name_in_cert(const char *san, const char *subject, const char *name)
{
	int dns_names = 0;
	if (!name[0])
		return 0;
	for (const char *p = san; *p;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		/* address entries (digits, dots, colons) are not DNS names */
		if (n && strspn(p, "0123456789.:abcdefABCDEF") < n) {
			dns_names++;
			if (dane_pattern_match(p, n, name))
				return 1;
		}
		p += n + (end ? 1 : 0);
	}
	if (dns_names)
		return 0;
	const char *cn = strstr(subject, "CN=");
	if (cn && (cn == subject || cn[-1] == ',')) {
		cn += 3;
		size_t n = strcspn(cn, ",");
		return dane_pattern_match(cn, n, name);
	}
	return 0;
}

static void dane_copy(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The MX host: the SNI, else a name whose A/AAAA records held the server's
 * address, preferring one that an MX record (directly or through a CNAME)
 * names. */
static void dane_mx_host(const struct dnsview *v, const struct rec *r, struct rec_dns *d)
{
	if (r->tls_valid && r->tls.sni[0]) {
		dane_copy(d->mx_host, sizeof(d->mx_host), r->tls.sni);
		for (char *c = d->mx_host; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		size_t n = strlen(d->mx_host);
		if (n && d->mx_host[n - 1] == '.')
			d->mx_host[n - 1] = '\0';
		d->mx_src = REC_MX_SNI;
		return;
	}
	char names[DANE_NAMES][DNS_NAME_MAX];
	char dom[1][DNS_NAME_MAX];
	int n = dnsview_names_of_addr(v, r->server.family, r->server.addr, r->ts_us, names,
				      DANE_NAMES);
	for (int i = 0; i < n; i++) {
		char src[DANE_NAMES][DNS_NAME_MAX];
		if (dnsview_domains_of_mx(v, names[i], r->ts_us, dom, 1) > 0) {
			dane_copy(d->mx_host, sizeof(d->mx_host), names[i]);
			d->mx_src = REC_MX_DNS;
			return;
		}
		int k = dnsview_cname_sources(v, names[i], r->ts_us, src, DANE_NAMES);
		for (int j = 0; j < k; j++)
			if (dnsview_domains_of_mx(v, src[j], r->ts_us, dom, 1) > 0) {
				dane_copy(d->mx_host, sizeof(d->mx_host), src[j]);
				d->mx_src = REC_MX_DNS;
				return;
			}
	}
	if (n > 0) {
		dane_copy(d->mx_host, sizeof(d->mx_host), names[0]);
		d->mx_src = REC_MX_DNS;
	}
}

/* Whether a TLSA record is usable for SMTP (RFC 7672 §3.1.3): DANE-TA or
 * DANE-EE, a known selector and matching type, a digest of the right size. */
static int dane_usable(const struct dns_tlsa *t)
{
	return (t->usage == 2 || t->usage == 3) && t->selector <= 1 && t->mtype <= 2 &&
	       !t->bad_length;
}

/* Whether record t matches certificate c of the chain. */
static int dane_matches(const struct dns_tlsa *t, const struct cert_dane_cert *c)
{
	if (!c->parsed)
		return 0;
	const uint8_t *dig;
	size_t len;
	if (t->mtype == 1) {
		dig = t->selector ? c->spki_sha256 : c->cert_sha256;
		len = 32;
	} else {
		/* SHA-512, or the full data kept as its SHA-512 */
		dig = t->selector ? c->spki_sha512 : c->cert_sha512;
		len = 64;
	}
	return t->len == len && !memcmp(t->data, dig, len);
}

/* DANE-TA (RFC 7672 §3.1.2): certificate k of the chain matched; the
 * certificates below it must each be issued by the next, be within their
 * dates at the connection's time (the trust anchor's own dates do not
 * count), and the leaf must name the TLSA base domain or a next-hop domain. */
static int dane_ta_accepts(const struct rec *r, const struct rec_dns *d, int k)
{
	const struct cert_dane *ch = &r->cert.dane;
	int64_t now = (int64_t)(r->ts_us / 1000000u);
	for (int i = 0; i < k; i++) {
		const struct cert_dane_cert *c = &ch->c[i];
		if (!c->issued_by_next || now < c->not_before || now >= c->not_after)
			return 0;
	}
	if (dane_name_in_cert(r->cert.san, r->cert.subject, d->mx_host))
		return 1;
	for (int i = 0; i < d->ndomains; i++)
		if (dane_name_in_cert(r->cert.san, r->cert.subject, d->domains[i]))
			return 1;
	return 0;
}

/* Whether the connection carried a completed TLS handshake. */
static int dane_tls_used(const struct rec *r)
{
	return r->encryption == REC_ENC_STARTTLS || r->encryption == REC_ENC_IMPLICIT_TLS ||
	       r->encryption == REC_ENC_TLS_UNKNOWN_START;
}

static void dane_result(const struct rec *r, struct rec_dns *d)
{
	d->dane_matched = -1;
	/* The certificate DANE looks at, when the host has TLSA records. */
	int tlsa = d->tlsa_state == DNSV_PRESENT || d->tlsa_state == DNSV_FAILED;
	d->dane_cert = tlsa && r->cert.present;
	d->dane_cert_inferred = d->dane_cert && r->cert.source == CERT_SRC_INFERRED;
	if (d->tlsa_state == DNSV_FAILED) {
		d->dane = REC_DANE_BOGUS;
		return;
	}
	if (d->tlsa_state != DNSV_PRESENT) {
		d->dane = REC_DANE_NONE;
		return;
	}
	if (d->tlsa_sec != DNSV_SEC_SECURE) {
		d->dane = REC_DANE_INSECURE;
		return;
	}
	int usable = 0;
	for (int i = 0; i < d->ntlsa; i++)
		usable += dane_usable(&d->tlsa[i]);
	if (!usable) {
		d->dane = REC_DANE_UNUSABLE;
		return;
	}
	if (!r->cert.present || !r->cert.dane.n) {
		d->dane = dane_tls_used(r) ? REC_DANE_UNKNOWN : REC_DANE_NO_TLS;
		return;
	}
	const struct cert_dane *ch = &r->cert.dane;
	int ta = 0;
	for (int i = 0; i < d->ntlsa; i++) {
		ta |= dane_usable(&d->tlsa[i]) && d->tlsa[i].usage == 2;
		const struct dns_tlsa *t = &d->tlsa[i];
		if (!dane_usable(t))
			continue;
		int hit = 0;
		if (t->usage == 3)
			hit = dane_matches(t, &ch->c[0]);
		for (int k = 1; t->usage == 2 && !hit && k < ch->n; k++)
			hit = dane_matches(t, &ch->c[k]) && dane_ta_accepts(r, d, k);
		if (hit) {
			d->dane = REC_DANE_MATCH;
			d->dane_matched = (int8_t)i;
			d->dane_ee_covers_cert = t->usage == 3;
			return;
		}
	}
	/* An inferred certificate is only its leaf: DANE-TA cannot be judged. */
	d->dane = ta && ch->n < 2 && d->dane_cert_inferred ? REC_DANE_UNKNOWN : REC_DANE_MISMATCH;
}

/* Would an MTA-STS sender in enforce mode have delivered (RFC 8461 §4)? */
static void dane_sts_judge(const struct rec *r, struct rec_dns *d)
{
	const struct mtasts_policy *p = &d->sts_policy;
	if (p->mode == MTASTS_MODE_NONE) {
		d->sts = REC_STS_NONE;
		return;
	}
	d->sts = REC_STS_FAIL;
	if (!mtasts_mx_match(p, d->mx_host))
		d->sts_why = REC_STS_WHY_MX_MISMATCH;
	else if (!r->cert.present && !dane_tls_used(r))
		d->sts_why = REC_STS_WHY_NO_TLS;
	else if (!r->cert.present)
		d->sts = REC_STS_UNKNOWN; /* TLS 1.3: the certificate was not seen */
	else if (!strcmp(r->cert.validation, "expired"))
		d->sts_why = REC_STS_WHY_EXPIRED;
	else if (strcmp(r->cert.validation, "valid"))
		d->sts_why = REC_STS_WHY_CHAIN;
	else if (!dane_name_in_cert(r->cert.san, r->cert.subject, d->mx_host))
		d->sts_why = REC_STS_WHY_NAME;
	else if (!dane_tls_used(r))
		d->sts_why = REC_STS_WHY_NO_TLS;
	else
		d->sts = REC_STS_PASS;
}

/* The MTA-STS and TLS-RPT facts: the first candidate domain with a policy
 * (or an _mta-sts record) is the one applied. */
static void dane_sts(const struct dnsview *v, const struct rec *r, struct rec_dns *d)
{
	char name[DNS_NAME_MAX + 16];
	for (int i = 0; i < d->ndomains; i++) {
		const char *dom = d->domains[i];
		const struct mtasts_policy *p = dnsview_policy(v, dom);
		char txt[DNS_TXT_MAX], rua[MTASTS_RUA_MAX];
		snprintf(name, sizeof(name), "_smtp._tls.%s", dom);
		if (!d->tlsrpt_rua[0] &&
		    dnsview_txt(v, name, "v=TLSRPTv1", r->ts_us, txt, sizeof(txt), NULL) ==
			    DNSV_PRESENT &&
		    mtasts_tlsrpt_parse(txt, rua) == 0)
			snprintf(d->tlsrpt_rua, sizeof(d->tlsrpt_rua), "%s", rua);
		snprintf(name, sizeof(name), "_mta-sts.%s", dom);
		int txt_ok = dnsview_txt(v, name, "v=STSv1", r->ts_us, txt, sizeof(txt), NULL) ==
				     DNSV_PRESENT &&
			     mtasts_txt_parse(txt, d->sts_txt_id) == 0;
		if (d->sts_domain[0] || (!p && !txt_ok))
			continue;
		snprintf(d->sts_domain, sizeof(d->sts_domain), "%s", dom);
		if (!txt_ok)
			d->sts_txt_id[0] = '\0';
		if (p) {
			d->sts_policy_known = 1;
			d->sts_policy = *p;
			dane_sts_judge(r, d);
		} else {
			d->sts = REC_STS_UNKNOWN; /* announced, but the policy was not given */
		}
	}
	if (!d->sts_domain[0])
		d->sts_txt_id[0] = '\0';
}

void dane_annotate(const struct dnsview *v, struct rec *r)
{
	struct rec_dns *d = &r->dns;
	if (dnsview_empty(v)) {
		d->present = 0; /* the rest is not read (and is 4 KiB to clear) */
		return;
	}
	memset(d, 0, sizeof(*d));
	d->dane_matched = -1;
	d->present = 1;
	dane_mx_host(v, r, d);
	if (!d->mx_host[0])
		return;
	d->ndomains = (uint8_t)dnsview_domains_of_mx(v, d->mx_host, r->ts_us, d->domains,
						     REC_DNS_MAX_DOMAINS);
	struct dnsv_tlsa_set ts;
	dnsview_tlsa(v, d->mx_host, r->server.port, r->ts_us, &ts);
	d->tlsa_state = ts.state;
	d->tlsa_sec = ts.sec;
	d->tlsa_given = ts.given;
	d->ntlsa = (uint8_t)(ts.n < REC_DNS_MAX_TLSA ? ts.n : REC_DNS_MAX_TLSA);
	memcpy(d->tlsa, ts.r, (size_t)d->ntlsa * sizeof(d->tlsa[0]));
	dane_result(r, d);
	dane_sts(v, r, d);
}
