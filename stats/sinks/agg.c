/* agg.c — statistics over connection records; the versioned JSON snapshot.
 *
 * Every counter is listed once, in agg_visit(), with its place in the JSON
 * snapshot and how it merges; writing, reading back and merging snapshots
 * all walk that one list, so they cannot disagree.
 */
#include "stats/sinks/agg.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dissectors/proto/ciphers.h"
#include "dissectors/proto/tls.h"

enum agg_kind { AGG_SUM, AGG_MIN_NZ, AGG_MAX };

static const char *const agg_cap_names[AGG_CAP_COUNT] = {
	[AGG_CAP_STARTTLS] = "STARTTLS",
	[AGG_CAP_REQUIRETLS] = "REQUIRETLS",
	[AGG_CAP_SMTPUTF8] = "SMTPUTF8",
	[AGG_CAP_CHUNKING] = "CHUNKING",
	[AGG_CAP_PIPELINING] = "PIPELINING",
	[AGG_CAP_8BITMIME] = "8BITMIME",
	[AGG_CAP_SIZE] = "SIZE",
	[AGG_CAP_AUTH] = "AUTH",
	[AGG_CAP_DSN] = "DSN",
	[AGG_CAP_ENHANCEDSTATUSCODES] = "ENHANCEDSTATUSCODES",
};

static const char *const agg_srv_names[AGG_SRV_COUNT] = {
	[AGG_SRV_CONNECTIONS] = "connections",
	[AGG_SRV_PLAINTEXT] = "plaintext",
	[AGG_SRV_STARTTLS] = "starttls",
	[AGG_SRV_IMPLICIT_TLS] = "implicit_tls",
	[AGG_SRV_REFUSED] = "starttls_refused",
	[AGG_SRV_FAILED] = "starttls_failed",
	[AGG_SRV_OFFERED] = "starttls_offered",
	[AGG_SRV_TLS13] = "tls13",
	[AGG_SRV_WEAK] = "weak_or_insecure_cipher",
	[AGG_SRV_MESSAGES_PLAIN] = "plaintext_messages",
};

/* The distributions, with their place in the snapshot. */
#define AGG_MAPS(X)                                                                                \
	X(versions, "tls.versions")                                                                \
	X(client_max, "tls.client_max_versions")                                                   \
	X(ciphers, "tls.ciphers")                                                                  \
	X(grades, "tls.grades")                                                                    \
	X(groups, "tls.groups")                                                                    \
	X(dh_bits, "tls.dh_bits")                                                                  \
	X(alerts, "tls.alerts")                                                                    \
	X(ja3, "tls.ja3")                                                                          \
	X(ja4, "tls.ja4")                                                                          \
	X(software, "smtp.server_software")                                                        \
	X(anomalies, "anomalies")                                                                  \
	X(anomalies_cross, "anomalies_cross")                                                      \
	X(cert_keys, "cert.key_types")                                                             \
	X(cert_sigalgs, "cert.signature_algorithms")                                               \
	X(cert_issuers, "cert.issuers")                                                            \
	X(cert_validation, "cert.validation")

/* Per distinct certificate (keyed by its SHA-256). */
enum {
	AGG_CERT_CONNECTIONS,
	AGG_CERT_SELF_SIGNED,
	AGG_CERT_VALID,
	AGG_CERT_EXPIRED,
	AGG_CERT_COUNT
};
static const char *const agg_cert_names[AGG_CERT_COUNT] = {"connections", "self_signed", "valid",
							   "expired"};

static const char *const agg_out_names[AGG_OUT_COUNT] = {
	"connections",	   "unknown",		"plaintext",
	"starttls",	   "implicit_tls",	"starttls_refused",
	"starttls_failed", "tls_unknown_start", "anomalies",
	"tls13",	   "tls13_pq_offered",	"tls13_pq_negotiated",
};

void agg_init(struct agg *a, struct mem *mem, const struct agg_cfg *cfg)
{
	memset(a, 0, sizeof(*a));
	a->mem = mem;
	a->bucket_us = cfg->bucket_us ? cfg->bucket_us : 3600000000ull;
	a->geo = cfg->geo;
	agg_map_init(&a->time, mem, cfg->max_keys, AGG_OUT_COUNT, agg_out_names);
	agg_map_init(&a->by_country, mem, cfg->max_keys, AGG_OUT_COUNT, agg_out_names);
	agg_map_init(&a->by_as, mem, cfg->max_keys, AGG_OUT_COUNT, agg_out_names);
	agg_map_init(&a->by_direction, mem, 4, AGG_OUT_COUNT, agg_out_names);
	agg_map_init(&a->certs, mem, cfg->max_keys, AGG_CERT_COUNT, agg_cert_names);
#define AGG_INIT_MAP(f, path) agg_map_init(&a->f, mem, cfg->max_keys, 1, NULL);
	AGG_MAPS(AGG_INIT_MAP)
#undef AGG_INIT_MAP
	agg_map_init(&a->servers, mem, cfg->max_servers, AGG_SRV_COUNT, agg_srv_names);
	agg_dns_init(&a->dns, mem, cfg->max_keys);
	agg_pq_init(&a->pq, mem, cfg->max_keys);
	agg_policy_init(&a->policy, mem, cfg->max_servers, cfg->max_keys);
}

