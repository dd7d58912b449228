/* Unit tests for stats/sinks/anomaly.c: each detector on records made by hand —
 * it fires on its pattern, stays quiet on the look-alikes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "stats/sinks/anomaly.h"

static struct rec *smtp_rec(uint8_t server_last, uint16_t cport, uint64_t ts_s)
{
	struct rec *r = calloc(1, sizeof(*r));
	r->client.family = r->server.family = 4;
	memcpy(r->client.addr, "\xc0\x00\x02\x0a", 4);
	memcpy(r->server.addr, "\xc6\x33\x64\x00", 4);
	r->server.addr[3] = server_last;
	r->client.port = cport;
	r->server.port = 25;
	r->ts_us = ts_s * 1000000u;
	r->end_us = r->ts_us + 500000u;
	r->smtp_valid = 1;
	r->encryption = REC_ENC_PLAINTEXT;
	r->smtp.greeting_seen = 1;
	r->smtp.greeting_code = 220;
	snprintf(r->smtp.banner, sizeof(r->smtp.banner), "mx.example.net ESMTP");
	r->smtp.helo_verb = SMTP_V_EHLO + 1;
	r->smtp.ehlo_reply = 250;
	return r;
}

static void add_cap(struct rec *r, const char *cap)
{
	snprintf(r->smtp.caps[r->smtp.ncaps++], SMTP_CAP_LEN, "%s", cap);
	if (strcmp(cap, "STARTTLS") == 0)
		r->smtp.starttls_offered = 1;
}

/* The severity + 1 of type t in the detectors' verdict, or 0. */
static int has(const struct rec_verdict *v, enum rec_anom t)
{
	for (int i = 0; i < v->n; i++)
		if (v->anomalies[i].type == t)
			return v->anomalies[i].severity + 1;
	return 0;
}

struct fx {
	struct mem mem;
	struct anom_cfg cfg;
	struct anom a;
	struct rec_verdict v; /* the last verdict */
};

static struct fx *fx_new(void)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->cfg.fallback_window_us = 300000000u;
	f->cfg.max_hosts = 100;
	anom_init(&f->a, &f->cfg, &f->mem);
	return f;
}

static void fx_free(struct fx *f)
{
	anom_free(&f->a);
	assert_int_equal(f->mem.in_use, 0);
	free(f);
}

static void test_capability_corrupted(void **state)
{
	(void)state;
	struct fx *f = fx_new();
	const char *masked[] = {"XXXXXXXA", "XXXXXXXX", "********"};
	for (int i = 0; i < 3; i++) {
		struct rec *r = smtp_rec(1, 40000, 100);
		add_cap(r, "PIPELINING");
		add_cap(r, masked[i]);
		anom_judge(&f->a, r, &f->v);
		assert_true(has(&f->v, REC_A_STARTTLS_CAPABILITY_CORRUPTED));
		free(r);
	}
	/* real 8-letter capabilities are not masks */
	struct rec *r = smtp_rec(2, 40001, 100);
	add_cap(r, "8BITMIME");
	add_cap(r, "CHUNKING");
	add_cap(r, "SMTPUTF8");
	add_cap(r, "XFORWARD NAME ADDR");
	add_cap(r, "STARTTLS");
	anom_judge(&f->a, r, &f->v);
	assert_false(has(&f->v, REC_A_STARTTLS_CAPABILITY_CORRUPTED));
	free(r);
	/* a masked greeting */
	r = smtp_rec(3, 40002, 100);
	snprintf(r->smtp.banner, sizeof(r->smtp.banner), "*******************************");
	anom_judge(&f->a, r, &f->v);
	assert_true(has(&f->v, REC_A_STARTTLS_CAPABILITY_CORRUPTED));
	free(r);
	fx_free(f);
}

static void test_command_corrupted_and_refused(void **state)
{
	(void)state;
	struct fx *f = fx_new();
	struct rec *r = smtp_rec(1, 40000, 100);
	add_cap(r, "STARTTLS");
	r->smtp.starttls_requested = 1;
	r->smtp.starttls_reply = 502;
	anom_judge(&f->a, r, &f->v);
	assert_true(has(&f->v, REC_A_STARTTLS_COMMAND_CORRUPTED));
	assert_int_equal(has(&f->v, REC_A_STARTTLS_REFUSED),
			 REC_SEV_MEDIUM + 1); /* still refused */
	free(r);
	r = smtp_rec(1, 40001, 101);
	r->smtp.mangled_command = 1;
	anom_judge(&f->a, r, &f->v);
	assert_true(has(&f->v, REC_A_STARTTLS_COMMAND_CORRUPTED));
	free(r);
	r = smtp_rec(1, 40002, 102);
	add_cap(r, "STARTTLS");
	r->smtp.starttls_requested = 1;
	r->smtp.starttls_reply = 454;
	r->encryption = REC_ENC_STARTTLS_REFUSED;
	anom_judge(&f->a, r, &f->v);
	assert_int_equal(has(&f->v, REC_A_STARTTLS_REFUSED), REC_SEV_MEDIUM + 1);
	free(r);
	fx_free(f);
}

