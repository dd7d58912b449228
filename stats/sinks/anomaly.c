/* anomaly.c — per-connection and cross-connection anomaly detectors. */
#include "stats/sinks/anomaly.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dissectors/proto/ciphers.h"
#include "stats/record/rec_tls.h"

void anom_init(struct anom *a, const struct anom_cfg *cfg, struct mem *mem)
{
	memset(a, 0, sizeof(*a));
	a->cfg = cfg;
	agg_map_init(&a->hosts, mem, cfg->max_hosts, ANOM_H_COUNT, NULL);
	agg_map_init(&a->pools, mem, cfg->max_hosts, ANOM_H_COUNT, NULL);
	agg_map_init(&a->attempts, mem, cfg->max_hosts, 2, NULL);
	agg_map_init(&a->spki, mem, cfg->max_hosts, ANOM_KEY_COUNT, NULL);
}

void anom_free(struct anom *a)
{
	agg_map_free(&a->hosts);
	agg_map_free(&a->pools);
	agg_map_free(&a->attempts);
	agg_map_free(&a->spki);
}

/* Capabilities of exactly eight letters that exist (RFC 3207, 6152, 3030,
 * 6531; XFORWARD is Postfix's). */
static int anom_known_cap8(const char *t)
{
	static const char *const known[] = {"STARTTLS", "8BITMIME", "CHUNKING", "SMTPUTF8",
					    "XFORWARD"};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strncmp(t, known[i], 8) == 0)
			return 1;
	return 0;
}

/* A capability token masked by a firewall: 8 characters (the length of
 * STARTTLS), mostly X or '*' ("XXXXXXXA", "XXXXXXXX", "********"). */
static int anom_masked_token(const char *cap)
{
	size_t n = 0, masked = 0;
	while (cap[n] && cap[n] != ' ')
		n++;
	if (n != 8 || anom_known_cap8(cap))
		return 0;
	for (size_t i = 0; i < n; i++)
		masked += cap[i] == 'X' || cap[i] == 'x' || cap[i] == '*';
	return masked >= 6;
}

/* A greeting masked by the same devices: "220 ****...****". */
static int anom_masked_banner(const char *b)
{
	size_t n = strlen(b), stars = 0;
	for (size_t i = 0; i < n; i++)
		stars += b[i] == '*';
	return stars >= 8 && stars * 2 >= n;
}

static void anom_server_key(const struct rec *r, char *buf, size_t n)
{
	char ip[64];
	rec_format_addr(&r->server, ip, sizeof(ip));
	snprintf(buf, n, r->server.family == 6 ? "[%s]:%u" : "%s:%u", ip, (unsigned)r->server.port);
}

static void anom_pair_key(const struct rec *r, char *buf, size_t n)
{
	char c[64], s[64];
	rec_format_addr(&r->client, c, sizeof(c));
	rec_format_addr(&r->server, s, sizeof(s));
	snprintf(buf, n, "%s>%s:%u", c, s, (unsigned)r->server.port);
}

static int anom_tls_failed(const struct rec *r)
{
	if (r->encryption == REC_ENC_STARTTLS_REFUSED || r->encryption == REC_ENC_STARTTLS_FAILED)
		return 1;
	return r->encryption == REC_ENC_IMPLICIT_TLS && r->tls_valid && !r->tls.established;
}

static void anom_alerts(const struct tls_facts *t, char *buf, size_t n)
{
	size_t k = 0;
	buf[0] = '\0';
	for (int d = 0; d < 2; d++)
		for (int i = 0; i < t->alerts_n[d] && i < TLS_MAX_ALERTS; i++) {
			const char *name = rec_tls_alert_name(t->alerts[d][i][1]);
			int w = snprintf(buf + k, n - k, "%s%s %s", k ? ", " : "",
					 d ? "server" : "client", name ? name : "alert");
			if (w < 0 || (size_t)w >= n - k)
				return;
			k += (size_t)w;
		}
}

/* Whether a fatal alert was seen in clear, either way. */
static int anom_fatal_alert(const struct tls_facts *t)
{
	for (int d = 0; d < 2; d++)
		for (int i = 0; i < t->alerts_n[d] && i < TLS_MAX_ALERTS; i++)
			if (t->alerts[d][i][0] == 2)
				return 1;
	return 0;
}

/* Whether the handshake of a record is over, failed or not: at the end of
 * the connection; while it runs, once a fatal alert was sent or the
 * connection was reset or closed both ways. */
static int anom_handshake_over(const struct rec *r, int final)
{
	return final || anom_fatal_alert(&r->tls) || r->tcp.rst || (r->tcp.fin[0] && r->tcp.fin[1]);
}