void agg_free(struct agg *a)
{
#define AGG_FREE_MAP(f, path) agg_map_free(&a->f);
	AGG_MAPS(AGG_FREE_MAP)
#undef AGG_FREE_MAP
	agg_map_free(&a->servers);
	agg_map_free(&a->time);
	agg_map_free(&a->by_country);
	agg_map_free(&a->by_as);
	agg_map_free(&a->by_direction);
	agg_map_free(&a->certs);
	agg_dns_free(&a->dns);
	agg_pq_free(&a->pq);
	agg_policy_free(&a->policy);
}

/* Calls fn for every scalar counter: its path in the snapshot, its address,
 * and how it merges. */
typedef void (*agg_visit_fn)(void *ctx, const char *path, uint64_t *v, enum agg_kind k);

/* The engine's counters, under the names it gives them. */
struct agg_visit_health {
	agg_visit_fn fn;
	void *ctx;
};

static void agg_visit_health_fn(void *ctx, const char *name, uint64_t *v, enum eng_health_merge how)
{
	const struct agg_visit_health *vh = ctx;
	vh->fn(vh->ctx, name, v,
	       how == ENG_HEALTH_MAX	  ? AGG_MAX
	       : how == ENG_HEALTH_MIN_NZ ? AGG_MIN_NZ
					  : AGG_SUM);
}

static void agg_visit(struct agg *a, agg_visit_fn fn, void *ctx)
{
	char p[96];
	struct agg_visit_health vh = {fn, ctx};
	eng_health_visit(&a->health, agg_visit_health_fn, &vh);

	fn(ctx, "connections.total", &a->connections, AGG_SUM);
	fn(ctx, "connections.complete", &a->complete, AGG_SUM);
	fn(ctx, "connections.midstream", &a->midstream, AGG_SUM);
	for (int i = 0; i < REC_END_COUNT; i++) {
		snprintf(p, sizeof(p), "connections.by_end.%s", rec_end_name((enum rec_end)i));
		fn(ctx, p, &a->by_end[i], AGG_SUM);
	}
	fn(ctx, "connections.with_gaps", &a->with_gaps, AGG_SUM);
	fn(ctx, "connections.gap_bytes", &a->gap_bytes, AGG_SUM);
	fn(ctx, "connections.packets.client", &a->packets[0], AGG_SUM);
	fn(ctx, "connections.packets.server", &a->packets[1], AGG_SUM);
	fn(ctx, "connections.bytes.client", &a->bytes[0], AGG_SUM);
	fn(ctx, "connections.bytes.server", &a->bytes[1], AGG_SUM);

	for (int i = 0; i < REC_ENC_COUNT; i++) {
		snprintf(p, sizeof(p), "encryption.connections.%s", rec_enc_name((enum rec_enc)i));
		fn(ctx, p, &a->by_enc[i], AGG_SUM);
		snprintf(p, sizeof(p), "encryption.bytes.%s", rec_enc_name((enum rec_enc)i));
		fn(ctx, p, &a->bytes_by_enc[i], AGG_SUM);
	}
	fn(ctx, "smtp.connections", &a->smtp_connections, AGG_SUM);
	fn(ctx, "smtp.ehlo_ok", &a->ehlo_ok, AGG_SUM);
	fn(ctx, "smtp.starttls_offered", &a->starttls_offered, AGG_SUM);
	fn(ctx, "smtp.starttls_offered_and_used", &a->starttls_offered_used, AGG_SUM);
	fn(ctx, "smtp.starttls_requested", &a->starttls_requested, AGG_SUM);
	fn(ctx, "smtp.plaintext_messages", &a->plain_messages, AGG_SUM);
	fn(ctx, "smtp.plaintext_message_bytes", &a->plain_message_bytes, AGG_SUM);
	for (int i = 0; i < AGG_CAP_COUNT; i++) {
		snprintf(p, sizeof(p), "smtp.capabilities.%s", agg_cap_names[i]);
		fn(ctx, p, &a->caps[i], AGG_SUM);
	}
	fn(ctx, "smtp.auth", &a->auth_seen, AGG_SUM);
	fn(ctx, "smtp.auth_before_tls", &a->auth_before_tls, AGG_SUM);

	fn(ctx, "tls.connections", &a->tls_connections, AGG_SUM);
	fn(ctx, "tls.negotiated", &a->tls_negotiated, AGG_SUM);
	fn(ctx, "tls.established", &a->tls_established, AGG_SUM);
	fn(ctx, "tls.forward_secrecy", &a->tls_fs, AGG_SUM);
	fn(ctx, "tls.aead", &a->tls_aead, AGG_SUM);
	fn(ctx, "tls.resumed", &a->tls_resumed, AGG_SUM);
	fn(ctx, "tls.fallback_scsv", &a->tls_fallback_scsv, AGG_SUM);
	fn(ctx, "tls.downgrade_sentinel", &a->tls_downgrade_sentinel, AGG_SUM);
	fn(ctx, "tls.certificate_visible", &a->tls_cert_visible, AGG_SUM);
	fn(ctx, "cert.observed", &a->cert_observed, AGG_SUM);
	fn(ctx, "cert.inferred", &a->cert_inferred, AGG_SUM);
	fn(ctx, "cert.unseen", &a->cert_unseen, AGG_SUM);
	fn(ctx, "cert.self_signed", &a->cert_self_signed, AGG_SUM);
	fn(ctx, "cert.chain_valid", &a->cert_valid, AGG_SUM);
	fn(ctx, "cert.expired", &a->cert_expired, AGG_SUM);
	fn(ctx, "cert.hostname_mismatch", &a->cert_mismatch, AGG_SUM);
	fn(ctx, "cert.weak_key_or_signature", &a->cert_weak, AGG_SUM);
}