static void test_not_used_and_auth(void **state)
{
	(void)state;
	struct fx *f = fx_new();
	struct rec *r = smtp_rec(1, 40000, 100);
	add_cap(r, "STARTTLS");
	r->smtp.messages = 1;
	snprintf(r->smtp.auth_mech, sizeof(r->smtp.auth_mech), "PLAIN");
	r->smtp.auth_before_tls = 1;
	anom_judge(&f->a, r, &f->v);
	assert_int_equal(has(&f->v, REC_A_STARTTLS_NOT_USED), REC_SEV_INFO + 1);
	assert_int_equal(has(&f->v, REC_A_AUTH_IN_PLAINTEXT), REC_SEV_HIGH + 1);
	free(r);
	/* offered, not used, no mail: nothing to report */
	r = smtp_rec(1, 40001, 101);
	add_cap(r, "STARTTLS");
	anom_judge(&f->a, r, &f->v);
	assert_false(has(&f->v, REC_A_STARTTLS_NOT_USED));
	free(r);
	fx_free(f);
}

static void test_capability_missing_needs_history(void **state)
{
	(void)state;
	struct fx *f = fx_new();
	struct rec *r = smtp_rec(7, 40000, 100);
	anom_judge(&f->a, r, &f->v); /* first sight without STARTTLS: nothing */
	assert_false(has(&f->v, REC_A_STARTTLS_CAPABILITY_MISSING));
	free(r);
	fx_free(f);
	f = fx_new();
	for (int i = 0; i < 2; i++) {
		r = smtp_rec(7, (uint16_t)(40001 + i), 200 + (uint64_t)i);
		add_cap(r, "STARTTLS");
		anom_judge(&f->a, r, &f->v);
		free(r);
	}
	r = smtp_rec(7, 40003, 300); /* now it is missing */
	add_cap(r, "PIPELINING");
	anom_judge(&f->a, r, &f->v);
	assert_int_equal(has(&f->v, REC_A_STARTTLS_CAPABILITY_MISSING), REC_SEV_HIGH + 1);
	assert_true(f->v.anomalies[0].cross);
	assert_int_equal(f->v.anomalies[0].confidence, 67); /* 2 of 2, 2/3 */
	free(r);
	r = smtp_rec(8, 40004, 300); /* another server: no history */
	anom_judge(&f->a, r, &f->v);
	assert_false(has(&f->v, REC_A_STARTTLS_CAPABILITY_MISSING));
	free(r);
	fx_free(f);
}

static const struct rec_anomaly *find(const struct rec_verdict *v, enum rec_anom t)
{
	for (int i = 0; i < v->n; i++)
		if (v->anomalies[i].type == t)
			return &v->anomalies[i];
	return NULL;
}

/* A server whose STARTTLS came back after missing is a known flapper: its
 * next miss is low, with a lower confidence, and the detail says why; a
 * consistent server's miss stays high. */