static void anom_per_connection(const struct rec *r, struct rec_verdict *vd, int final)
{
	const struct smtp_facts *m = &r->smtp;
	const struct tls_facts *t = &r->tls;
	char d[120];
	if (r->smtp_valid) {
		for (int i = 0; i < m->ncaps; i++)
			if (anom_masked_token(m->caps[i])) {
				snprintf(d, sizeof(d),
					 "EHLO reply lists \"%.8s\" where STARTTLS would stand",
					 m->caps[i]);
				rec_verdict_add(vd, REC_A_STARTTLS_CAPABILITY_CORRUPTED, d);
				break;
			}
		if (m->greeting_seen && anom_masked_banner(m->banner))
			rec_verdict_add(vd, REC_A_STARTTLS_CAPABILITY_CORRUPTED,
					"greeting masked with '*' (SMTP inspection by a firewall)");
		int cmd_corrupt = m->mangled_command ||
				  (m->starttls_offered && m->starttls_requested &&
				   (m->starttls_reply == 500 || m->starttls_reply == 502));
		if (cmd_corrupt) {
			if (m->mangled_command)
				snprintf(d, sizeof(d),
					 "the client's command arrived masked (XXXXXXXX)");
			else
				snprintf(d, sizeof(d), "STARTTLS was advertised but answered %u",
					 m->starttls_reply);
			rec_verdict_add(vd, REC_A_STARTTLS_COMMAND_CORRUPTED, d);
		} else if (m->starttls_requested && m->starttls_reply >= 400) {
			snprintf(d, sizeof(d), "STARTTLS answered %u%s", m->starttls_reply,
				 m->starttls_offered ? " after being advertised" : "");
			rec_verdict_add_as(vd, REC_A_STARTTLS_REFUSED,
					   m->starttls_offered ? REC_SEV_MEDIUM : REC_SEV_LOW, d);
		}
		if (m->starttls_offered && !m->starttls_requested && m->messages) {
			snprintf(d, sizeof(d), "STARTTLS offered, %u message(s) sent in plain text",
				 m->messages);
			rec_verdict_add(vd, REC_A_STARTTLS_NOT_USED, d);
		}
		if (m->ehlo_reply >= 500 && m->commands[SMTP_V_HELO]) {
			snprintf(d, sizeof(d), "EHLO answered %u, the client fell back to HELO",
				 m->ehlo_reply);
			rec_verdict_add(vd, REC_A_EHLO_DOWNGRADED, d);
		}
		if (m->auth_mech[0] && m->auth_before_tls) {
			snprintf(d, sizeof(d), "AUTH %s in plain text (reply %u)", m->auth_mech,
				 m->auth_reply);
			rec_verdict_add(vd, REC_A_AUTH_IN_PLAINTEXT, d);
		}
	}
	/* (while the connection runs, a handshake under way has not failed) */
	if (anom_handshake_over(r, final) && r->tls_valid && t->client_hello && !t->established &&
	    (r->encryption == REC_ENC_STARTTLS_FAILED || r->encryption == REC_ENC_IMPLICIT_TLS)) {
		char al[80];
		anom_alerts(t, al, sizeof(al));
		snprintf(d, sizeof(d), "handshake did not complete (%s)",
			 al[0] ? al : (r->tcp.rst ? "reset" : "no alert seen"));
		rec_verdict_add(vd, REC_A_TLS_HANDSHAKE_FAILED, d);
	}
	if (r->tls_valid) {
		/* RFC 8446 §4.1.3: a TLS 1.3 server negotiating less writes the
		 * sentinel; it means a downgrade only for a client that offered
		 * TLS 1.3 (a 1.2-only client gets it legitimately), and only when
		 * the negotiated version really is 1.2 or less. */
		int sentinel = t->server_hello && t->downgrade_sentinel && t->version <= 0x0303 &&
			       t->client_max_version >= 0x0304;
		int inappropriate = 0;
		for (int dir = 0; dir < 2; dir++)
			for (int i = 0; i < t->alerts_n[dir] && i < TLS_MAX_ALERTS; i++)
				inappropriate |= t->alerts[dir][i][1] == 86;
		if (sentinel || inappropriate || t->fallback_scsv) {
			snprintf(d, sizeof(d), "%s%s%s%s%s",
				 sentinel ? "downgrade sentinel in ServerHello.random" : "",
				 sentinel && (inappropriate || t->fallback_scsv) ? "; " : "",
				 inappropriate ? "inappropriate_fallback alert" : "",
				 inappropriate && t->fallback_scsv ? "; " : "",
				 t->fallback_scsv ? "TLS_FALLBACK_SCSV in ClientHello" : "");
			rec_verdict_add_as(vd, REC_A_TLS_VERSION_DOWNGRADE,
					   sentinel || inappropriate ? REC_SEV_HIGH : REC_SEV_LOW,
					   d);
		}
	}
	if (r->tls_valid && t->server_hello) {
		char reasons[120] = "", buf[40];
		size_t k = 0;
		if (t->version && t->version <= 0x0302)
			k += (size_t)snprintf(reasons + k, sizeof(reasons) - k, "%s; ",
					      suite_version_name(t->version, buf, sizeof(buf)));
		enum suite_grade g = suite_grade(t->cipher, t->version);
		if ((g == SUITE_GRADE_WEAK || g == SUITE_GRADE_INSECURE) && k < sizeof(reasons))
			k += (size_t)snprintf(reasons + k, sizeof(reasons) - k, "%s suite %s; ",
					      suite_grade_name(g),
					      suite_name(t->cipher, buf, sizeof(buf)));
		if (t->dh_bits && t->dh_bits < 2048 && k < sizeof(reasons))
			k += (size_t)snprintf(reasons + k, sizeof(reasons) - k, "DH %u bits; ",
					      (unsigned)t->dh_bits);
		const struct cert_facts *c = &r->cert;
		if (c->present && strncmp(c->key_type, "RSA", 3) == 0 && c->key_bits &&
		    c->key_bits < 2048 && k < sizeof(reasons))
			k += (size_t)snprintf(reasons + k, sizeof(reasons) - k, "RSA %u-bit key; ",
					      (unsigned)c->key_bits);
		if (c->present && c->weak_sig && k < sizeof(reasons))
			k += (size_t)snprintf(reasons + k, sizeof(reasons) - k, "%s signature; ",
					      c->sig_alg);
		if (k > 2 && k < sizeof(reasons)) {
			reasons[k - 2] = '\0';
			rec_verdict_add(vd, REC_A_WEAK_TLS, reasons);
		}
	}
}