/* Calls fn for every distribution. */
static void agg_visit_maps(struct agg *a, void (*fn)(void *, const char *, struct agg_map *),
			   void *ctx)
{
#define AGG_VISIT_MAP(f, path) fn(ctx, path, &a->f);
	AGG_MAPS(AGG_VISIT_MAP)
#undef AGG_VISIT_MAP
	fn(ctx, "servers", &a->servers);
	fn(ctx, "time", &a->time);
	fn(ctx, "by_country", &a->by_country);
	fn(ctx, "by_as", &a->by_as);
	fn(ctx, "by_direction", &a->by_direction);
	fn(ctx, "cert.distinct", &a->certs);
}

static int agg_has_cap(const struct smtp_facts *f, const char *name)
{
	size_t n = strlen(name);
	for (int i = 0; i < f->ncaps; i++)
		if (strncasecmp(f->caps[i], name, n) == 0 &&
		    (f->caps[i][n] == '\0' || f->caps[i][n] == ' ' || f->caps[i][n] == '='))
			return 1;
	return 0;
}

/* The connection itself: how it went and how much it carried. */
static void agg_rec_connection(struct agg *a, const struct rec *r, unsigned enc)
{
	a->connections++;
	a->complete += r->complete;
	a->midstream += r->tcp.midstream;
	if (r->end < REC_END_COUNT)
		a->by_end[r->end]++;
	if (r->gap_bytes) {
		a->with_gaps++;
		a->gap_bytes += r->gap_bytes;
	}
	for (int i = 0; i < 2; i++) {
		a->packets[i] += r->packets[i];
		a->bytes[i] += r->bytes[i];
	}
	a->by_enc[enc]++;
	a->bytes_by_enc[enc] += r->bytes[0] + r->bytes[1];
}

/* The SMTP dialogue in the clear. */
static void agg_rec_smtp(struct agg *a, const struct rec *r, unsigned enc)
{
	const struct smtp_facts *m = &r->smtp;
	if (!r->smtp_valid)
		return;
	a->smtp_connections++;
	if (m->ehlo_reply == 250) {
		a->ehlo_ok++;
		for (int i = 0; i < AGG_CAP_COUNT; i++)
			a->caps[i] += (uint64_t)agg_has_cap(m, agg_cap_names[i]);
	}
	a->starttls_offered += m->starttls_offered;
	a->starttls_requested += m->starttls_requested;
	a->starttls_offered_used += m->starttls_offered && m->starttls_requested;
	if (enc != REC_ENC_STARTTLS && enc != REC_ENC_IMPLICIT_TLS) {
		a->plain_messages += m->messages;
		a->plain_message_bytes += m->message_bytes;
	}
	if (m->auth_mech[0]) {
		a->auth_seen++;
		a->auth_before_tls += m->auth_before_tls;
	}
	const char *sw = smtp_server_software(m);
	agg_map_add(&a->software, sw ? sw : "unknown", 0, 1);
}

/* The TLS handshake. Returns whether the negotiated suite is weak or
 * insecure. */
static int agg_rec_tls(struct agg *a, const struct rec *r)
{
	char buf[64], key[80];
	const struct tls_facts *t = &r->tls;
	if (!r->tls_valid)
		return 0;
	a->tls_connections++;
	a->tls_fallback_scsv += t->fallback_scsv;
	if (t->client_max_version)
		agg_map_add(&a->client_max,
			    suite_version_name(t->client_max_version, buf, sizeof(buf)), 0, 1);
	if (t->ja3[0])
		agg_map_add(&a->ja3, t->ja3, 0, 1);
	if (t->ja4[0])
		agg_map_add(&a->ja4, t->ja4, 0, 1);
	for (int d = 0; d < 2; d++)
		for (int i = 0; i < t->alerts_n[d] && i < TLS_MAX_ALERTS; i++) {
			snprintf(key, sizeof(key), "%s:%u", d ? "server" : "client",
				 (unsigned)t->alerts[d][i][1]);
			agg_map_add(&a->alerts, key, 0, 1);
		}
	if (!t->server_hello)
		return 0;
	a->tls_negotiated++;
	a->tls_established += t->established;
	a->tls_resumed += t->resumed;
	a->tls_downgrade_sentinel += t->downgrade_sentinel != 0;
	a->tls_cert_visible += t->server_certs != 0;
	agg_map_add(&a->versions, suite_version_name(t->version, buf, sizeof(buf)), 0, 1);
	agg_map_add(&a->ciphers, suite_name(t->cipher, buf, sizeof(buf)), 0, 1);
	enum suite_grade g = suite_grade(t->cipher, t->version);
	agg_map_add(&a->grades, suite_grade_name(g), 0, 1);
	const struct suite_info *si = suite_lookup(t->cipher);
	if (si) {
		a->tls_fs += si->fs || t->version == 0x0304;
		a->tls_aead += si->aead;
	}
	if (t->group)
		agg_map_add(&a->groups, suite_group_name(t->group, buf, sizeof(buf)), 0, 1);
	if (t->dh_bits) {
		snprintf(key, sizeof(key), "%u", (unsigned)t->dh_bits);
		agg_map_add(&a->dh_bits, key, 0, 1);
	}
	return g == SUITE_GRADE_WEAK || g == SUITE_GRADE_INSECURE;
}

