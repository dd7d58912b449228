/* recjson_check.c — test tool: the record writer (rec_json_head() +
 * rec_json_anomalies()) read back with jansson and checked field by field
 * against the record (reccheck.h), on the records of `smtptls analyze
 * --dump` files.
 *
 * Every record is checked as dumped (before any detector), then with the
 * verdict of anom_judge() and the policy dry-run beside it (one detector
 * context per dump, records in order, as `smtptls analyze --records` judges
 * them), then as --mutate N altered copies: random text in every text field
 * (quotes, controls, UTF-8, bytes that are not UTF-8 and that jansson
 * refuses), numbers past INT64_MAX, odd timestamps, flags and enums out of
 * range, and altered verdicts (the dry-run's enums out of range too). The
 * text must parse, be exactly what json_dumps() writes for what it parses
 * to, hold every field of the list with the record's value, and be refused
 * exactly when a text the record needs is not UTF-8.
 *
 * Usage: recjson_check [--mutate N] DUMP...
 * Prints how many records were checked; exits 1 at the first difference
 * (printed) or when nothing was checked, 2 on a usage or read error. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dissectors/base/mem.h"
#include "stats/sinks/anomaly.h"
#include "stats/sinks/policy.h"
#include "dissectors/base/jsonw.h"
#include "analyzer/session/health.h"
#include "stats/record/recdump.h"
#include "stats/record/record.h"
#include "reccheck.h"

struct check {
	struct jsonw line;
	uint64_t compared, judged, mutated, with_anomalies, refused;
	uint64_t rng;
};

static uint64_t ck_rand(struct check *c)
{
	/* splitmix64: fixed seed, the same mutations on every run */
	uint64_t z = (c->rng += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static unsigned ck_below(struct check *c, unsigned n)
{
	return (unsigned)(ck_rand(c) % n);
}

static void ck_show(const char *what, const char *s, size_t len, size_t at)
{
	size_t from = at > 60 ? at - 60 : 0, to = at + 60 < len ? at + 60 : len;
	fprintf(stderr, "  %s (%zu bytes), from offset %zu: ", what, len, from);
	for (size_t i = from; i < to; i++) {
		unsigned char b = (unsigned char)s[i];
		if (b >= 0x20 && b < 0x7f)
			fputc(b, stderr);
		else
			fprintf(stderr, "\\x%02x", b);
	}
	fputc('\n', stderr);
}

/* rec_format_addr() formats IPv4 by hand: it must write what inet_ntop()
 * writes, "?" included when the buffer is too small. */
static int ck_addr(const struct rec_ep *e, const char *where)
{
	char want[64], got[64];
	for (size_t n = 0; n <= 20; n++) {
		memset(want, 'x', sizeof(want));
		memset(got, 'x', sizeof(got));
		if (!inet_ntop(e->family == 6 ? AF_INET6 : AF_INET, e->addr, want, (socklen_t)n))
			snprintf(want, n, "?");
		rec_format_addr(e, got, n);
		if (memcmp(want, got, sizeof(want)) != 0) {
			fprintf(stderr,
				"recjson_check: %s: rec_format_addr() with %zu bytes differs from "
				"inet_ntop(): \"%.20s\" / \"%.20s\"\n",
				where, n, got, want);
			return -1;
		}
	}
	return 0;
}

/* 0 when the writer's text is right for r and v (rc_check), else prints
 * the difference and returns -1. */
static int ck_compare(struct check *c, const struct rec *r, const struct rec_verdict *v,
		      const char *where)
{
	char msg[600];
	if (ck_addr(&r->client, where) != 0 || ck_addr(&r->server, where) != 0)
		return -1;
	int rc = rc_check(&c->line, r, v, msg, sizeof(msg));
	c->compared++;
	if (rc < 0) {
		fprintf(stderr, "recjson_check: %s: %s\n", where, msg);
		ck_show("written", c->line.buf, c->line.len, 0);
		return -1;
	}
	if (rc == 0)
		c->refused++;
	else if (rec_anomaly_count(r, v))
		c->with_anomalies++;
	return 0;
}

/* A byte above 0x7F and what follows it: leads and second bytes on the
 * edges of what UTF-8 allows, the length the lead asks for, or cut short. */
static void ck_high(struct check *c, char *b, size_t *len)
{
	static const uint8_t leads[] = {0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1,
					0xED, 0xEE, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF};
	static const uint8_t seconds[] = {0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF};
	uint8_t lead = ck_below(c, 2) ? leads[ck_below(c, sizeof(leads))]
				      : (uint8_t)(0x80 + ck_below(c, 0x80));
	size_t l = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1 + ck_below(c, 3);
	if (ck_below(c, 4) == 0)
		l = 1 + ck_below(c, 4);
	b[0] = (char)lead;
	for (size_t i = 1; i < l; i++) {
		unsigned k = ck_below(c, 16);
		if (k == 0)
			b[i] = (char)(0x20 + ck_below(c, 0x60)); /* not a continuation */
		else if (i == 1 && k < 8)
			b[i] = (char)seconds[ck_below(c, sizeof(seconds))];
		else
			b[i] = (char)(0x80 + ck_below(c, 0x40));
	}
	*len = l;
}

/* A random text of at most cap - 1 bytes, NUL-terminated: mostly printable
 * ASCII, with escapes, controls, valid UTF-8, and ck_high() sequences
 * (overlong forms, surrogates, values above U+10FFFF, cut sequences: jansson
 * decides which it accepts).
 * Two texts in three keep to valid UTF-8. */
static void ck_text(struct check *c, char *dst, size_t cap, int commas)
{
	static const char *const good[] = {"\xc3\xa9",	   "\xe2\x9c\x93", "\xf0\x9f\x93\xa7",
					   "\xc2\x80",	   "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf",
					   "\xed\x9f\xbf", "\xe0\xa0\x80", "\xf0\x90\x80\x80"};
	size_t n = ck_below(c, 4) == 0 ? ck_below(c, 8) : ck_below(c, (unsigned)cap);
	int valid_only = ck_below(c, 3) != 0;
	size_t k = 0;
	while (k < n && k + 5 < cap) {
		unsigned pick = ck_below(c, 100);
		char b[4];
		size_t l = 1;
		if (pick < 60) {
			b[0] = (char)(0x20 + ck_below(c, 0x60)); /* 0x20..0x7f */
		} else if (pick < 66) {
			b[0] = commas ? ',' : '"';
		} else if (pick < 70) {
			b[0] = ck_below(c, 2) ? '\\' : '"';
		} else if (pick < 78) {
			b[0] = (char)(1 + ck_below(c, 0x1f)); /* controls, not NUL */
		} else if (pick < 90 || valid_only) {
			const char *g = good[ck_below(c, sizeof(good) / sizeof(good[0]))];
			l = strlen(g);
			memcpy(b, g, l);
		} else {
			ck_high(c, b, &l);
		}
		memcpy(dst + k, b, l);
		k += l;
	}
	memset(dst + k, 0, cap - k);
}

#define CK_TEXT(c, field, commas) ck_text((c), (field), sizeof(field), (commas))

static uint64_t ck_num(struct check *c)
{
	switch (ck_below(c, 6)) {
	case 0: return 0;
	case 1: return ck_below(c, 100);
	case 2: return ck_rand(c) >> ck_below(c, 64);
	case 3: return UINT64_MAX - ck_below(c, 3);
	case 4: return (uint64_t)INT64_MAX + ck_below(c, 3) - 1;
	default: return ck_rand(c);
	}
}

static uint8_t ck_flag(struct check *c)
{
	static const uint8_t v[] = {0, 1, 1, 2, 255};
	return v[ck_below(c, sizeof(v))];
}

static int64_t ck_time(struct check *c)
{
	switch (ck_below(c, 6)) {
	case 0: return INT64_MIN + ck_below(c, 3);
	case 1: return INT64_MAX - ck_below(c, 3);
	case 2: return -(int64_t)(ck_rand(c) >> ck_below(c, 64)); /* before 1970, year < 0 */
	case 3: return 253402300799 + ck_below(c, 3); /* 9999-12-31T23:59:59Z and after */
	default: return (int64_t)(ck_rand(c) % 4102444800u);
	}
}

static void ck_mutate_smtp(struct check *c, struct smtp_facts *m)
{
	if (ck_below(c, 2)) {
		m->greeting_seen = ck_flag(c);
		m->greeting_code = (uint16_t)ck_num(c);
		CK_TEXT(c, m->banner, 0);
		if (ck_below(c, 2))
			CK_TEXT(c, m->server_name, 0);
		else
			m->server_name[0] = '\0';
		CK_TEXT(c, m->helo, 0);
		m->helo_verb = (uint8_t)ck_below(c, SMTP_V_COUNT + 3);
		m->ncaps = (uint8_t)ck_below(c, SMTP_MAX_CAPS + 1);
		for (int i = 0; i < m->ncaps; i++)
			if (ck_below(c, 3) == 0)
				CK_TEXT(c, m->caps[i], 0);
		if (ck_below(c, 2))
			CK_TEXT(c, m->auth_mech, 0);
		m->auth_before_tls = ck_flag(c);
		m->auth_reply = (uint16_t)(ck_below(c, 2) ? ck_rand(c) : 0);
		m->starttls_reply = (uint16_t)(ck_below(c, 2) ? ck_rand(c) : 0);
		m->last_reply = (uint16_t)(ck_below(c, 2) ? ck_rand(c) : 0);
		m->last_txn_reply = (uint16_t)(ck_below(c, 2) ? ck_rand(c) : 0);
		m->message_bytes = ck_num(c);
		m->messages = (uint32_t)ck_num(c);
		for (int v = 0; v < SMTP_V_COUNT; v++)
			m->commands[v] = ck_below(c, 3) ? 0 : (uint32_t)ck_num(c);
		m->long_lines[0] = (uint32_t)ck_num(c);
	}
}

static void ck_mutate_tls(struct check *c, struct tls_facts *t)
{
	if (ck_below(c, 2)) {
		t->client_hello = ck_flag(c);
		t->server_hello = ck_flag(c);
		static const uint16_t vers[] = {0,	0x0002, 0x0300, 0x0301, 0x0303,
						0x0304, 0x7f17, 0x0a0a, 0xfefd, 0x1234};
		t->version = vers[ck_below(c, sizeof(vers) / sizeof(vers[0]))];
		t->client_max_version = vers[ck_below(c, sizeof(vers) / sizeof(vers[0]))];
		t->n_client_versions = (uint8_t)ck_below(c, TLSD_MAX_VERSIONS + 4);
		for (int i = 0; i < TLSD_MAX_VERSIONS; i++)
			t->client_versions[i] = vers[ck_below(c, sizeof(vers) / sizeof(vers[0]))];
		/* the client's lists, counts beyond their caps included */
		static const uint16_t groups[] = {0x11ec, 0x001d, 0x0017, 0x0a0a, 0x1234, 0x6399};
		t->n_client_groups = (uint8_t)ck_below(c, TLSD_MAX_GROUPS + 4);
		for (int i = 0; i < TLSD_MAX_GROUPS; i++)
			t->client_groups[i] =
				groups[ck_below(c, sizeof(groups) / sizeof(groups[0]))];
		t->n_client_shares = (uint8_t)ck_below(c, TLSD_MAX_SHARES + 4);
		for (int i = 0; i < TLSD_MAX_SHARES; i++)
			t->client_shares[i] =
				groups[ck_below(c, sizeof(groups) / sizeof(groups[0]))];
		t->n_client_suites = (uint8_t)ck_below(c, TLSD_MAX_SUITES + 4);
		for (int i = 0; i < TLSD_MAX_SUITES; i++)
			t->client_suites[i] = (uint16_t)(ck_below(c, 2) ? ck_rand(c) : 0x1301);
		t->client_lists_cut = ck_flag(c);
		t->client_pq_offered = ck_flag(c);
		t->client_hello_bytes = (uint32_t)ck_num(c);
		t->client_hello_segments = (uint8_t)ck_rand(c);
		t->hrr_group = ck_below(c, 2) ? 0 : groups[ck_below(c, 6)];
		t->hello_retry = t->hrr_group != 0;
		t->cipher = (uint16_t)(ck_below(c, 2) ? ck_rand(c) : 0xc02f);
		t->group = (uint16_t)(ck_below(c, 3) ? 0 : ck_below(c, 2) ? 0x11ec : ck_rand(c));
		t->dh_bits = (uint16_t)(ck_below(c, 3) ? 0 : ck_rand(c));
		CK_TEXT(c, t->sni, 0);
		CK_TEXT(c, t->alpn, 1);
		if (ck_below(c, 2))
			CK_TEXT(c, t->ja3, 0);
		if (ck_below(c, 2))
			CK_TEXT(c, t->ja4, 0);
		for (int d = 0; d < 2; d++) {
			t->alerts_n[d] = (uint8_t)ck_below(c, TLS_MAX_ALERTS + 3);
			for (int i = 0; i < TLS_MAX_ALERTS; i++)
				t->alerts[d][i][1] = (uint8_t)ck_rand(c);
			t->encrypted_alert[d] = ck_flag(c);
		}
		t->downgrade_sentinel = (uint8_t)ck_below(c, 4);
		t->server_certs = (uint8_t)ck_rand(c);
		t->compression = (uint8_t)ck_rand(c);
		t->not_tls[0] = (uint8_t)(ck_below(c, 4) ? 0 : 1);
		t->malformed[1] = (uint32_t)(ck_below(c, 4) ? 0 : ck_num(c));
		t->records[0] = ck_num(c);
		t->app_bytes[1] = ck_num(c);
	}
}

static void ck_mutate_cert(struct check *c, struct cert_facts *f)
{
	if (ck_below(c, 2)) {
		f->present = ck_flag(c);
		f->source = (uint8_t)ck_below(c, 3);
		f->chain_length = (uint8_t)ck_rand(c);
		CK_TEXT(c, f->subject, 0);
		CK_TEXT(c, f->san, 1);
		CK_TEXT(c, f->issuer, 0);
		if (ck_below(c, 2))
			CK_TEXT(c, f->issuer_org, 0);
		CK_TEXT(c, f->serial, 0);
		f->not_before = ck_time(c);
		f->not_after = ck_time(c);
		if (ck_below(c, 2))
			snprintf(f->key_type, sizeof(f->key_type), "EC");
		else
			CK_TEXT(c, f->key_type, 0);
		f->key_bits = (uint16_t)(ck_below(c, 3) ? ck_rand(c) : 0);
		CK_TEXT(c, f->curve, 0);
		CK_TEXT(c, f->sig_alg, 0);
		f->weak_sig = ck_flag(c);
		if (ck_below(c, 3))
			CK_TEXT(c, f->sha256, 0);
		else
			f->sha256[0] = '\0';
		CK_TEXT(c, f->spki_sha256, 0);
		f->is_ca = ck_flag(c);
		f->self_signed = (int8_t)ck_rand(c);
		CK_TEXT(c, f->validation, 0);
		f->expired = ck_flag(c);
		if (ck_below(c, 2))
			CK_TEXT(c, f->hostname_checked, 0);
		f->hostname_source = (uint8_t)ck_below(c, 4);
		f->hostname_match = (int8_t)ck_rand(c);
	}
}

/* Alters a copy of a real record so that every branch of the writer runs;
 * counts stay within the arrays. */
static void ck_mutate(struct check *c, struct rec *r)
{
	static const uint64_t durs[] = {0,	 1,	  99,		100,	999999,
					1000000, 1234567, 999999999999, 1500000};
	switch (ck_below(c, 5)) {
	case 0: r->ts_us = ck_num(c); break;
	case 1: r->ts_us = 253402300799999999ull + ck_below(c, 3); break; /* year 10000 */
	case 2: r->ts_us = ck_rand(c) % 4102444800000000ull; break;
	default: break;
	}
	unsigned dk = ck_below(c, 4);
	uint64_t dur = dk == 0	 ? durs[ck_below(c, sizeof(durs) / sizeof(durs[0]))]
		       : dk == 1 ? ck_num(c)
		       : dk == 2 ? ck_rand(c) >> ck_below(c, 64)
				 : ck_rand(c) % 100000000u;
	r->end_us = r->ts_us + dur; /* may wrap: a negative duration reads as 0 */
	if (ck_below(c, 3) == 0) {
		r->client.family = ck_below(c, 2) ? 6 : 4;
		r->server.family = (uint8_t)ck_below(c, 8);
		for (int i = 0; i < 16; i++) {
			r->client.addr[i] = (uint8_t)(ck_below(c, 3) ? 0 : ck_rand(c));
			r->server.addr[i] = (uint8_t)ck_rand(c);
		}
		r->client.port = (uint16_t)ck_rand(c);
	}
	r->bytes[ck_below(c, 2)] = ck_num(c);
	r->packets[ck_below(c, 2)] = ck_num(c);
	r->gap_bytes = ck_num(c);
	r->complete = ck_flag(c);
	r->end = (uint8_t)ck_below(c, REC_END_COUNT + 2);
	r->tcp.syn = ck_flag(c);
	r->tcp.fin[1] = ck_flag(c);
	r->tcp.midstream = ck_flag(c);
	r->tcp.stream_bytes[0] = ck_num(c);
	r->tcp.overflow_bytes[1] = ck_num(c);
	r->tcp.retransmitted[0] = (uint32_t)ck_num(c);
	r->encryption = (uint8_t)ck_below(c, REC_ENC_COUNT + 2);
	r->smtp_valid = ck_flag(c);
	r->smtp_absent = (uint8_t)ck_below(c, REC_ABS_COUNT + 2);

	ck_mutate_smtp(c, &r->smtp);
	r->tls_valid = ck_below(c, 4) ? 1 : 0;
	ck_mutate_tls(c, &r->tls);
	ck_mutate_cert(c, &r->cert);

	if (ck_below(c, 2)) {
		r->nanomalies = (uint8_t)ck_below(c, REC_MAX_ANOMALIES + 1);
		for (int i = 0; i < r->nanomalies; i++) {
			struct rec_anomaly *a = &r->anomalies[i];
			a->type = (uint8_t)ck_below(c, REC_A_COUNT + 2);
			a->severity = (uint8_t)ck_below(c, 6);
			if (ck_below(c, 2))
				CK_TEXT(c, a->detail, 0);
		}
	}
}

/* A verdict for the altered copy r: v's anomalies, as many as fit beside
 * r's own, with altered details now and then. */
static void ck_verdict(struct check *c, const struct rec *r, const struct rec_verdict *v,
		       struct rec_verdict *out)
{
	rec_verdict_init(out, r);
	for (int i = 0; i < v->n; i++) {
		const struct rec_anomaly *x = &v->anomalies[i];
		struct rec_anomaly *y = rec_verdict_add_as(
			out, (enum rec_anom)x->type, (enum rec_severity)x->severity, x->detail);
		if (y && ck_below(c, 3) == 0)
			CK_TEXT(c, y->detail, 0);
	}
	out->policy = v->policy;
	if (ck_below(c, 4) == 0) {
		/* the dry-run's enums out of range */
		out->policy.direction = (uint8_t)ck_below(c, 256);
		out->policy.result[ck_below(c, REC_POL_COUNT)] = (uint8_t)ck_below(c, 256);
		out->policy.reason[ck_below(c, REC_POL_COUNT)] = (uint8_t)ck_below(c, 256);
	}
}

static int ck_dump(struct check *c, const char *path, unsigned mutations, struct rec *r,
		   struct rec *copy)
{
	FILE *in = fopen(path, "rb");
	char err[256], where[512];
	if (!in) {
		perror(path);
		return 2;
	}
	static const struct anom_cfg cfg = {300000000u, 1000};
	struct mem mem;
	memset(&mem, 0, sizeof(mem));
	struct anom anom;
	anom_init(&anom, &cfg, &mem);
	struct eng_health h;
	int rc = recdump_open(in, sizeof(h), err, sizeof(err));
	uint64_t i = 0;
	while (rc == 0) {
		int k = recdump_next(in, r, &h, sizeof(h), err, sizeof(err));
		if (k == 0 || k == 2) {
			if (k == 0)
				break;
			continue;
		}
		if (k < 0) {
			rc = -1;
			break;
		}
		i++;
		snprintf(where, sizeof(where), "%s: record %" PRIu64 " as dumped", path, i);
		if (ck_compare(c, r, NULL, where) != 0) {
			rc = 1;
			break;
		}
		struct rec_verdict v, cv;
		struct rec_policy pol;
		policy_judge(NULL, &anom, r, &pol); /* as the sinks run it */
		anom_judge(&anom, r, &v);
		v.policy = pol;
		c->judged++;
		snprintf(where, sizeof(where), "%s: record %" PRIu64 " after the detectors", path,
			 i);
		if (ck_compare(c, r, &v, where) != 0) {
			rc = 1;
			break;
		}
		for (unsigned m = 0; m < mutations; m++) {
			*copy = *r;
			ck_mutate(c, copy);
			ck_verdict(c, copy, &v, &cv);
			c->mutated++;
			snprintf(where, sizeof(where), "%s: record %" PRIu64 ", mutation %u", path,
				 i, m);
			if (ck_compare(c, copy, &cv, where) != 0) {
				rc = 1;
				break;
			}
		}
		if (rc)
			break;
	}
	if (rc < 0) {
		fprintf(stderr, "recjson_check: %s: %s\n", path, err);
		rc = 2;
	}
	anom_free(&anom);
	fclose(in);
	return rc;
}

int main(int argc, char **argv)
{
	unsigned mutations = 0;
	int i = 1;
	if (i + 1 < argc && strcmp(argv[i], "--mutate") == 0) {
		mutations = (unsigned)strtoul(argv[i + 1], NULL, 10);
		i += 2;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: recjson_check [--mutate N] DUMP...\n");
		return 2;
	}
	struct check c;
	memset(&c, 0, sizeof(c));
	c.rng = 20240501;
	struct rec *r = malloc(sizeof(*r)), *copy = malloc(sizeof(*copy));
	if (!r || !copy)
		return 2;
	int rc = 0;
	for (; i < argc && rc == 0; i++)
		rc = ck_dump(&c, argv[i], mutations, r, copy);
	printf("recjson_check: %" PRIu64 " records checked (%" PRIu64 " as dumped and again "
	       "with the detectors' verdict, %" PRIu64 " mutated copies); %" PRIu64
	       " with anomalies, %" PRIu64 " rightly refused\n",
	       c.compared, c.judged, c.mutated, c.with_anomalies, c.refused);
	if (rc == 0 && c.judged == 0) {
		fprintf(stderr, "recjson_check: no record checked\n");
		rc = 1;
	}
	jsonw_free(&c.line);
	free(r);
	free(copy);
	return rc;
}