static void test_flapping_server(void **state)
{
	(void)state;
	struct fx *f = fx_new();
	static const int offered[] = {1, 1, 1, 0, 1, 0};
	const struct rec_anomaly *x = NULL;
	for (int i = 0; i < 6; i++) {
		struct rec *r = smtp_rec(5, (uint16_t)(41000 + i), 100 + (uint64_t)i);
		if (offered[i])
			add_cap(r, "STARTTLS");
		anom_judge(&f->a, r, &f->v);
		x = find(&f->v, REC_A_STARTTLS_CAPABILITY_MISSING);
		if (i == 3) { /* the first miss after three: high */
			assert_non_null(x);
			assert_int_equal(x->severity, REC_SEV_HIGH);
			assert_int_equal(x->confidence, 75);
			assert_null(strstr(x->detail, "flapper"));
		}
		free(r);
	}
	assert_non_null(x); /* the second miss, after STARTTLS came back */
	assert_int_equal(x->severity, REC_SEV_LOW);
	assert_true(x->confidence < 25);
	assert_non_null(strstr(x->detail, "; flapper: STARTTLS back after missing 1x (server)"));
	fx_free(f);

	/* a pool: .21 offers, does not, offers again (it flapped); then .20,
	 * consistent so far, misses it: low, because of its /24 */
	f = fx_new();
	static const int server[] = {21, 21, 21, 20, 20, 20}, offer2[] = {1, 0, 1, 1, 1, 0};
	for (int i = 0; i < 6; i++) {
		struct rec *r =
			smtp_rec((uint8_t)server[i], (uint16_t)(42000 + i), 100 + (uint64_t)i);
		if (offer2[i])
			add_cap(r, "STARTTLS");
		anom_judge(&f->a, r, &f->v);
		x = find(&f->v, REC_A_STARTTLS_CAPABILITY_MISSING);
		if (i == 1) { /* offered once only before: medium */
			assert_non_null(x);
			assert_int_equal(x->severity, REC_SEV_MEDIUM);
			assert_int_equal(x->confidence, 50);
		}
		free(r);
	}
	assert_non_null(x);
	assert_int_equal(x->severity, REC_SEV_LOW);
	assert_non_null(strstr(
		x->detail, "flapper: STARTTLS back after missing 1x (pool 198.51.100.0/24:25)"));
	fx_free(f);

	/* a server that starts offering STARTTLS has not flapped */
	f = fx_new();
	static const int offer3[] = {0, 1, 1, 0};
	for (int i = 0; i < 4; i++) {
		struct rec *r = smtp_rec(22, (uint16_t)(43000 + i), 100 + (uint64_t)i);
		if (offer3[i])
			add_cap(r, "STARTTLS");
		anom_judge(&f->a, r, &f->v);
		x = find(&f->v, REC_A_STARTTLS_CAPABILITY_MISSING);
		free(r);
	}
	assert_non_null(x);
	assert_int_equal(x->severity, REC_SEV_HIGH);
	fx_free(f);
}

static void test_ehlo_downgrade(void **state)
{
	(void)state;
	struct fx *f = fx_new();
	struct rec *r = smtp_rec(1, 40000, 100);
	anom_judge(&f->a, r, &f->v); /* EHLO accepted before */
	free(r);
	r = smtp_rec(1, 40001, 200);
	r->smtp.ehlo_reply = 502;
	r->smtp.commands[SMTP_V_HELO] = 1;
	anom_judge(&f->a, r, &f->v);
	assert_int_equal(has(&f->v, REC_A_EHLO_DOWNGRADED), REC_SEV_HIGH + 1);
	free(r);
	r = smtp_rec(2, 40002, 200); /* never accepted EHLO: medium */
	r->smtp.ehlo_reply = 500;
	r->smtp.commands[SMTP_V_HELO] = 1;
	anom_judge(&f->a, r, &f->v);
	assert_int_equal(has(&f->v, REC_A_EHLO_DOWNGRADED), REC_SEV_MEDIUM + 1);
	free(r);
	fx_free(f);
}

static void test_plaintext_fallback_window(void **state)
{
	(void)state;
	struct fx *f = fx_new();
	struct rec *r = smtp_rec(1, 40000, 1000);
	add_cap(r, "STARTTLS");
	r->smtp.starttls_requested = 1;
	r->smtp.starttls_reply = 220;
	r->encryption = REC_ENC_STARTTLS_FAILED;
	r->tls_valid = 1;
	r->tls.client_hello = 1;
	anom_judge(&f->a, r, &f->v);
	assert_true(has(&f->v, REC_A_TLS_HANDSHAKE_FAILED));
	free(r);
	r = smtp_rec(1, 40001, 1010); /* 10 s later, plain text with mail */
	r->smtp.messages = 1;
	r->smtp.commands[SMTP_V_MAIL] = 1;
	anom_judge(&f->a, r, &f->v);
	assert_int_equal(has(&f->v, REC_A_PLAINTEXT_FALLBACK), REC_SEV_HIGH + 1);
	free(r);
	r = smtp_rec(1, 40002, 1400); /* outside the window */
	r->smtp.messages = 1;
	anom_judge(&f->a, r, &f->v);
	assert_false(has(&f->v, REC_A_PLAINTEXT_FALLBACK));
	free(r);
	fx_free(f);
}