/* The server's certificate, per connection with a negotiated TLS. */
static void agg_rec_cert(struct agg *a, const struct rec *r)
{
	char key[80];
	const struct cert_facts *c = &r->cert;
	if (!r->tls_valid || !r->tls.server_hello)
		return;
	if (!c->present) {
		a->cert_unseen++;
		return;
	}
	if (c->source == CERT_SRC_INFERRED)
		a->cert_inferred++;
	else
		a->cert_observed++;
	int valid = strcmp(c->validation, "valid") == 0;
	a->cert_self_signed += c->self_signed == 1;
	a->cert_valid += (uint64_t)valid;
	a->cert_expired += c->expired;
	a->cert_mismatch += c->hostname_match == 0;
	a->cert_weak += c->weak_sig ||
			(strncmp(c->key_type, "RSA", 3) == 0 && c->key_bits && c->key_bits < 2048);
	snprintf(key, sizeof(key), "%s %u", c->key_type[0] ? c->key_type : "unknown",
		 (unsigned)c->key_bits);
	agg_map_add(&a->cert_keys, key, 0, 1);
	agg_map_add(&a->cert_sigalgs, c->sig_alg[0] ? c->sig_alg : "unknown", 0, 1);
	agg_map_add(&a->cert_issuers,
		    c->issuer_org[0] ? c->issuer_org : (c->issuer[0] ? c->issuer : "unknown"), 0,
		    1);
	agg_map_add(&a->cert_validation, c->validation[0] ? c->validation : "unknown", 0, 1);
	if (c->sha256[0]) {
		agg_map_add(&a->certs, c->sha256, AGG_CERT_CONNECTIONS, 1);
		if (c->self_signed == 1)
			agg_map_add(&a->certs, c->sha256, AGG_CERT_SELF_SIGNED, 1);
		if (valid)
			agg_map_add(&a->certs, c->sha256, AGG_CERT_VALID, 1);
		if (c->expired)
			agg_map_add(&a->certs, c->sha256, AGG_CERT_EXPIRED, 1);
	}
}

/* The anomalies by type. Returns how many were found in this connection
 * alone: history-based ones are kept out of the outcome counts, they do not
 * add up across shards (see anomalies_cross). */
static uint64_t agg_rec_anomalies(struct agg *a, const struct rec *r, const struct rec_verdict *v)
{
	uint64_t own = 0;
	for (int i = 0; i < rec_anomaly_count(r, v); i++) {
		const struct rec_anomaly *x = rec_anomaly_at(r, v, i);
		agg_map_add(x->cross ? &a->anomalies_cross : &a->anomalies,
			    rec_anom_name((enum rec_anom)x->type), 0, 1);
		own += !x->cross;
	}
	return own;
}

/* Outcome counts by time bucket, direction, country and AS, with the
 * post-quantum breakdown of TLS 1.3 connections (as agg_pq.c counts them). */
static void agg_rec_outcome(struct agg *a, const struct rec *r, unsigned enc,
			    uint64_t own_anomalies)
{
	char tkey[32], ckey[80], gbuf[160];
	uint64_t b = r->ts_us - r->ts_us % a->bucket_us;
	rec_format_ts(b, tkey, sizeof(tkey));
	memcpy(tkey + 19, "Z", 2); /* whole seconds: 2026-11-22T09:00:00Z */
	const struct tls_facts *t = &r->tls;
	int tls13 = r->tls_valid && t->client_hello && !t->sslv2_client_hello && t->server_hello &&
		    t->version == 0x0304;
	struct agg_map *ms[4] = {&a->time, &a->by_direction, &a->by_country, &a->by_as};
	const char *keys[4] = {tkey, "external", "unknown", "unknown"};
	if (a->geo) {
		const struct rec_ep *remote = geo_remote(a->geo, r);
		keys[1] = geo_dir_name(geo_direction(a->geo, r));
		keys[2] = a->geo->have_country ? geo_country(a->geo, remote, ckey, sizeof(ckey))
					       : NULL;
		keys[3] = a->geo->have_asn ? geo_asn(a->geo, remote, gbuf, sizeof(gbuf)) : NULL;
	} else {
		keys[2] = keys[3] = NULL;
	}
	for (int k = 0; k < 4; k++) {
		if (!keys[k])
			continue;
		uint64_t *v = agg_map_counters(ms[k], keys[k]);
		v[AGG_OUT_CONNECTIONS]++;
		v[1 + enc]++;
		v[AGG_OUT_ANOMALIES] += own_anomalies;
		if (tls13) {
			v[AGG_OUT_TLS13]++;
			if (t->client_pq_offered)
				v[AGG_OUT_PQ_OFFERED]++;
			if (tls_pq_verdict(t) == TLS_PQ_NEGOTIATED)
				v[AGG_OUT_PQ_NEGOTIATED]++;
		}
	}
}

