/* rec_dns.c — the "dns" object of a connection record (docs/schema.md,
 * docs/dns.md). */
#include "stats/record/rec_dns.h"

#include <string.h>

#include "dissectors/base/hex.h"
#include "stats/record/rec_fields.h"

static const char *rec_dns_pick(const char *const *names, unsigned n, unsigned v)
{
	return v < n ? names[v] : "unknown";
}

const char *rec_dane_name(enum rec_dane d)
{
	static const char *const names[REC_DANE_COUNT] = {
		"none", "match", "mismatch", "unusable", "insecure", "bogus", "unknown", "no_tls",
	};
	return rec_dns_pick(names, REC_DANE_COUNT, (unsigned)d);
}

const char *rec_sts_name(enum rec_sts s)
{
	static const char *const names[REC_STS_COUNT] = {"none", "pass", "fail", "unknown"};
	return rec_dns_pick(names, REC_STS_COUNT, (unsigned)s);
}

const char *rec_sts_why_name(enum rec_sts_why w)
{
	static const char *const names[REC_STS_WHY_COUNT] = {
		"none", "no_tls", "mx_mismatch", "chain", "name", "expired",
	};
	return rec_dns_pick(names, REC_STS_WHY_COUNT, (unsigned)w);
}

const char *rec_mx_src_name(enum rec_mx_src s)
{
	static const char *const names[] = {"none", "sni", "dns"};
	return rec_dns_pick(names, 3, (unsigned)s);
}

const char *rec_tlsa_state_name(enum rec_tlsa_state s)
{
	static const char *const names[] = {"unseen", "present", "absent", "failed"};
	return rec_dns_pick(names, 4, (unsigned)s);
}

const char *rec_dnssec_name(enum rec_dnssec s)
{
	static const char *const names[] = {"insecure", "secure", "bogus"};
	return rec_dns_pick(names, 3, (unsigned)s);
}

static void rec_dns_name(rec_field_fn fn, void *ctx, const char *key, const char *s)
{
	if (s[0])
		rec_f_text(fn, ctx, key, s, SIZE_MAX, REC_BAD_NULL);
	else
		rec_f_emit(fn, ctx, key, REC_F_NULL, 0);
}

static void rec_dns_hex(rec_field_fn fn, void *ctx, const char *key, const uint8_t *p, size_t n)
{
	char buf[2 * DNS_TLSA_DATA_MAX + 1];
	hex_encode(p, n, buf);
	rec_f_text(fn, ctx, key, buf, 2 * n, REC_BAD_NULL);
}

static void rec_dns_tlsa_id(rec_field_fn fn, void *ctx, const struct dns_tlsa *t)
{
	rec_f_emit(fn, ctx, "usage", REC_F_INT, t->usage);
	rec_f_emit(fn, ctx, "selector", REC_F_INT, t->selector);
	rec_f_emit(fn, ctx, "matching_type", REC_F_INT, t->mtype);
}

static void rec_dns_tlsa(const struct rec_dns *d, rec_field_fn fn, void *ctx)
{
	if (!d->mx_host[0]) {
		rec_f_emit(fn, ctx, "tlsa", REC_F_NULL, 0);
		return;
	}
	char name[DNS_NAME_MAX + 16];
	size_t n = strnlen(d->mx_host, DNS_NAME_MAX - 1);
	memcpy(name, "_25._tcp.", 9);
	memcpy(name + 9, d->mx_host, n + 1);
	rec_f_emit(fn, ctx, "tlsa", REC_F_OBJECT, 0);
	rec_f_text(fn, ctx, "name", name, SIZE_MAX, REC_BAD_NULL);
	rec_f_text(fn, ctx, "state", rec_tlsa_state_name(d->tlsa_state), SIZE_MAX, REC_BAD_NULL);
	if (d->tlsa_state == REC_TLSA_UNSEEN)
		rec_f_emit(fn, ctx, "dnssec", REC_F_NULL, 0); /* nothing seen to judge */
	else
		rec_f_text(fn, ctx, "dnssec", rec_dnssec_name(d->tlsa_sec), SIZE_MAX, REC_BAD_NULL);
	rec_f_text(fn, ctx, "source", d->tlsa_given ? "data" : "capture", SIZE_MAX, REC_BAD_NULL);
	rec_f_emit(fn, ctx, "records", REC_F_ARRAY, 0);
	for (int i = 0; i < d->ntlsa; i++) {
		const struct dns_tlsa *t = &d->tlsa[i];
		rec_f_emit(fn, ctx, NULL, REC_F_OBJECT, 0);
		rec_dns_tlsa_id(fn, ctx, t);
		rec_dns_hex(fn, ctx, t->full_digest ? "data_sha512" : "data", t->data, t->len);
		rec_f_emit(fn, ctx, NULL, REC_F_END, 0);
	}
	rec_f_emit(fn, ctx, NULL, REC_F_END, 0);
	rec_f_emit(fn, ctx, NULL, REC_F_END, 0);
}