static void test_tls_downgrade_and_weak(void **state)
{
	(void)state;
	struct fx *f = fx_new();
	/* the sentinel with a 1.3-capable client on 1.2: a downgrade */
	struct rec *r = smtp_rec(1, 40000, 100);
	r->encryption = REC_ENC_STARTTLS;
	r->tls_valid = 1;
	r->tls.client_hello = r->tls.server_hello = r->tls.established = 1;
	r->tls.version = 0x0303;
	r->tls.client_max_version = 0x0304;
	r->tls.cipher = 0xc02f;
	r->tls.downgrade_sentinel = 1;
	anom_judge(&f->a, r, &f->v);
	assert_int_equal(has(&f->v, REC_A_TLS_VERSION_DOWNGRADE), REC_SEV_HIGH + 1);
	assert_false(has(&f->v, REC_A_WEAK_TLS));
	free(r);
	/* the same sentinel for a 1.2-only client is legitimate */
	r = smtp_rec(2, 40001, 100);
	r->tls_valid = 1;
	r->tls.client_hello = r->tls.server_hello = 1;
	r->tls.version = 0x0303;
	r->tls.client_max_version = 0x0303;
	r->tls.cipher = 0xc02f;
	r->tls.downgrade_sentinel = 1;
	anom_judge(&f->a, r, &f->v);
	assert_false(has(&f->v, REC_A_TLS_VERSION_DOWNGRADE));
	free(r);
	/* TLS 1.0 with 3DES and DH 1024: one weak_tls listing the reasons */
	r = smtp_rec(3, 40002, 100);
	r->tls_valid = 1;
	r->tls.client_hello = r->tls.server_hello = 1;
	r->tls.version = 0x0301;
	r->tls.cipher = 0x0016; /* TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA */
	r->tls.dh_bits = 1024;
	anom_judge(&f->a, r, &f->v);
	assert_true(has(&f->v, REC_A_WEAK_TLS));
	for (int i = 0; i < f->v.n; i++)
		if (f->v.anomalies[i].type == REC_A_WEAK_TLS) {
			assert_non_null(strstr(f->v.anomalies[i].detail, "TLSv1.0"));
			assert_non_null(strstr(f->v.anomalies[i].detail, "DH 1024"));
		}
	free(r);
	fx_free(f);
}

static struct rec *tls_rec(uint64_t ts, const char *spki, int valid)
{
	struct rec *r = smtp_rec(9, (uint16_t)(40000 + ts), ts);
	r->encryption = REC_ENC_STARTTLS;
	r->tls_valid = 1;
	r->tls.client_hello = r->tls.server_hello = r->tls.established = 1;
	r->tls.version = 0x0303;
	r->tls.cipher = 0xc02f;
	r->cert.present = 1;
	r->cert.source = CERT_SRC_OBSERVED;
	snprintf(r->cert.spki_sha256, sizeof(r->cert.spki_sha256), "%s", spki);
	snprintf(r->cert.validation, sizeof(r->cert.validation), "%s",
		 valid ? "valid" : "self_signed");
	return r;
}

static const char k1[] = "1111111111111111111111111111111111111111111111111111111111111111";
static const char k2[] = "2222222222222222222222222222222222222222222222222222222222222222";
static const char k3[] = "3333333333333333333333333333333333333333333333333333333333333333";

static void test_certificate_changed(void **state)
{
	(void)state;
	struct fx *f = fx_new();
	struct rec *r = tls_rec(100, k1, 1);
	anom_judge(&f->a, r, &f->v);
	assert_false(has(&f->v, REC_A_CERTIFICATE_CHANGED));
	free(r);
	r = tls_rec(200, k1, 1); /* same key */
	anom_judge(&f->a, r, &f->v);
	assert_false(has(&f->v, REC_A_CERTIFICATE_CHANGED));
	free(r);
	r = tls_rec(300, k2, 0); /* new key, and self-signed: high */
	anom_judge(&f->a, r, &f->v);
	assert_int_equal(has(&f->v, REC_A_CERTIFICATE_CHANGED), REC_SEV_HIGH + 1);
	free(r);
	r = tls_rec(400, k1, 1); /* back to the one before: two keys, no change */
	anom_judge(&f->a, r, &f->v);
	assert_false(has(&f->v, REC_A_CERTIFICATE_CHANGED));
	free(r);
	r = tls_rec(450, k2, 0); /* and back again */
	anom_judge(&f->a, r, &f->v);
	assert_false(has(&f->v, REC_A_CERTIFICATE_CHANGED));
	free(r);
	r = tls_rec(500, k3, 1); /* a third key, valid after invalid: medium */
	anom_judge(&f->a, r, &f->v);
	assert_int_equal(has(&f->v, REC_A_CERTIFICATE_CHANGED), REC_SEV_MEDIUM + 1);
	free(r);
	r = tls_rec(600, k1, 0); /* k1 is older than the last two, after two
				  * new keys: a known flapper, low */
	anom_judge(&f->a, r, &f->v);
	assert_int_equal(has(&f->v, REC_A_CERTIFICATE_CHANGED), REC_SEV_LOW + 1);
	assert_non_null(strstr(find(&f->v, REC_A_CERTIFICATE_CHANGED)->detail,
			       "; flapper: new keys 2x (server)"));
	free(r);
	fx_free(f);
}