/* The per-server counters. */
static void agg_rec_server(struct agg *a, const struct rec *r, unsigned enc, int weak)
{
	static const int8_t enc_srv[REC_ENC_COUNT] = {
		[REC_ENC_UNKNOWN] = -1,
		[REC_ENC_PLAINTEXT] = AGG_SRV_PLAINTEXT,
		[REC_ENC_STARTTLS] = AGG_SRV_STARTTLS,
		[REC_ENC_IMPLICIT_TLS] = AGG_SRV_IMPLICIT_TLS,
		[REC_ENC_STARTTLS_REFUSED] = AGG_SRV_REFUSED,
		[REC_ENC_STARTTLS_FAILED] = AGG_SRV_FAILED,
		[REC_ENC_TLS_UNKNOWN_START] = -1,
	};
	const struct smtp_facts *m = &r->smtp;
	const struct tls_facts *t = &r->tls;
	char ip[64], key[80];
	rec_format_addr(&r->server, ip, sizeof(ip));
	snprintf(key, sizeof(key), r->server.family == 6 ? "[%s]:%u" : "%s:%u", ip,
		 (unsigned)r->server.port);
	uint64_t *v = agg_map_counters(&a->servers, key);
	v[AGG_SRV_CONNECTIONS]++;
	if (enc_srv[enc] >= 0)
		v[enc_srv[enc]]++;
	if (r->smtp_valid && m->starttls_offered)
		v[AGG_SRV_OFFERED]++;
	if (r->tls_valid && t->server_hello && t->version == 0x0304)
		v[AGG_SRV_TLS13]++;
	if (weak)
		v[AGG_SRV_WEAK]++;
	if (r->smtp_valid && enc != REC_ENC_STARTTLS && enc != REC_ENC_IMPLICIT_TLS)
		v[AGG_SRV_MESSAGES_PLAIN] += m->messages;
}

void agg_record(struct agg *a, const struct rec *r, const struct rec_verdict *v)
{
	unsigned enc = r->encryption < REC_ENC_COUNT ? r->encryption : REC_ENC_UNKNOWN;
	agg_rec_connection(a, r, enc);
	/* Facts a record could not show are counted apart, never as "no". */
	int partial = agg_unknown_record(&a->unknown, r);
	if (!partial)
		agg_rec_smtp(a, r, enc);
	else if (r->smtp_valid) /* a STARTTLS command shows in a head */
		a->starttls_requested += r->smtp.starttls_requested;
	int weak = partial ? 0 : agg_rec_tls(a, r);
	agg_rec_cert(a, r);
	uint64_t own_anomalies = agg_rec_anomalies(a, r, v);
	agg_rec_outcome(a, r, enc, own_anomalies);
	agg_rec_server(a, r, enc, weak);
	agg_dns_record(&a->dns, r);
	agg_pq_record(&a->pq, r);
	agg_policy_record(&a->policy, r, v);
}

void agg_add_health(struct agg *a, const struct eng_health *h)
{
	eng_health_add(&a->health, h);
}

/* merge: collect b's counters in visiting order, then add them to a */
struct agg_collect {
	uint64_t v[512];
	size_t n;
};

static void agg_collect_fn(void *ctx, const char *path, uint64_t *v, enum agg_kind k)
{
	struct agg_collect *c = ctx;
	(void)path;
	(void)k;
	if (c->n < sizeof(c->v) / sizeof(c->v[0]))
		c->v[c->n++] = *v;
}

static void agg_combine(uint64_t *dst, uint64_t src, enum agg_kind k)
{
	switch (k) {
	case AGG_SUM: *dst += src; break;
	case AGG_MAX:
		if (src > *dst)
			*dst = src;
		break;
	case AGG_MIN_NZ:
		if (src && (!*dst || src < *dst))
			*dst = src;
		break;
	}
}

struct agg_apply {
	const struct agg_collect *c;
	size_t i;
};

static void agg_apply_fn(void *ctx, const char *path, uint64_t *v, enum agg_kind k)
{
	struct agg_apply *ap = ctx;
	(void)path;
	if (ap->i < ap->c->n)
		agg_combine(v, ap->c->v[ap->i++], k);
}

struct agg_map_pair {
	struct agg_map *b[32];
	size_t n, i;
};

static void agg_collect_map(void *ctx, const char *path, struct agg_map *m)
{
	struct agg_map_pair *p = ctx;
	(void)path;
	if (p->n < 32)
		p->b[p->n++] = m;
}

static void agg_merge_map(void *ctx, const char *path, struct agg_map *m)
{
	struct agg_map_pair *p = ctx;
	(void)path;
	if (p->i < p->n)
		agg_map_merge(m, p->b[p->i++]);
}

void agg_merge(struct agg *a, const struct agg *b)
{
	struct agg_collect c = {.n = 0};
	agg_visit((struct agg *)(uintptr_t)b, agg_collect_fn, &c);
	struct agg_apply ap = {&c, 0};
	agg_visit(a, agg_apply_fn, &ap);
	struct agg_map_pair mp = {.n = 0};
	agg_visit_maps((struct agg *)(uintptr_t)b, agg_collect_map, &mp);
	agg_visit_maps(a, agg_merge_map, &mp);
	agg_dns_merge(&a->dns, &b->dns);
	agg_pq_merge(&a->pq, &b->pq);
	agg_unknown_merge(&a->unknown, &b->unknown);
	agg_policy_merge(&a->policy, &b->policy);
}

/* JSON: dotted paths become nested objects */
static json_t *agg_path_parent(json_t *root, const char *path, char *leaf, size_t leaflen)
{
	json_t *o = root;
	const char *s = path;
	for (;;) {
		const char *dot = strchr(s, '.');
		if (!dot) {
			snprintf(leaf, leaflen, "%s", s);
			return o;
		}
		char part[64];
		size_t n =
			(size_t)(dot - s) < sizeof(part) - 1 ? (size_t)(dot - s) : sizeof(part) - 1;
		memcpy(part, s, n);
		part[n] = '\0';
		json_t *next = json_object_get(o, part);
		if (!next) {
			next = json_object();
			json_object_set_new(o, part, next);
		}
		o = next;
		s = dot + 1;
	}
}

static void agg_json_fn(void *ctx, const char *path, uint64_t *v, enum agg_kind k)
{
	char leaf[64];
	(void)k;
	json_t *parent = agg_path_parent(ctx, path, leaf, sizeof(leaf));
	json_object_set_new(parent, leaf, json_integer((json_int_t)*v));
}