static void rec_dns_dane(const struct rec_dns *d, rec_field_fn fn, void *ctx)
{
	rec_f_emit(fn, ctx, "dane", REC_F_OBJECT, 0);
	rec_f_text(fn, ctx, "result", rec_dane_name(d->dane), SIZE_MAX, REC_BAD_NULL);
	if (d->dane_matched >= 0 && d->dane_matched < d->ntlsa) {
		rec_f_emit(fn, ctx, "matched", REC_F_OBJECT, 0);
		rec_dns_tlsa_id(fn, ctx, &d->tlsa[d->dane_matched]);
		rec_f_emit(fn, ctx, NULL, REC_F_END, 0);
	} else {
		rec_f_emit(fn, ctx, "matched", REC_F_NULL, 0);
	}
	if (d->dane_cert)
		rec_f_text(fn, ctx, "certificate", d->dane_cert_inferred ? "inferred" : "observed",
			   SIZE_MAX, REC_BAD_NULL);
	else
		rec_f_emit(fn, ctx, "certificate", REC_F_NULL, 0);
	rec_f_emit(fn, ctx, "covers_certificate_alarms", REC_F_BOOL, d->dane_ee_covers_cert);
	rec_f_emit(fn, ctx, NULL, REC_F_END, 0);
}

static void rec_dns_sts(const struct rec_dns *d, rec_field_fn fn, void *ctx)
{
	const struct mtasts_policy *p = &d->sts_policy;
	rec_f_emit(fn, ctx, "mta_sts", REC_F_OBJECT, 0);
	rec_dns_name(fn, ctx, "domain", d->sts_domain);
	rec_dns_name(fn, ctx, "txt_id", d->sts_txt_id);
	if (d->sts_policy_known) {
		rec_f_emit(fn, ctx, "policy", REC_F_OBJECT, 0);
		rec_f_text(fn, ctx, "mode", mtasts_mode_name((enum mtasts_mode)p->mode), SIZE_MAX,
			   REC_BAD_NULL);
		rec_f_emit(fn, ctx, "mx", REC_F_ARRAY, 0);
		for (int i = 0; i < p->nmx; i++)
			rec_f_text(fn, ctx, NULL, p->mx[i], sizeof(p->mx[i]), REC_BAD_OMIT);
		rec_f_emit(fn, ctx, NULL, REC_F_END, 0);
		rec_f_emit(fn, ctx, "max_age", REC_F_INT, p->max_age);
		rec_f_emit(fn, ctx, NULL, REC_F_END, 0);
	} else {
		rec_f_emit(fn, ctx, "policy", REC_F_NULL, 0);
	}
	rec_f_text(fn, ctx, "result", rec_sts_name(d->sts), SIZE_MAX, REC_BAD_NULL);
	if (d->sts == REC_STS_FAIL)
		rec_f_text(fn, ctx, "reason", rec_sts_why_name(d->sts_why), SIZE_MAX, REC_BAD_NULL);
	else
		rec_f_emit(fn, ctx, "reason", REC_F_NULL, 0);
	rec_f_emit(fn, ctx, NULL, REC_F_END, 0);
}

void rec_dns_fields(const struct rec_dns *d, const char *key, rec_field_fn fn, void *ctx)
{
	rec_f_emit(fn, ctx, key, REC_F_OBJECT, 0);
	rec_dns_name(fn, ctx, "mx_host", d->mx_host);
	rec_f_text(fn, ctx, "mx_host_source", rec_mx_src_name(d->mx_src), SIZE_MAX, REC_BAD_NULL);
	rec_f_emit(fn, ctx, "domains", REC_F_ARRAY, 0);
	for (int i = 0; i < d->ndomains; i++)
		rec_f_text(fn, ctx, NULL, d->domains[i], sizeof(d->domains[i]), REC_BAD_OMIT);
	rec_f_emit(fn, ctx, NULL, REC_F_END, 0);
	rec_dns_tlsa(d, fn, ctx);
	rec_dns_dane(d, fn, ctx);
	rec_dns_sts(d, fn, ctx);
	rec_dns_name(fn, ctx, "tlsrpt_rua", d->tlsrpt_rua);
	rec_f_emit(fn, ctx, NULL, REC_F_END, 0);
}