/* RFC 3207 §4 gives STARTTLS 220, 454 and 501; RFC 5321 §4.2 lets any
 * command get 421, the generic 500/502/503/504, and a policy 554; RFC 4954
 * §6 adds 530. Any other code is not a server's answer to STARTTLS. */
static const uint16_t anom_starttls_refusals[] = {421, 454, 500, 501, 502, 503, 504, 530, 554};

static int anom_starttls_refusal(unsigned code)
{
	for (size_t i = 0; i < sizeof(anom_starttls_refusals) / sizeof(anom_starttls_refusals[0]);
	     i++)
		if (anom_starttls_refusals[i] == code)
			return 1;
	return 0;
}

/* The reply to STARTTLS when it was not 220 (docs/anomalies.md): a code no
 * server gives an advertised STARTTLS, and the refusal whatever else was
 * raised (anom_per_connection() gives starttls_refused for a 4xx/5xx it does
 * not take for a corrupted command; the rest is given here). */
static void anom_starttls_reply(const struct rec *r, struct rec_verdict *vd)
{
	const struct smtp_facts *m = &r->smtp;
	unsigned code = m->starttls_reply;
	if (!r->smtp_valid || !m->starttls_requested || !code || code == 220)
		return;
	char d[120];
	if (m->starttls_offered && !anom_starttls_refusal(code)) {
		/* 2xx/3xx (or no class at all) cannot come from a server:
		 * only a rewrite on the path makes them. */
		int odd = code < 400 || code >= 600;
		snprintf(d, sizeof(d), "STARTTLS was advertised and answered %u%s", code,
			 m->tls_despite_reply ? "; the client started TLS anyway" : "");
		rec_verdict_add_as(vd, REC_A_STARTTLS_REPLY_UNEXPECTED,
				   odd ? REC_SEV_HIGH : REC_SEV_MEDIUM, d);
	}
	int corrupt = m->mangled_command || (m->starttls_offered && (code == 500 || code == 502));
	int refused = code >= 400 || r->encryption == REC_ENC_STARTTLS_REFUSED;
	if (refused && (corrupt || code < 400)) {
		snprintf(d, sizeof(d), "STARTTLS answered %u%s", code,
			 m->starttls_offered ? " after being advertised" : "");
		rec_verdict_add_as(vd, REC_A_STARTTLS_REFUSED,
				   m->starttls_offered ? REC_SEV_MEDIUM : REC_SEV_LOW, d);
	}
}

/* What the DNS facts of the record show (docs/dns.md). While the
 * connection runs (!final) a handshake under way is not a failed one: no
 * DANE or MTA-STS alarm for "no TLS" yet. */