static void agg_json_map(void *ctx, const char *path, struct agg_map *m)
{
	char leaf[64];
	json_t *parent = agg_path_parent(ctx, path, leaf, sizeof(leaf));
	json_object_set_new(parent, leaf, agg_map_json(m));
}

static json_t *agg_ratio(uint64_t num, uint64_t den)
{
	return json_pack("{s:I,s:I,s:o}", "num", (json_int_t)num, "den", (json_int_t)den, "share",
			 den ? json_real((double)num / (double)den) : json_null());
}

/* Counts of distinct servers, from the per-server map. */
static void agg_server_counts(const struct agg *a, uint64_t *servers, uint64_t *offering,
			      uint64_t *never_encrypted)
{
	*servers = *offering = *never_encrypted = 0;
	const struct agg_map *s = &a->servers;
	for (uint32_t i = 0; i < s->nslots; i++) {
		const struct agg_map_ent *e = &s->slots[i];
		if (!e->key)
			continue;
		(*servers)++;
		*offering += e->v[AGG_SRV_OFFERED] != 0;
		*never_encrypted += e->v[AGG_SRV_STARTTLS] + e->v[AGG_SRV_IMPLICIT_TLS] == 0 &&
				    e->v[AGG_SRV_PLAINTEXT] != 0;
	}
}

json_t *agg_to_json(const struct agg *a)
{
	json_t *root = json_object();
	if (!root)
		return NULL;
	json_object_set_new(root, "format", json_string("smtptls-stats"));
	json_object_set_new(root, "version", json_integer(AGG_SNAPSHOT_VERSION));
	agg_visit((struct agg *)(uintptr_t)a, agg_json_fn, root);
	agg_visit_maps((struct agg *)(uintptr_t)a, agg_json_map, root);
	/* A run that saw no DNS has no health.dns: its snapshot is what it was
	 * before DNS was read (absent counters read back as 0). */
	if (!eng_health_has_dns(&a->health))
		json_object_del(json_object_get(root, "health"), "dns");
	char ts[32];
	json_t *span = json_object_get(root, "span");
	if (a->health.first_us) {
		rec_format_ts(a->health.first_us, ts, sizeof(ts));
		json_object_set_new(span, "first", json_string(ts));
		rec_format_ts(a->health.last_us, ts, sizeof(ts));
		json_object_set_new(span, "last", json_string(ts));
	} else {
		json_object_set_new(span, "first", json_null());
		json_object_set_new(span, "last", json_null());
	}

	/* Ratios: derived from the counters above (never merged themselves). */
	uint64_t enc = a->by_enc[REC_ENC_STARTTLS] + a->by_enc[REC_ENC_IMPLICIT_TLS];
	uint64_t judged = a->connections - a->by_enc[REC_ENC_UNKNOWN];
	uint64_t bytes_enc =
		a->bytes_by_enc[REC_ENC_STARTTLS] + a->bytes_by_enc[REC_ENC_IMPLICIT_TLS];
	uint64_t bytes_all = a->bytes[0] + a->bytes[1];
	uint64_t servers, offering, never;
	agg_server_counts(a, &servers, &offering, &never);
	const uint64_t *v13 = agg_map_get(&a->versions, "TLSv1.3");
	const uint64_t *strong = agg_map_get(&a->grades, "strong");
	const uint64_t *modern = agg_map_get(&a->grades, "modern");
	json_t *ratios = json_pack(
		"{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "encrypted_connections",
		agg_ratio(enc, judged), "encrypted_bytes", agg_ratio(bytes_enc, bytes_all),
		"starttls_offered", agg_ratio(a->starttls_offered, a->smtp_connections),
		"starttls_used_when_offered",
		agg_ratio(a->starttls_offered_used, a->starttls_offered),
		"servers_offering_starttls", agg_ratio(offering, servers),
		"servers_never_encrypting", agg_ratio(never, servers), "tls13",
		agg_ratio(v13 ? v13[0] : 0, a->tls_negotiated), "strong_or_modern_cipher",
		agg_ratio((strong ? strong[0] : 0) + (modern ? modern[0] : 0), a->tls_negotiated),
		"forward_secrecy", agg_ratio(a->tls_fs, a->tls_negotiated), "tls_established",
		agg_ratio(a->tls_established, a->tls_negotiated), "auth_before_tls",
		agg_ratio(a->auth_before_tls, a->auth_seen));
	uint64_t with_cert = a->cert_observed + a->cert_inferred;
	uint64_t distinct = 0, d_self = 0, d_valid = 0;
	for (uint32_t i = 0; i < a->certs.nslots; i++) {
		const struct agg_map_ent *e = &a->certs.slots[i];
		if (!e->key)
			continue;
		distinct++;
		d_self += e->v[AGG_CERT_SELF_SIGNED] != 0;
		d_valid += e->v[AGG_CERT_VALID] != 0;
	}
	json_object_set_new(ratios, "self_signed", agg_ratio(a->cert_self_signed, with_cert));
	json_object_set_new(ratios, "chain_valid", agg_ratio(a->cert_valid, with_cert));
	json_object_set_new(ratios, "cert_expired", agg_ratio(a->cert_expired, with_cert));
	json_object_set_new(ratios, "hostname_mismatch", agg_ratio(a->cert_mismatch, with_cert));
	json_object_set_new(ratios, "certificate_unseen",
			    agg_ratio(a->cert_unseen, a->tls_negotiated));
	json_object_set_new(ratios, "distinct_self_signed", agg_ratio(d_self, distinct));
	json_object_set_new(ratios, "distinct_chain_valid", agg_ratio(d_valid, distinct));
	json_object_set_new(root, "ratios", ratios);
	json_object_set_new(json_object_get(root, "time"), "bucket",
			    json_string(a->bucket_us >= 86400000000ull ? "day" : "hour"));
	json_object_set_new(root, "notes",
			    json_pack("{s:s,s:b}", "messages",
				      "messages and message bytes are counted in plain text only: "
				      "inside TLS they cannot be seen",
				      "servers_truncated", a->servers.truncated));
	if (agg_dns_to_json(&a->dns, root) != 0 || agg_policy_to_json(&a->policy, root) != 0 ||
	    agg_pq_to_json(&a->pq, root) != 0 || agg_unknown_to_json(&a->unknown, root) != 0) {
		json_decref(root);
		return NULL;
	}
	return root;
}

