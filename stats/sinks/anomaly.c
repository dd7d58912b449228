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
	agg_map_init(&a->hosts, mem, cfg->max_hosts, HIST_COUNT, NULL);
	agg_map_init(&a->attempts, mem, cfg->max_hosts, 2, NULL);
	agg_map_init(&a->spki, mem, cfg->max_hosts, ANOM_KEY_COUNT, NULL);
}

void anom_free(struct anom *a)
{
	agg_map_free(&a->hosts);
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

static void anom_per_connection(const struct rec *r, struct rec_verdict *vd)
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
	if (r->tls_valid && t->client_hello && !t->established &&
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

/* What the DNS facts of the record show (docs/dns.md). */
static void anom_dns(const struct rec *r, struct rec_verdict *vd)
{
	const struct rec_dns *d = &r->dns;
	char det[120];
	if (!d->present || !d->mx_host[0])
		return;
	int no_tls = r->encryption == REC_ENC_PLAINTEXT ||
		     r->encryption == REC_ENC_STARTTLS_REFUSED ||
		     r->encryption == REC_ENC_STARTTLS_FAILED;
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
	if (d->sts == REC_STS_FAIL) {
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

/* A key's short form in memory: the last 64 bits of its SHA-256, never 0. */
static uint64_t anom_key_id(const char *spki_hex)
{
	size_t n = strlen(spki_hex);
	return strtoull(spki_hex + (n > 16 ? n - 16 : 0), NULL, 16) | 1;
}

/* The server's two most recent keys, from memory or (the first time the run
 * meets the server) from the history file. */
static void anom_key(struct anom *a, const struct rec *r, struct rec_verdict *vd, const char *key,
		     int update)
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
		anom_cross(rec_verdict_add_as(vd, REC_A_CERTIFICATE_CHANGED,
					      worse ? REC_SEV_HIGH : REC_SEV_MEDIUM, d));
	}
	if (now != k[ANOM_KEY_LAST]) {
		k[ANOM_KEY_PREVIOUS] = k[ANOM_KEY_LAST];
		k[ANOM_KEY_LAST] = now;
	}
	k[ANOM_KEY_LAST_VALID] = (uint64_t)valid;
	if (a->db && hist_add_key(a->db, key, r->cert.spki_sha256, r->ts_us, r->cert.validation,
				  r->cert.not_before, r->cert.not_after) != 0)
		a->db_errors++;
}

static void anom_cross_connection(struct anom *a, const struct rec *r, struct rec_verdict *vd,
				  int update)
{
	const struct smtp_facts *m = &r->smtp;
	const struct tls_facts *t = &r->tls;
	char key[160], d[120];
	anom_server_key(r, key, sizeof(key));
	/* The server's history: cached in memory; with --history loaded from the
	 * file the first time the run meets the server. */
	uint64_t local[HIST_COUNT];
	uint64_t *h = agg_map_values(&a->hosts, key);
	if (!h) {
		h = local;
		memset(local, 0, sizeof(local));
		if (a->db && hist_load_server(a->db, key, h) < 0)
			a->db_errors++;
	} else if (a->db && !h[HIST_LOADED]) {
		if (hist_load_server(a->db, key, h) < 0)
			a->db_errors++;
		h[HIST_LOADED] = 1;
	}
	int corrupted = 0;
	for (int i = 0; i < rec_anomaly_count(r, vd); i++)
		corrupted |= rec_anomaly_at(r, vd, i)->type == REC_A_STARTTLS_CAPABILITY_CORRUPTED;
	if (r->smtp_valid) {
		if (m->ehlo_reply == 250 && !m->starttls_offered && !corrupted &&
		    h[HIST_STARTTLS_OFFERED]) {
			snprintf(d, sizeof(d),
				 "offered STARTTLS in %llu earlier connection(s), not now",
				 (unsigned long long)h[HIST_STARTTLS_OFFERED]);
			anom_cross(rec_verdict_add(vd, REC_A_STARTTLS_CAPABILITY_MISSING, d));
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
		anom_key(a, r, vd, key, update);

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
		if (a->db && hist_store_attempt(a->db, pk, r->end_us ? r->end_us : 1) != 0)
			a->db_errors++;
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
			anom_cross(rec_verdict_add(vd, REC_A_PLAINTEXT_FALLBACK, d));
		}
	}

	if (r->smtp_valid && m->starttls_offered)
		h[HIST_STARTTLS_OFFERED]++;
	if (r->smtp_valid && m->ehlo_reply == 250)
		h[HIST_EHLO_ACCEPTED]++;
	if (r->smtp_valid && m->starttls_reply == 220)
		h[HIST_STARTTLS_USED]++;
	if (r->tls_valid && t->server_hello && t->version == 0x0304)
		h[HIST_TLS13]++;
	h[HIST_CONNECTIONS]++;
	if (!h[HIST_FIRST_SEEN] || r->ts_us < h[HIST_FIRST_SEEN])
		h[HIST_FIRST_SEEN] = r->ts_us;
	if (r->end_us > h[HIST_LAST_SEEN])
		h[HIST_LAST_SEEN] = r->end_us;
	if (a->db) {
		char v[24];
		if (hist_store_server(a->db, key, h) != 0)
			a->db_errors++;
		if (r->tls_valid && t->server_hello &&
		    hist_add_version(a->db, key, suite_version_name(t->version, v, sizeof(v))) != 0)
			a->db_errors++;
		if (hist_tick(a->db) != 0)
			a->db_errors++;
	}
}

void anom_judge(struct anom *a, const struct rec *r, struct rec_verdict *vd)
{
	rec_verdict_init(vd, r);
	anom_per_connection(r, vd);
	anom_starttls_reply(r, vd);
	anom_dns(r, vd);
	anom_cross_connection(a, r, vd, 1);
}

void anom_judge_provisional(struct anom *a, const struct rec *r, struct rec_verdict *vd)
{
	rec_verdict_init(vd, r);
	anom_per_connection(r, vd);
	anom_starttls_reply(r, vd);
	anom_dns(r, vd);
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