static void anom_dns(const struct rec *r, struct rec_verdict *vd, int final)
{
	const struct rec_dns *d = &r->dns;
	char det[120];
	if (!d->present || !d->mx_host[0])
		return;
	int handshake_running =
		!anom_handshake_over(r, final) && r->encryption == REC_ENC_STARTTLS_FAILED;
	int no_tls = r->encryption == REC_ENC_PLAINTEXT ||
		     r->encryption == REC_ENC_STARTTLS_REFUSED ||
		     (r->encryption == REC_ENC_STARTTLS_FAILED && !handshake_running);
	if (d->dane == REC_DANE_MISMATCH) {
		snprintf(det, sizeof(det), "%s certificate matches no TLSA record of %.60s",
			 d->dane_cert_inferred ? "inferred" : "observed", d->mx_host);
		rec_verdict_add(vd, REC_A_DANE_MISMATCH, det);
	} else if (no_tls && (d->dane == REC_DANE_MATCH || d->dane == REC_DANE_NO_TLS ||
			      d->dane == REC_DANE_UNKNOWN || d->dane == REC_DANE_UNUSABLE)) {
		/* secure TLSA records, usable or not, make TLS mandatory
		 * (RFC 7672 §2.2) */
		snprintf(det, sizeof(det), "%s to %.60s, which has secure TLSA records",
			 rec_enc_name((enum rec_enc)r->encryption), d->mx_host);
		rec_verdict_add(vd, REC_A_DANE_DOWNGRADE, det);
	}
	if (d->tlsa_state == REC_TLSA_FAILED) {
		snprintf(det, sizeof(det), "TLSA lookup of %.60s failed (SERVFAIL)", d->mx_host);
		rec_verdict_add(vd, REC_A_DNSSEC_BOGUS_TLSA, det);
	}
	if (d->sts == REC_STS_FAIL && !(handshake_running && d->sts_why == REC_STS_WHY_NO_TLS)) {
		int enforce = d->sts_policy.mode == MTASTS_MODE_ENFORCE;
		snprintf(det, sizeof(det), "%s: %.50s (policy of %.40s in %s mode)",
			 rec_sts_why_name((enum rec_sts_why)d->sts_why), d->mx_host, d->sts_domain,
			 mtasts_mode_name((enum mtasts_mode)d->sts_policy.mode));
		rec_verdict_add_as(vd, REC_A_MTA_STS_VIOLATION,
				   enforce ? REC_SEV_HIGH : REC_SEV_LOW, det);
	}
}

static void anom_cross(struct rec_anomaly *x);

/* pq_intolerance: an earlier attempt of this client to this server sent a
 * post-quantum key share and got no ServerHello (reset, timeout, alert);
 * now, within the fallback window, the client comes back without one — a
 * ClientHello without a PQ key share, or plain text. The server (or a
 * middlebox in front of it) cannot take the larger ClientHello. Kept for
 * the run only, not in the --history file. */
static void anom_pq(struct anom *a, const struct rec *r, struct rec_verdict *vd, const char *pk)
{
	const struct tls_facts *t = &r->tls;
	char d[120];
	int without = r->tls_valid && t->client_hello && !t->client_pq_share;
	int plain =
		(r->encryption == REC_ENC_PLAINTEXT || r->encryption == REC_ENC_STARTTLS_REFUSED) &&
		r->smtp_valid;
	if (!without && !plain)
		return;
	const uint64_t *v = agg_map_get(&a->attempts, pk);
	if (!v || !v[1] || r->ts_us < v[1] || r->ts_us - v[1] > a->cfg->fallback_window_us)
		return;
	snprintf(d, sizeof(d),
		 "%s %.1f s after a ClientHello with a post-quantum key share went "
		 "unanswered",
		 without ? "a retry without a post-quantum key share" : "a plain-text retry",
		 (double)(r->ts_us - v[1]) / 1e6);
	anom_cross(rec_verdict_add(vd, REC_A_PQ_INTOLERANCE, d));
}

static void anom_cross(struct rec_anomaly *x)
{
	if (x)
		x->cross = 1;
}

/* What an alert from the history is weighed with (docs/anomalies.md,
 * "Flapping servers"): the server's values before the connection and those
 * of its pools, [0] its /24 or /64, [1] its MX name (NULL when none). */
struct anom_flap {
	const uint64_t *server;
	const uint64_t *pool[2];
	const char *pool_key[2]; /* "net 192.0.2.0/24:25", "name mx.example:25" */
};

/* Whether the server or one of the pools in `pools` (bits 1 << i) has done
 * `what` (a value) at least `min` times; says who in why. */
static int anom_flapper(const struct anom_flap *f, int what, uint64_t min, unsigned pools,
			char *why, size_t n)
{
	if (f->server[what] >= min) {
		snprintf(why, n, "%llux (server)", (unsigned long long)f->server[what]);
		return 1;
	}
	for (int i = 0; i < 2; i++)
		if ((pools & (1u << i)) && f->pool[i] && f->pool[i][what] >= min) {
			snprintf(why, n, "%llux (pool %.60s)", (unsigned long long)f->pool[i][what],
				 strchr(f->pool_key[i], ' ') + 1);
			return 1;
		}
	return 0;
}

/* Marks x as found against the history, with its confidence (0 to 1); a
 * known flapper's alert is lowered to low, and its detail says why. */
static void anom_weigh(struct rec_anomaly *x, double confidence, int flapper, const char *why)
{
	if (!x)
		return;
	x->cross = 1;
	if (confidence < 0.01)
		confidence = 0.01;
	x->confidence = (uint8_t)(confidence > 1 ? 100 : confidence * 100 + 0.5);
	if (flapper) {
		x->severity = REC_SEV_LOW;
		size_t k = strlen(x->detail);
		snprintf(x->detail + k, sizeof(x->detail) - k, "; flapper: %s", why);
	}
}