/* reading a snapshot back */
struct agg_read {
	const json_t *root;
	int bad;
	char *err;
	size_t errlen;
};

static const json_t *agg_json_at(const json_t *root, const char *path)
{
	const json_t *o = root;
	const char *s = path;
	while (o) {
		const char *dot = strchr(s, '.');
		char part[64];
		size_t n = dot ? (size_t)(dot - s) : strlen(s);
		if (n >= sizeof(part))
			return NULL;
		memcpy(part, s, n);
		part[n] = '\0';
		o = json_object_get(o, part);
		if (!dot)
			return o;
		s = dot + 1;
	}
	return NULL;
}

static void agg_read_fn(void *ctx, const char *path, uint64_t *v, enum agg_kind k)
{
	struct agg_read *r = ctx;
	const json_t *x = agg_json_at(r->root, path);
	if (!x)
		return; /* a counter a newer version added: absent means 0 */
	if (!json_is_integer(x) || json_integer_value(x) < 0) {
		if (!r->bad)
			snprintf(r->err, r->errlen, "%s: not a count", path);
		r->bad = 1;
		return;
	}
	uint64_t n = (uint64_t)json_integer_value(x);
	/* A sum past what a JSON integer holds would be written as a negative
	 * count, which no merge reads back. */
	if (k == AGG_SUM && n > (uint64_t)INT64_MAX - *v) {
		if (!r->bad)
			snprintf(r->err, r->errlen, "%s: count too large to add", path);
		r->bad = 1;
		return;
	}
	agg_combine(v, n, k);
}

static void agg_read_map(void *ctx, const char *path, struct agg_map *m)
{
	struct agg_read *r = ctx;
	const json_t *x = agg_json_at(r->root, path);
	if (!x)
		return;
	if (agg_map_add_json(m, x) != 0) {
		if (!r->bad)
			snprintf(r->err, r->errlen,
				 "%s: not a distribution, or a count too large to add", path);
		r->bad = 1;
	}
}

int agg_add_json(struct agg *a, const json_t *j, char *err, size_t errlen)
{
	const json_t *fmt = json_object_get(j, "format");
	const json_t *ver = json_object_get(j, "version");
	if (!json_is_string(fmt) || strcmp(json_string_value(fmt), "smtptls-stats") != 0) {
		snprintf(err, errlen, "not an smtptls statistics snapshot");
		return -1;
	}
	if (!json_is_integer(ver) || json_integer_value(ver) != AGG_SNAPSHOT_VERSION) {
		snprintf(err, errlen, "snapshot version %lld, this smtptls reads version %d",
			 json_is_integer(ver) ? (long long)json_integer_value(ver) : -1LL,
			 AGG_SNAPSHOT_VERSION);
		return -1;
	}
	struct agg_read r = {j, 0, err, errlen};
	agg_visit(a, agg_read_fn, &r);
	agg_visit_maps(a, agg_read_map, &r);
	if (!r.bad && agg_dns_add_json(&a->dns, j, err, errlen) != 0)
		return -1;
	if (!r.bad && agg_policy_add_json(&a->policy, j, err, errlen) != 0)
		return -1;
	if (!r.bad && agg_pq_add_json(&a->pq, j, err, errlen) != 0)
		return -1;
	if (!r.bad && agg_unknown_add_json(&a->unknown, j, err, errlen) != 0)
		return -1;
	return r.bad ? -1 : 0;
}

static double agg_pct(uint64_t n, uint64_t d)
{
	return d ? 100.0 * (double)n / (double)d : 0.0;
}

static void agg_print_map(FILE *out, const char *title, const struct agg_map *m, uint64_t den,
			  unsigned top)
{
	const struct agg_map_ent *e[32];
	size_t n = agg_map_sorted(m, 0, e, top < 32 ? top : 32);
	if (!n)
		return;
	fprintf(out, "  %s\n", title);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "    %-44.44s %8" PRIu64 " %5.1f%%\n", e[i]->key, e[i]->v[0],
			agg_pct(e[i]->v[0], den));
	if (m->used > n || m->other[0])
		fprintf(out, "    %-44s %8s\n", "(others)", "...");
}