/* The keys outlive the run in the history file: a later run judges against
 * them, and the file lists each key with its first and last sighting. */
static void test_certificate_changed_history(void **state)
{
	(void)state;
	char path[] = "/tmp/smtptls-test-hist-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	char err[256];
	struct fx *f = fx_new();
	f->a.db = hist_open(path, err, sizeof(err));
	assert_non_null(f->a.db);
	struct rec *r = tls_rec(100, k1, 1);
	anom_judge(&f->a, r, &f->v);
	free(r);
	r = tls_rec(200, k2, 1);
	anom_judge(&f->a, r, &f->v);
	assert_int_equal(has(&f->v, REC_A_CERTIFICATE_CHANGED), REC_SEV_MEDIUM + 1);
	free(r);
	r = tls_rec(300, k2, 1);
	anom_judge(&f->a, r, &f->v);
	free(r);
	assert_int_equal(hist_close(f->a.db, NULL), 0);
	fx_free(f);

	/* a new run: k1 is the key before the last, k3 is new */
	f = fx_new();
	f->a.db = hist_open(path, err, sizeof(err));
	assert_non_null(f->a.db);
	struct hist_key hk[3];
	assert_int_equal(hist_load_keys(f->a.db, "198.51.100.9:25", hk, 3), 2);
	assert_string_equal(hk[0].spki, k2);
	assert_int_equal(hk[0].first_seen, 200000000u);
	assert_int_equal(hk[0].last_seen, 300000000u);
	assert_string_equal(hk[1].spki, k1);
	assert_string_equal(hk[1].validation, "valid");
	r = tls_rec(400, k1, 1);
	anom_judge(&f->a, r, &f->v);
	assert_false(has(&f->v, REC_A_CERTIFICATE_CHANGED));
	free(r);
	r = tls_rec(500, k3, 0);
	anom_judge(&f->a, r, &f->v);
	assert_int_equal(has(&f->v, REC_A_CERTIFICATE_CHANGED), REC_SEV_HIGH + 1);
	free(r);
	assert_int_equal(f->a.db_errors, 0);
	assert_int_equal(hist_close(f->a.db, NULL), 0);
	fx_free(f);

	char buf[8192] = "";
	FILE *out = fmemopen(buf, sizeof(buf) - 1, "w");
	assert_int_equal(hist_print(path, "198.51.100.9", out, err, sizeof(err)), 0);
	fclose(out);
	assert_non_null(strstr(buf, "  key 1111"));
	assert_non_null(strstr(buf, "  key 3333"));
	assert_non_null(strstr(buf, "self_signed"));
	char wal[64];
	unlink(path);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	unlink(wal);
	snprintf(wal, sizeof(wal), "%s-shm", path);
	unlink(wal);
}

/* Two writers on one file: their increments add up in the file (never one
 * overwriting the other's counters), times widen, and a file opened by a
 * second handle while the first holds pending updates is not disturbed. */