/* starttls_capability_missing: o earlier connections offered STARTTLS.
 * Flapper: STARTTLS came back after missing, at the server or in a pool
 * member. A server seen offering it once only is not yet known to be
 * consistent: medium. */
static void anom_weigh_starttls(const struct anom_flap *f, struct rec_anomaly *x)
{
	double o = (double)f->server[HIST_STARTTLS_OFFERED];
	char why[100] = "", w[110];
	int flapper = anom_flapper(f, HIST_STARTTLS_RETURNS, 1, 3, why, sizeof(why));
	snprintf(w, sizeof(w), "STARTTLS back after missing %.80s", why);
	double c = o / (o + 1);
	if (x && !flapper && f->server[HIST_STARTTLS_OFFERED] < 2 && x->severity > REC_SEV_MEDIUM)
		x->severity = REC_SEV_MEDIUM;
	anom_weigh(x, flapper ? c / 4 : c, flapper, w);
}

/* certificate_changed: n earlier connections, of which k showed a key other
 * than the two before. Flapper: two such changes before, at the server or
 * behind its MX name. */
static void anom_weigh_key(const struct anom_flap *f, struct rec_anomaly *x)
{
	double n = (double)f->server[HIST_CONNECTIONS];
	double k = (double)f->server[HIST_KEY_CHANGES];
	char why[100] = "", w[110];
	int flapper = anom_flapper(f, HIST_KEY_CHANGES, 2, 2, why, sizeof(why));
	snprintf(w, sizeof(w), "new keys %.80s", why);
	double c = n / (n + 1) * (n > k ? 1 - k / n : 0);
	anom_weigh(x, flapper ? c / 4 : c, flapper, w);
}

/* plaintext_fallback: s earlier connections with STARTTLS answered 220,
 * t failed TLS attempts (the one this fallback follows included).
 * Flapper: TLS worked again after failing, at the server or in a pool. */
static void anom_weigh_fallback(const struct anom_flap *f, struct rec_anomaly *x)
{
	double s = (double)f->server[HIST_STARTTLS_USED];
	double t = (double)f->server[HIST_TLS_FAILED];
	char why[100] = "", w[110];
	int flapper = anom_flapper(f, HIST_TLS_RETURNS, 1, 3, why, sizeof(why));
	snprintf(w, sizeof(w), "TLS back after failing %.80s", why);
	double c = (s + 1) / (s + (t > 0 ? t : 1) + 1);
	anom_weigh(x, flapper ? c / 4 : c, flapper, w);
}

/* A key's short form in memory: the last 64 bits of its SHA-256, never 0. */
static uint64_t anom_key_id(const char *spki_hex)
{
	size_t n = strlen(spki_hex);
	return strtoull(spki_hex + (n > 16 ? n - 16 : 0), NULL, 16) | 1;
}

/* The server's two most recent keys, from memory or (the first time the run
 * meets the server) from the history file. */
static void anom_key(struct anom *a, const struct rec *r, struct rec_verdict *vd, const char *key,
		     const struct anom_flap *f, int update)
{
	char d[120];
	uint64_t local[ANOM_KEY_COUNT] = {0};
	uint64_t *k = agg_map_values(&a->spki, key);
	if (!k)
		k = local; /* table full: judged against the file only */
	if (a->db && !k[ANOM_KEY_LOADED]) {
		struct hist_key hk[2];
		int n = hist_load_keys(a->db, key, hk, 2);
		if (n < 0)
			a->db_errors++;
		if (n > 0) {
			k[ANOM_KEY_LAST] = anom_key_id(hk[0].spki);
			k[ANOM_KEY_LAST_VALID] = strcmp(hk[0].validation, "valid") == 0;
		}
		if (n > 1)
			k[ANOM_KEY_PREVIOUS] = anom_key_id(hk[1].spki);
		k[ANOM_KEY_LOADED] = 1;
	}
	uint64_t now = anom_key_id(r->cert.spki_sha256);
	int valid = strcmp(r->cert.validation, "valid") == 0;
	if (!update)
		return; /* provisional: the certificate is judged once, at the end */
	if (k[ANOM_KEY_LAST] && now != k[ANOM_KEY_LAST] && now != k[ANOM_KEY_PREVIOUS]) {
		int worse = k[ANOM_KEY_LAST_VALID] && !valid;
		snprintf(d, sizeof(d), "key %.16s... replaces the one seen before (%s)",
			 r->cert.spki_sha256,
			 worse ? "was valid, now invalid"
			       : (valid ? "still valid" : "validity unchanged"));
		anom_weigh_key(f, rec_verdict_add_as(vd, REC_A_CERTIFICATE_CHANGED,
						     worse ? REC_SEV_HIGH : REC_SEV_MEDIUM, d));
	}
	if (now != k[ANOM_KEY_LAST]) {
		k[ANOM_KEY_PREVIOUS] = k[ANOM_KEY_LAST];
		k[ANOM_KEY_LAST] = now;
	}
	k[ANOM_KEY_LAST_VALID] = (uint64_t)valid;
	if (a->db)
		hist_add_key(a->db, key, r->cert.spki_sha256, r->ts_us, r->cert.validation,
			     r->cert.not_before, r->cert.not_after);
}