void agg_print_text(const struct agg *a, FILE *out, unsigned top)
{
	const struct eng_health *h = &a->health;
	char first[32] = "-", last[32] = "-";
	if (h->first_us) {
		rec_format_ts(h->first_us, first, sizeof(first));
		rec_format_ts(h->last_us, last, sizeof(last));
	}
	uint64_t enc = a->by_enc[REC_ENC_STARTTLS] + a->by_enc[REC_ENC_IMPLICIT_TLS];
	uint64_t judged = a->connections - a->by_enc[REC_ENC_UNKNOWN];
	const uint64_t *v13 = agg_map_get(&a->versions, "TLSv1.3");
	uint64_t servers, offering, never;
	agg_server_counts(a, &servers, &offering, &never);

	fprintf(out, "smtptls summary\n");
	fprintf(out, "  encrypted          %5.1f%% of connections (%" PRIu64 " of %" PRIu64 ")\n",
		agg_pct(enc, judged), enc, judged);
	fprintf(out,
		"  STARTTLS offered   %5.1f%% of SMTP connections (%" PRIu64 " of %" PRIu64 ")\n",
		agg_pct(a->starttls_offered, a->smtp_connections), a->starttls_offered,
		a->smtp_connections);
	fprintf(out, "  used when offered  %5.1f%% (%" PRIu64 " of %" PRIu64 ")\n",
		agg_pct(a->starttls_offered_used, a->starttls_offered), a->starttls_offered_used,
		a->starttls_offered);
	fprintf(out,
		"  TLS 1.3            %5.1f%% of TLS connections (%" PRIu64 " of %" PRIu64 ")\n",
		agg_pct(v13 ? v13[0] : 0, a->tls_negotiated), v13 ? v13[0] : 0, a->tls_negotiated);
	fprintf(out,
		"  servers            %" PRIu64 ", %" PRIu64 " offer STARTTLS, %" PRIu64
		" seen only in plain text\n",
		servers, offering, never);
	uint64_t with_cert = a->cert_observed + a->cert_inferred;
	fprintf(out,
		"  self-signed certs  %5.1f%% of TLS connections with a certificate (%" PRIu64
		" of %" PRIu64 "; %" PRIu64 " valid chains)\n",
		agg_pct(a->cert_self_signed, with_cert), a->cert_self_signed, with_cert,
		a->cert_valid);
	fprintf(out, "  plain-text mail    %" PRIu64 " messages, %" PRIu64 " bytes\n",
		a->plain_messages, a->plain_message_bytes);
	fprintf(out, "  outcome            ");
	int col = 21;
	for (int i = 0; i < REC_ENC_COUNT; i++) {
		if (!a->by_enc[i])
			continue;
		char item[48];
		int w = snprintf(item, sizeof(item), "%s %" PRIu64 "  ",
				 rec_enc_name((enum rec_enc)i), a->by_enc[i]);
		if (col + w > 79) {
			fprintf(out, "\n                     ");
			col = 21;
		}
		fputs(item, out);
		col += w;
	}
	fputc('\n', out);
	agg_unknown_print_text(&a->unknown, out);
	agg_dns_print_text(&a->dns, out);
	agg_pq_print_text(&a->pq, out);
	agg_policy_print_text(&a->policy, out);
	agg_print_map(out, "TLS versions", &a->versions, a->tls_negotiated, top);
	agg_print_map(out, "cipher grades", &a->grades, a->tls_negotiated, top);
	agg_print_map(out, "cipher suites", &a->ciphers, a->tls_negotiated, top);
	agg_print_map(out, "server software", &a->software, a->smtp_connections, top);
	agg_print_map(out, "anomalies (connections)", &a->anomalies, a->connections, top);
	agg_print_map(out, "anomalies against history", &a->anomalies_cross, a->connections, top);

	fprintf(out, "  capture\n");
	fprintf(out, "    span             %s .. %s\n", first, last);
	fprintf(out, "    files            %" PRIu64 " read, %" PRIu64 " failed\n", h->files,
		h->files_failed);
	fprintf(out,
		"    packets          %" PRIu64 " (%" PRIu64 " TCP, %" PRIu64 " on mail ports)\n",
		h->packets, h->tcp_packets, h->mail_packets);
	fprintf(out, "    connections      %" PRIu64 " (%" PRIu64 " complete, %.1f%%)\n",
		a->connections, a->complete, agg_pct(a->complete, a->connections));
	fprintf(out,
		"    ended by         fin %" PRIu64 ", rst %" PRIu64 ", timeout %" PRIu64
		", evicted %" PRIu64 ", eof %" PRIu64 "\n",
		a->by_end[REC_END_FIN], a->by_end[REC_END_RST], a->by_end[REC_END_TIMEOUT],
		a->by_end[REC_END_EVICTED], a->by_end[REC_END_EOF]);
	fprintf(out, "    capture loss     %" PRIu64 " bytes in %" PRIu64 " connections\n",
		a->gap_bytes, a->with_gaps);
	uint64_t bad = 0;
	for (int i = 0; i < DEC_C_COUNT; i++)
		if (dec_counter_is_malformed((enum dec_counter)i))
			bad += h->decode.c[i];
	fprintf(out, "    malformed        %" PRIu64 " packets\n", bad);
	for (int i = 0; i < DEC_C_COUNT; i++)
		if (h->decode.c[i] && dec_counter_is_malformed((enum dec_counter)i))
			fprintf(out, "      %-18s %" PRIu64 "\n",
				dec_counter_name((enum dec_counter)i), h->decode.c[i]);
	if (h->flows_evicted || h->rsm_refused_bytes)
		fprintf(out,
			"    limits reached   %" PRIu64 " flows evicted, %" PRIu64
			" bytes not buffered\n",
			h->flows_evicted, h->rsm_refused_bytes);
	if (h->flows_closed_early)
		fprintf(out,
			"    full flow table  %" PRIu64
			" closed connections ended before their linger\n",
			h->flows_closed_early);
}