static void test_history_two_writers(void **state)
{
	(void)state;
	char path[] = "/tmp/smtptls-test-hist2-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	char err[256];
	struct hist *w[2];
	for (int i = 0; i < 2; i++) {
		w[i] = hist_open(path, err, sizeof(err));
		assert_non_null(w[i]);
	}
	uint64_t inc[HIST_COUNT] = {0};
	inc[HIST_CONNECTIONS] = 1;
	inc[HIST_STARTTLS_OFFERED] = 1;
	inc[HIST_STARTTLS_RETURNS] = 1;
	for (int k = 0; k < 5; k++) {
		for (int i = 0; i < 2; i++) {
			inc[HIST_FIRST_SEEN] = inc[HIST_LAST_SEEN] = 100 + (uint64_t)(10 * k + i);
			assert_int_equal(hist_add_server(w[i], "192.0.2.1:25", inc), 0);
			assert_int_equal(hist_add_pool(w[i], "net 192.0.2.0/24:25", inc), 0);
			assert_int_equal(hist_add_version(w[i], "192.0.2.1:25", "TLSv1.3"), 0);
		}
		/* the other writer's batch goes in between */
		assert_int_equal(hist_flush(w[k % 2]), 0);
	}
	uint64_t v[HIST_COUNT];
	assert_int_equal(hist_load_server(w[0], "192.0.2.1:25", v), 1);
	assert_true(v[HIST_CONNECTIONS] < 10); /* w[1]'s last batch is still pending */
	struct hist_health hh;
	hist_health(w[1], &hh);
	assert_true(hh.pending > 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(hist_close(w[i], NULL), 0);
	struct hist *r = hist_open(path, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(hist_load_server(r, "192.0.2.1:25", v), 1);
	assert_int_equal(v[HIST_CONNECTIONS], 10);
	assert_int_equal(v[HIST_STARTTLS_OFFERED], 10);
	assert_int_equal(v[HIST_STARTTLS_RETURNS], 10);
	assert_int_equal(v[HIST_FIRST_SEEN], 100);
	assert_int_equal(v[HIST_LAST_SEEN], 141);
	assert_int_equal(hist_load_pool(r, "net 192.0.2.0/24:25", v), 1);
	assert_int_equal(v[HIST_CONNECTIONS], 10);
	assert_int_equal(hist_close(r, NULL), 0);
	char buf[4096] = "";
	FILE *out = fmemopen(buf, sizeof(buf) - 1, "w");
	assert_int_equal(hist_print(path, NULL, out, err, sizeof(err)), 0);
	fclose(out);
	assert_non_null(strstr(buf, "TLSv1.3 10"));
	char aux[64];
	unlink(path);
	snprintf(aux, sizeof(aux), "%s-wal", path);
	unlink(aux);
	snprintf(aux, sizeof(aux), "%s-shm", path);
	unlink(aux);
}

static const char *detail_of(const struct rec_verdict *v, enum rec_anom t)
{
	for (int i = 0; i < v->n; i++)
		if (v->anomalies[i].type == t)
			return v->anomalies[i].detail;
	return "";
}

static void test_handshake_failed(void **state)
{
	(void)state;
	struct fx *f = fx_new();
	/* an alert from the server: named in the detail */
	struct rec *r = smtp_rec(1, 40000, 100);
	r->encryption = REC_ENC_STARTTLS_FAILED;
	r->tls_valid = 1;
	r->tls.client_hello = 1;
	r->tls.alerts_n[1] = 1;
	r->tls.alerts[1][0][0] = 2;
	r->tls.alerts[1][0][1] = 70;
	anom_judge(&f->a, r, &f->v);
	assert_int_equal(has(&f->v, REC_A_TLS_HANDSHAKE_FAILED), REC_SEV_MEDIUM + 1);
	assert_non_null(
		strstr(detail_of(&f->v, REC_A_TLS_HANDSHAKE_FAILED), "server protocol_version"));
	free(r);
	/* implicit TLS reset before the ServerHello */
	r = smtp_rec(2, 40001, 100);
	r->server.port = 465;
	r->smtp_valid = 0;
	r->encryption = REC_ENC_IMPLICIT_TLS;
	r->tls_valid = 1;
	r->tls.client_hello = 1;
	r->tcp.rst = 1;
	anom_judge(&f->a, r, &f->v);
	assert_non_null(strstr(detail_of(&f->v, REC_A_TLS_HANDSHAKE_FAILED), "reset"));
	free(r);
	/* a completed handshake, and a STARTTLS that never got a ClientHello */
	r = smtp_rec(3, 40002, 100);
	r->encryption = REC_ENC_STARTTLS;
	r->tls_valid = 1;
	r->tls.client_hello = r->tls.server_hello = r->tls.established = 1;
	r->tls.version = 0x0304;
	r->tls.cipher = 0x1302;
	anom_judge(&f->a, r, &f->v);
	assert_false(has(&f->v, REC_A_TLS_HANDSHAKE_FAILED));
	free(r);
	r = smtp_rec(4, 40003, 100);
	r->encryption = REC_ENC_STARTTLS_FAILED;
	anom_judge(&f->a, r, &f->v);
	assert_false(has(&f->v, REC_A_TLS_HANDSHAKE_FAILED));
	free(r);
	/* live, while the connection runs: a handshake under way (ClientHello,
	 * no Finished yet) has not failed; at the end it has */
	r = smtp_rec(5, 40004, 100);
	r->encryption = REC_ENC_STARTTLS_FAILED;
	r->tls_valid = 1;
	r->tls.client_hello = r->tls.server_hello = 1;
	anom_judge_provisional(&f->a, r, &f->v);
	assert_false(has(&f->v, REC_A_TLS_HANDSHAKE_FAILED));
	anom_judge(&f->a, r, &f->v);
	assert_true(has(&f->v, REC_A_TLS_HANDSHAKE_FAILED));
	/* ... but a fatal alert, or a reset, ends it while the connection runs */
	r->tls.alerts_n[1] = 1;
	r->tls.alerts[1][0][0] = 2;
	r->tls.alerts[1][0][1] = 40;
	anom_judge_provisional(&f->a, r, &f->v);
	assert_true(has(&f->v, REC_A_TLS_HANDSHAKE_FAILED));
	r->tls.alerts_n[1] = 0;
	r->tcp.rst = 1;
	anom_judge_provisional(&f->a, r, &f->v);
	assert_true(has(&f->v, REC_A_TLS_HANDSHAKE_FAILED));
	free(r);
	fx_free(f);
}

static void test_downgrade_signals(void **state)
{
	(void)state;
	struct fx *f = fx_new();
	/* TLS_FALLBACK_SCSV alone: the client says it retried lower (low) */
	struct rec *r = smtp_rec(1, 40000, 100);
	r->tls_valid = 1;
	r->tls.client_hello = 1;
	r->tls.fallback_scsv = 1;
	anom_judge(&f->a, r, &f->v);
	assert_int_equal(has(&f->v, REC_A_TLS_VERSION_DOWNGRADE), REC_SEV_LOW + 1);
	assert_non_null(strstr(detail_of(&f->v, REC_A_TLS_VERSION_DOWNGRADE), "TLS_FALLBACK_SCSV"));
	free(r);
	/* inappropriate_fallback (86): high */
	r = smtp_rec(1, 40001, 101);
	r->tls_valid = 1;
	r->tls.client_hello = 1;
	r->tls.alerts_n[1] = 1;
	r->tls.alerts[1][0][0] = 2;
	r->tls.alerts[1][0][1] = 86;
	anom_judge(&f->a, r, &f->v);
	assert_int_equal(has(&f->v, REC_A_TLS_VERSION_DOWNGRADE), REC_SEV_HIGH + 1);
	free(r);
	/* a server that negotiated 1.3 now gives a 1.3-capable client 1.2 */
	r = smtp_rec(5, 40002, 200);
	r->tls_valid = 1;
	r->tls.client_hello = r->tls.server_hello = r->tls.established = 1;
	r->tls.version = 0x0304;
	r->tls.client_max_version = 0x0304;
	r->tls.cipher = 0x1302;
	anom_judge(&f->a, r, &f->v);
	assert_false(has(&f->v, REC_A_TLS_VERSION_DOWNGRADE));
	free(r);
	r = smtp_rec(5, 40003, 300);
	r->tls_valid = 1;
	r->tls.client_hello = r->tls.server_hello = r->tls.established = 1;
	r->tls.version = 0x0303;
	r->tls.client_max_version = 0x0304;
	r->tls.cipher = 0xc02f;
	anom_judge(&f->a, r, &f->v);
	assert_int_equal(has(&f->v, REC_A_TLS_VERSION_DOWNGRADE), REC_SEV_HIGH + 1);
	assert_non_null(strstr(detail_of(&f->v, REC_A_TLS_VERSION_DOWNGRADE), "TLS 1.3 before"));
	free(r);
	/* the same 1.2 for a client that offered only 1.2: nothing */
	r = smtp_rec(5, 40004, 400);
	r->tls_valid = 1;
	r->tls.client_hello = r->tls.server_hello = r->tls.established = 1;
	r->tls.version = 0x0303;
	r->tls.client_max_version = 0x0303;
	r->tls.cipher = 0xc02f;
	anom_judge(&f->a, r, &f->v);
	assert_false(has(&f->v, REC_A_TLS_VERSION_DOWNGRADE));
	free(r);
	fx_free(f);
}

static void test_weak_certificate(void **state)
{
	(void)state;
	struct fx *f = fx_new();
	struct rec *r = tls_rec(100, k1, 1);
	snprintf(r->cert.key_type, sizeof(r->cert.key_type), "RSA");
	r->cert.key_bits = 1024;
	r->cert.weak_sig = 1;
	snprintf(r->cert.sig_alg, sizeof(r->cert.sig_alg), "sha1WithRSAEncryption");
	anom_judge(&f->a, r, &f->v);
	assert_int_equal(has(&f->v, REC_A_WEAK_TLS), REC_SEV_MEDIUM + 1);
	assert_string_equal(detail_of(&f->v, REC_A_WEAK_TLS),
			    "RSA 1024-bit key; sha1WithRSAEncryption signature");
	free(r);
	r = tls_rec(200, k1, 1); /* 2048 bits, SHA-256: not weak */
	snprintf(r->cert.key_type, sizeof(r->cert.key_type), "RSA");
	r->cert.key_bits = 2048;
	anom_judge(&f->a, r, &f->v);
	assert_false(has(&f->v, REC_A_WEAK_TLS));
	free(r);
	fx_free(f);
}

/* The verdict goes beside the record, which stays as the session built it;
 * both together hold REC_MAX_ANOMALIES at most, the record's own first. */
static void test_verdict_beside_record(void **state)
{
	(void)state;
	struct fx *f = fx_new();
	struct rec *r = smtp_rec(1, 40000, 100);
	add_cap(r, "XXXXXXXA");
	r->smtp.auth_before_tls = 1;
	snprintf(r->smtp.auth_mech, sizeof(r->smtp.auth_mech), "PLAIN");
	for (int i = 0; i < REC_MAX_ANOMALIES - 1; i++)
		rec_add_anomaly(r, REC_A_SMTP_LINE_TOO_LONG, "session");
	struct rec *before = malloc(sizeof(*before));
	memcpy(before, r, sizeof(*r));
	anom_judge(&f->a, r, &f->v);
	assert_memory_equal(before, r, sizeof(*r));
	assert_int_equal(f->v.n, 1); /* two findings, room for one */
	assert_int_equal(f->v.anomalies[0].type, REC_A_STARTTLS_CAPABILITY_CORRUPTED);
	assert_int_equal(rec_anomaly_count(r, &f->v), REC_MAX_ANOMALIES);
	assert_int_equal(rec_anomaly_at(r, &f->v, 0)->type, REC_A_SMTP_LINE_TOO_LONG);
	assert_ptr_equal(rec_anomaly_at(r, &f->v, REC_MAX_ANOMALIES - 1), &f->v.anomalies[0]);
	assert_int_equal(rec_anomaly_count(r, NULL), REC_MAX_ANOMALIES - 1);
	/* the catalogue's default severity, unless the case says otherwise */
	assert_int_equal(r->anomalies[0].severity,
			 rec_anom_info(REC_A_SMTP_LINE_TOO_LONG)->severity);
	assert_int_equal(rec_anom_info(REC_A_SMTP_LINE_TOO_LONG)->severity, REC_SEV_LOW);
	assert_string_equal(rec_anom_name(REC_A_WEAK_TLS), "weak_tls");
	assert_ptr_equal(rec_anom_by_name("weak_tls"), rec_anom_info(REC_A_WEAK_TLS));
	assert_null(rec_anom_by_name("no_such_anomaly"));
	free(before);
	free(r);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capability_corrupted),
		cmocka_unit_test(test_command_corrupted_and_refused),
		cmocka_unit_test(test_not_used_and_auth),
		cmocka_unit_test(test_capability_missing_needs_history),
		cmocka_unit_test(test_flapping_server),
		cmocka_unit_test(test_ehlo_downgrade),
		cmocka_unit_test(test_plaintext_fallback_window),
		cmocka_unit_test(test_tls_downgrade_and_weak),
		cmocka_unit_test(test_certificate_changed),
		cmocka_unit_test(test_certificate_changed_history),
		cmocka_unit_test(test_history_two_writers),
		cmocka_unit_test(test_handshake_failed),
		cmocka_unit_test(test_downgrade_signals),
		cmocka_unit_test(test_weak_certificate),
		cmocka_unit_test(test_verdict_beside_record),
	};
	return cmocka_run_group_tests_name("anomaly", tests, NULL, NULL);
}