/* Adds the increments inc of r to the values e (times widened). */
static void anom_add(uint64_t *e, const uint64_t inc[HIST_COUNT], const struct rec *r)
{
	for (int i = 0; i < HIST_COUNT; i++)
		if (i != HIST_FIRST_SEEN && i != HIST_LAST_SEEN && i != HIST_LOADED)
			e[i] += inc[i];
	if (!e[HIST_FIRST_SEEN] || r->ts_us < e[HIST_FIRST_SEEN])
		e[HIST_FIRST_SEEN] = r->ts_us;
	if (r->end_us > e[HIST_LAST_SEEN])
		e[HIST_LAST_SEEN] = r->end_us;
}

/* What one connection shows of its server's consistency. */
struct anom_obs {
	uint8_t offered, no_starttls; /* EHLO reply with / accepted without STARTTLS */
	uint8_t tls_ok, tls_failed;
	uint64_t key; /* anom_key_id() of the certificate seen in clear, or 0 */
};

/* One step of a server's in-run state e: fills the flap counters of inc
 * (transitions within this run, so that what several processes add up does
 * not depend on their order) and adds inc to e. A return is on, off, on:
 * STARTTLS offered again after a connection without it, by a server that
 * offered it earlier in the run (a server that starts offering it has not
 * flapped); the same for TLS working after failing. */
static void anom_flap_step(uint64_t *e, const struct anom_obs *o, const struct rec *r,
			   uint64_t inc[HIST_COUNT])
{
	enum { MISSING = 1, FAILED = 2, OFFERED_BEFORE = 4, WORKED_BEFORE = 8 };
	uint64_t last = e[ANOM_H_LAST];
	inc[HIST_STARTTLS_RETURNS] = o->offered && (last & MISSING) && (last & OFFERED_BEFORE);
	inc[HIST_TLS_RETURNS] = o->tls_ok && (last & FAILED) && (last & WORKED_BEFORE);
	inc[HIST_KEY_CHANGES] = 0;
	if (o->offered || o->no_starttls)
		last = (last & ~(uint64_t)MISSING) | (o->no_starttls ? MISSING : 0);
	if (o->tls_ok || o->tls_failed)
		last = (last & ~(uint64_t)FAILED) | (o->tls_failed ? FAILED : 0);
	last |= (o->offered ? OFFERED_BEFORE : 0) | (o->tls_ok ? WORKED_BEFORE : 0);
	e[ANOM_H_LAST] = last;
	if (o->key) {
		inc[HIST_KEY_CHANGES] = e[ANOM_H_KEY_LAST] && o->key != e[ANOM_H_KEY_LAST] &&
					o->key != e[ANOM_H_KEY_PREVIOUS];
		if (o->key != e[ANOM_H_KEY_LAST]) {
			e[ANOM_H_KEY_PREVIOUS] = e[ANOM_H_KEY_LAST];
			e[ANOM_H_KEY_LAST] = o->key;
		}
	}
	anom_add(e, inc, r);
}

/* Adds r to what the run (and, with --history, the file) knows of its
 * server (h, key) and pools. */
static void anom_remember(struct anom *a, const struct rec *r, const char *key, uint64_t *h,
			  uint64_t *pool[2], const char *pool_key[2], int corrupted)
{
	const struct smtp_facts *m = &r->smtp;
	const struct tls_facts *t = &r->tls;
	struct anom_obs o = {0};
	o.offered = r->smtp_valid && m->starttls_offered;
	o.no_starttls = r->smtp_valid && m->ehlo_reply == 250 && !m->starttls_offered && !corrupted;
	/* a ClientHello with a post-quantum key share left unanswered is the
	 * client's doing (pq_intolerance), not the server's flapping */
	o.tls_failed = anom_tls_failed(r) &&
		       !(r->tls_valid && t->client_hello && t->client_pq_share && !t->server_hello);
	o.tls_ok = r->tls_valid && t->established;
	if (r->cert.present && r->cert.source == CERT_SRC_OBSERVED && r->cert.spki_sha256[0])
		o.key = anom_key_id(r->cert.spki_sha256);
	/* this connection's increments: added to the memory and, with
	 * --history, to the file (never absolute values: other processes may
	 * be adding to the same rows) */
	uint64_t inc[HIST_COUNT] = {0};
	inc[HIST_STARTTLS_OFFERED] = o.offered;
	inc[HIST_EHLO_ACCEPTED] = r->smtp_valid && m->ehlo_reply == 250;
	inc[HIST_STARTTLS_USED] = r->smtp_valid && m->starttls_reply == 220;
	inc[HIST_TLS13] = r->tls_valid && t->server_hello && t->version == 0x0304;
	inc[HIST_TLS_FAILED] = (uint64_t)anom_tls_failed(r);
	inc[HIST_CONNECTIONS] = 1;
	inc[HIST_FIRST_SEEN] = r->ts_us;
	inc[HIST_LAST_SEEN] = r->end_us;
	anom_flap_step(h, &o, r, inc);
	/* an update that cannot be kept is counted by the history
	 * (hist_health), as is a batch that cannot be written */
	if (a->db)
		hist_add_server(a->db, key, inc);
	/* a pool's values are the sums of its members': it has flapped when
	 * one of them has (a /24 of consistent servers, some with STARTTLS and
	 * some without, has not) */
	for (int i = 0; i < 2; i++)
		if (pool[i]) {
			anom_add(pool[i], inc, r);
			if (a->db)
				hist_add_pool(a->db, pool_key[i], inc);
		}
	if (a->db) {
		char v[24];
		if (r->tls_valid && t->server_hello)
			hist_add_version(a->db, key, suite_version_name(t->version, v, sizeof(v)));
		hist_tick(a->db);
	}
}

/* The values of a server or pool: in memory; with --history loaded from the
 * file the first time the run meets it. A full table gives local, read from
 * the file each time. */
static uint64_t *anom_values(struct anom *a, struct agg_map *map, const char *key,
			     uint64_t local[ANOM_H_COUNT], int pool)
{
	uint64_t *v = agg_map_values(map, key);
	if (!v) {
		v = local;
		memset(local, 0, sizeof(uint64_t) * ANOM_H_COUNT);
	} else if (v[HIST_LOADED]) {
		return v;
	}
	if (a->db && (pool ? hist_load_pool(a->db, key, v) : hist_load_server(a->db, key, v)) < 0)
		a->db_errors++;
	v[HIST_LOADED] = 1;
	return v;
}

/* The pools of r's server: "net 192.0.2.0/24:25" (or the /64), and
 * "name mx.example:25" when the record names its MX host. */
static void anom_pool_keys(const struct rec *r, char keys[2][160], const char *out[2])
{
	struct rec_ep net = r->server;
	size_t keep = net.family == 6 ? 8 : 3;
	memset(net.addr + keep, 0, sizeof(net.addr) - keep);
	char ip[64];
	rec_format_addr(&net, ip, sizeof(ip));
	snprintf(keys[0], 160, "net %s/%u:%u", ip, net.family == 6 ? 64u : 24u,
		 (unsigned)r->server.port);
	out[0] = keys[0];
	out[1] = NULL;
	if (r->dns.present && r->dns.mx_host[0]) {
		snprintf(keys[1], 160, "name %.140s:%u", r->dns.mx_host, (unsigned)r->server.port);
		out[1] = keys[1];
	}
}

static void anom_cross_connection(struct anom *a, const struct rec *r, struct rec_verdict *vd,
				  int update)
{
	const struct smtp_facts *m = &r->smtp;
	const struct tls_facts *t = &r->tls;
	char key[160], d[120], pkeys[2][160];
	anom_server_key(r, key, sizeof(key));
	uint64_t local[ANOM_H_COUNT], plocal[2][ANOM_H_COUNT];
	uint64_t *h = anom_values(a, &a->hosts, key, local, 0), *pool[2] = {NULL, NULL};
	struct anom_flap f = {.server = h};
	anom_pool_keys(r, pkeys, f.pool_key);
	for (int i = 0; i < 2; i++)
		if (f.pool_key[i])
			pool[i] = anom_values(a, &a->pools, f.pool_key[i], plocal[i], 1);
	/* the second entry may have moved the first (the map grows) */
	if (pool[1] && pool[0] != plocal[0])
		pool[0] = anom_values(a, &a->pools, f.pool_key[0], plocal[0], 1);
	f.pool[0] = pool[0];
	f.pool[1] = pool[1];
	int corrupted = 0;
	for (int i = 0; i < rec_anomaly_count(r, vd); i++)
		corrupted |= rec_anomaly_at(r, vd, i)->type == REC_A_STARTTLS_CAPABILITY_CORRUPTED;
	if (r->smtp_valid) {
		if (m->ehlo_reply == 250 && !m->starttls_offered && !corrupted &&
		    h[HIST_STARTTLS_OFFERED]) {
			snprintf(d, sizeof(d),
				 "offered STARTTLS in %llu earlier connection(s), not now",
				 (unsigned long long)h[HIST_STARTTLS_OFFERED]);
			anom_weigh_starttls(
				&f, rec_verdict_add(vd, REC_A_STARTTLS_CAPABILITY_MISSING, d));
		}
		for (int i = 0; i < vd->n; i++) {
			/* the per-connection finding, in this verdict */
			struct rec_anomaly *x = &vd->anomalies[i];
			if (x->type == REC_A_EHLO_DOWNGRADED && h[HIST_EHLO_ACCEPTED]) {
				/* history makes the per-connection finding stronger */
				x->severity = REC_SEV_HIGH;
				size_t k = strlen(x->detail);
				snprintf(x->detail + k, sizeof(x->detail) - k,
					 "; this server accepted EHLO before");
			}
		}
	}
	if (r->tls_valid && t->server_hello && t->version && t->version < 0x0304 &&
	    t->client_max_version >= 0x0304 && h[HIST_TLS13]) {
		char v[24];
		snprintf(d, sizeof(d),
			 "client offered TLS 1.3, got %s; this server negotiated "
			 "TLS 1.3 before",
			 suite_version_name(t->version, v, sizeof(v)));
		anom_cross(rec_verdict_add(vd, REC_A_TLS_VERSION_DOWNGRADE, d));
	}

	/* certificate_changed: the server shows a key (SPKI) that is neither the
	 * one it showed last nor the one before (a server with an RSA and an
	 * ECDSA certificate alternates between two); worse when it goes from a
	 * valid chain to an invalid one. */
	if (r->cert.present && r->cert.source == CERT_SRC_OBSERVED && r->cert.spki_sha256[0])
		anom_key(a, r, vd, key, &f, update);

	/* plaintext_fallback: a failed TLS attempt, then plain-text mail from the
	 * same client to the same server within the window. */
	char pk[200];
	anom_pair_key(r, pk, sizeof(pk));
	if (!update) {
		/* provisional: the connection is still running, its outcome is
		 * not final; fallbacks and history are judged at its end */
		return;
	}
	anom_pq(a, r, vd, pk);
	if (anom_tls_failed(r)) {
		uint64_t *v = agg_map_values(&a->attempts, pk);
		if (v)
			v[0] = r->end_us ? r->end_us : 1;
		if (v && r->tls_valid && t->client_hello && t->client_pq_share && !t->server_hello)
			v[1] = r->end_us ? r->end_us : 1;
		if (a->db)
			hist_store_attempt(a->db, pk, r->end_us ? r->end_us : 1);
	} else if ((r->encryption == REC_ENC_PLAINTEXT ||
		    r->encryption == REC_ENC_STARTTLS_REFUSED) &&
		   r->smtp_valid && (m->messages || m->commands[SMTP_V_MAIL])) {
		const uint64_t *v = agg_map_get(&a->attempts, pk);
		uint64_t stored[1] = {0};
		if (!v && a->db && hist_load_attempt(a->db, pk, &stored[0]) == 1)
			v = stored;
		if (v && v[0] && r->ts_us >= v[0] &&
		    r->ts_us - v[0] <= a->cfg->fallback_window_us) {
			snprintf(d, sizeof(d),
				 "plain-text delivery %.1f s after a failed TLS attempt",
				 (double)(r->ts_us - v[0]) / 1e6);
			anom_weigh_fallback(&f, rec_verdict_add(vd, REC_A_PLAINTEXT_FALLBACK, d));
		}
	}
	anom_remember(a, r, key, h, pool, f.pool_key, corrupted);
}

void anom_judge(struct anom *a, const struct rec *r, struct rec_verdict *vd)
{
	rec_verdict_init(vd, r);
	anom_per_connection(r, vd, 1);
	anom_starttls_reply(r, vd);
	anom_dns(r, vd, 1);
	anom_cross_connection(a, r, vd, 1);
}

void anom_judge_provisional(struct anom *a, const struct rec *r, struct rec_verdict *vd)
{
	rec_verdict_init(vd, r);
	anom_per_connection(r, vd, 0);
	anom_starttls_reply(r, vd);
	anom_dns(r, vd, 0);
	anom_cross_connection(a, r, vd, 0);
}

void anom_past(struct anom *a, const struct rec *r, struct anom_past *out)
{
	char key[160];
	memset(out, 0, sizeof(*out));
	anom_server_key(r, key, sizeof(key));
	uint64_t h[HIST_COUNT] = {0};
	const uint64_t *known = agg_map_get(&a->hosts, key);
	if (known)
		memcpy(h, known, sizeof(h));
	else if (a->db && hist_load_server(a->db, key, h) < 0)
		a->db_errors++;
	out->connections = h[HIST_CONNECTIONS];
	out->starttls_offered = h[HIST_STARTTLS_OFFERED];
	const uint64_t *k = agg_map_get(&a->spki, key);
	if (k && (k[ANOM_KEY_LOADED] || !a->db)) {
		out->key_known = k[ANOM_KEY_LAST] != 0;
		out->key_valid = out->key_known && k[ANOM_KEY_LAST_VALID];
	} else if (a->db) {
		struct hist_key hk[1];
		int n = hist_load_keys(a->db, key, hk, 1);
		if (n < 0)
			a->db_errors++;
		out->key_known = n > 0;
		out->key_valid = n > 0 && strcmp(hk[0].validation, "valid") == 0;
	}
}
