/* Unit tests for dissectors/proto/anon.c: Crypto-PAn against the reference
 * vectors, prefix preservation, the keyed name hash and the key file.
 *
 * IPv4 vectors: address pairs of sample_trace_raw.dat and
 * sample_trace_sanitized.dat, shipped with the reference implementation of
 * Crypto-PAn (Georgia Tech) and its key below, as reproduced in the tests of
 * github.com/Yawning/cryptopan (cryptopan_test.go) and
 * github.com/keiichishima/yacryptopan (test.py). IPv6 vectors: those that
 * Yawning/cryptopan publishes in the same file for the 128-bit extension of
 * the construction (the one yacryptopan and libtrace implement as well). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <cmocka.h>

#include "dissectors/proto/anon.h"
#include "dissectors/proto/psl.h"
#include "stats/record/rec_anon.h"

static const uint8_t ref_key[ANON_KEY_LEN] = {
	21,  34,  23,  141, 51,	 164, 207, 128, 19, 10, 91, 22, 73, 144, 125, 16,
	216, 152, 143, 131, 121, 121, 101, 39,	98, 87, 76, 45, 42, 132, 34,  2,
};

struct pair {
	const char *raw, *anon;
};

static const struct pair v4[] = {
	{"128.11.68.132", "135.242.180.132"},	{"129.118.74.4", "134.136.186.123"},
	{"130.132.252.244", "133.68.164.234"},	{"141.223.7.43", "141.167.8.160"},
	{"141.233.145.108", "141.129.237.235"}, {"152.163.225.39", "151.140.114.167"},
	{"156.29.3.236", "147.225.12.42"},	{"165.247.96.84", "162.9.99.234"},
	{"166.107.77.190", "160.132.178.185"},	{"192.102.249.13", "252.138.62.131"},
	{"192.215.32.125", "252.43.47.189"},	{"192.233.80.103", "252.25.108.8"},
	{"192.41.57.43", "252.222.221.184"},	{"193.150.244.223", "253.169.52.216"},
	{"195.205.63.100", "255.186.223.5"},	{"198.200.171.101", "249.199.68.213"},
	{"198.26.132.101", "249.36.123.202"},	{"198.36.213.5", "249.7.21.132"},
	{"198.51.77.238", "249.18.186.254"},	{"199.217.79.101", "248.38.184.213"},
	{"202.49.198.20", "245.206.7.234"},	{"203.12.160.252", "244.248.163.4"},
	{"204.184.162.189", "243.192.77.90"},	{"205.188.147.153", "242.96.16.101"},
	{"205.188.248.25", "242.96.88.27"},	{"207.33.151.131", "241.1.233.131"},
	{"209.85.249.6", "226.170.70.6"},	{"216.32.132.250", "235.192.139.38"},
	{"24.0.250.221", "100.15.198.226"},	{"24.5.0.80", "100.9.15.210"},
	{"38.15.67.68", "64.3.66.187"},		{"4.3.88.225", "124.60.155.63"},
	{"63.14.55.111", "95.9.215.7"},		{"64.14.118.196", "0.255.183.58"},
	{"64.34.154.117", "0.221.154.117"},	{"64.39.15.238", "0.219.7.41"},
};

static const struct pair v6[] = {
	{"::1", "78ff:f001:9fc0:20df:8380:b1f1:704:ed"},
	{"::2", "78ff:f001:9fc0:20df:8380:b1f1:704:ef"},
	{"::ffff", "78ff:f001:9fc0:20df:8380:b1f1:704:f838"},
	{"2001:db8::1", "4401:2bc:603f:d91d:27f:ff8e:e6f1:dc1e"},
	{"2001:db8::2", "4401:2bc:603f:d91d:27f:ff8e:e6f1:dc1c"},
};

static int setup(void **state)
{
	struct anon *a = calloc(1, sizeof(*a));
	char err[128];
	if (!a || anon_init(a, ref_key, err, sizeof(err)) != 0)
		return -1;
	*state = a;
	return 0;
}

static int teardown(void **state)
{
	anon_free(*state);
	free(*state);
	return 0;
}

static void test_ipv4_reference(void **state)
{
	struct anon *a = *state;
	assert_true(sizeof(v4) / sizeof(v4[0]) >= 20);
	for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++) {
		uint8_t in[4], out[4];
		char text[INET_ADDRSTRLEN];
		assert_int_equal(inet_pton(AF_INET, v4[i].raw, in), 1);
		anon_ipv4(a, in, out);
		inet_ntop(AF_INET, out, text, sizeof(text));
		assert_string_equal(text, v4[i].anon);
	}
}

static void test_ipv6_reference(void **state)
{
	struct anon *a = *state;
	for (size_t i = 0; i < sizeof(v6) / sizeof(v6[0]); i++) {
		uint8_t in[16], out[16];
		char text[INET6_ADDRSTRLEN];
		assert_int_equal(inet_pton(AF_INET6, v6[i].raw, in), 1);
		anon_ipv6(a, in, out);
		inet_ntop(AF_INET6, out, text, sizeof(text));
		assert_string_equal(text, v6[i].anon);
	}
}

/* The IPv6 construction over an IPv4 address in the first 32 bits gives the
 * IPv4 mapping in those bits (yacryptopan checks the same). */
static void test_ipv4_in_ipv6(void **state)
{
	struct anon *a = *state;
	for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++) {
		uint8_t in[16] = {0}, out[16], want[4];
		assert_int_equal(inet_pton(AF_INET, v4[i].anon, want), 1);
		assert_int_equal(inet_pton(AF_INET, v4[i].raw, in), 1);
		anon_ipv6(a, in, out);
		assert_memory_equal(out, want, 4);
	}
}

static unsigned common_prefix(const uint8_t *x, const uint8_t *y, unsigned nbytes)
{
	unsigned k = 0;
	for (unsigned i = 0; i < nbytes * 8; i++, k++)
		if (((x[i / 8] ^ y[i / 8]) >> (7 - i % 8)) & 1)
			break;
	return k;
}

/* Two addresses share exactly as many leading bits after the mapping as
 * before, for addresses sharing 0..127 bits. */
static void test_prefix_preserved(void **state)
{
	struct anon *a = *state;
	uint32_t s = 12345;
	for (unsigned k = 0; k < 128; k++) {
		uint8_t x[16], y[16], ax[16], ay[16];
		for (int i = 0; i < 16; i++) {
			s = s * 1103515245u + 12345u;
			x[i] = (uint8_t)(s >> 16);
		}
		memcpy(y, x, 16);
		y[k / 8] ^= (uint8_t)(0x80 >> (k % 8)); /* first difference at bit k */
		anon_ipv6(a, x, ax);
		anon_ipv6(a, y, ay);
		assert_int_equal(common_prefix(ax, ay, 16), k);
		if (k < 32) {
			anon_ipv4(a, x, ax);
			anon_ipv4(a, y, ay);
			assert_int_equal(common_prefix(ax, ay, 4), k);
		}
	}
}

static void test_names(void **state)
{
	struct anon *a = *state;
	char x[128], y[128];
	anon_name(a, "MX1.Example.COM.", NULL, x, sizeof(x));
	anon_name(a, "mx1.example.com", NULL, y, sizeof(y));
	assert_string_equal(x, y);
	assert_int_equal(strlen(x), 2 + ANON_HASH_HEX + 5);
	assert_memory_equal(x, "h-", 2);
	assert_string_equal(x + 2 + ANON_HASH_HEX, ".anon");
	anon_name(a, "mx2.example.com", NULL, y, sizeof(y));
	assert_string_not_equal(x, y);
	/* the registrable domain kept: the hash is of the whole name */
	anon_name(a, "mx1.example.com", "example.com", y, sizeof(y));
	assert_memory_equal(x, y, 2 + ANON_HASH_HEX);
	assert_string_equal(y + 2 + ANON_HASH_HEX, ".example.com");
	anon_name(a, "Example.com", "Example.com", y, sizeof(y));
	assert_string_equal(y, "example.com");
	anon_name(a, "MX1.Example.com", "Example.com", y, sizeof(y));
	assert_memory_equal(x, y, 2 + ANON_HASH_HEX);
	assert_string_equal(y + 2 + ANON_HASH_HEX, ".example.com");
	/* texts and names hash apart; empty stays empty */
	anon_text(a, "mx1.example.com", y, sizeof(y));
	assert_memory_not_equal(x, y, 2 + ANON_HASH_HEX);
	anon_name(a, "", NULL, y, sizeof(y));
	assert_string_equal(y, "");
	/* another key, another mapping */
	uint8_t k2[ANON_KEY_LEN];
	memcpy(k2, ref_key, sizeof(k2));
	k2[31] ^= 1;
	struct anon b;
	char err[128];
	assert_int_equal(anon_init(&b, k2, err, sizeof(err)), 0);
	anon_name(&b, "mx1.example.com", NULL, y, sizeof(y));
	assert_string_not_equal(x, y);
	assert_string_not_equal(a->key_id, b.key_id);
	anon_free(&b);
}

static void test_keygen(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_anon.XXXXXX", path[64], err[256];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/key", dir);
	assert_int_equal(anon_keygen(path, err, sizeof(err)), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, ANON_KEY_LEN);
	uint8_t k1[ANON_KEY_LEN], k2[ANON_KEY_LEN];
	assert_int_equal(anon_read_key(path, k1, err, sizeof(err)), 0);
	/* never overwritten */
	assert_int_equal(anon_keygen(path, err, sizeof(err)), -1);
	assert_int_equal(anon_read_key(path, k2, err, sizeof(err)), 0);
	assert_memory_equal(k1, k2, ANON_KEY_LEN);
	/* a file of another size is no key */
	FILE *f = fopen(path, "ab");
	assert_non_null(f);
	fputc('x', f);
	fclose(f);
	assert_int_equal(anon_read_key(path, k2, err, sizeof(err)), -1);
	unlink(path);
	assert_int_equal(anon_read_key(path, k2, err, sizeof(err)), -1);
	rmdir(dir);
}

/* The rules of the list format (publicsuffix.org/list/): the longest
 * match, wildcards, exceptions, and "*" for names no rule knows. */
static void test_psl(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_psl.XXXXXX", path[64], err[256];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/list.dat", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("// comment\ncom\nuk\nco.uk\n\n*.ck\n!www.ck\n  net  // trailing\n", f);
	fclose(f);
	struct psl *p = psl_load(path, err, sizeof(err));
	assert_non_null(p);
	static const struct {
		const char *name, *want;
	} cases[] = {
		{"mx1.mail.example.co.uk", "example.co.uk"},
		{"example.co.uk", "example.co.uk"},
		{"co.uk", NULL},
		{"MX.Example.COM", "Example.COM"},
		{"a.b.c.ck", "b.c.ck"}, /* *.ck: c.ck is a public suffix */
		{"c.ck", NULL},
		{"x.www.ck", "www.ck"},		     /* !www.ck: its suffix is ck */
		{"host.example.org", "example.org"}, /* no rule: "*" */
		{"example.net", "example.net"},
		{"com", NULL},
		{"bad..example.com", NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = psl_registrable(p, cases[i].name);
		if (cases[i].want) {
			assert_non_null(got);
			assert_string_equal(got, cases[i].want);
		} else {
			assert_null(got);
		}
	}
	psl_free(p);
	unlink(path);
	assert_null(psl_load(path, err, sizeof(err)));
	rmdir(dir);
}

static void test_text(void **state)
{
	struct rec_anon x = {*state, NULL};
	char out[512], name[128], addr[64];
	rec_anon_text(&x, "mx1.example.com ESMTP Postfix (Debian/GNU)", 1, out, sizeof(out));
	rec_anon_name(&x, "mx1.example.com", name, sizeof(name));
	assert_memory_equal(out, name, strlen(name));
	assert_string_equal(out + strlen(name), " ESMTP Postfix (Debian/GNU)");
	assert_null(strstr(out, "example"));
	/* a single-label first word is a name too; version numbers are not */
	rec_anon_text(&x, "mail Exim 4.96 ready at mx2.Example.org.", 1, out, sizeof(out));
	assert_null(strstr(out, "mail "));
	assert_non_null(strstr(out, " Exim 4.96 ready at h-"));
	assert_null(strstr(out, "xample"));
	assert_int_equal(out[strlen(out) - 1], '.');
	/* address literals, bare and bracketed */
	rec_anon_name(&x, "192.0.2.1", addr, sizeof(addr));
	assert_string_not_equal(addr, "192.0.2.1");
	rec_anon_name(&x, "[192.0.2.1]", name, sizeof(name));
	snprintf(out, sizeof(out), "[%s]", addr);
	assert_string_equal(name, out);
	rec_anon_text(&x, "hello [192.0.2.1] from 192.0.2.1", 0, out, sizeof(out));
	assert_null(strstr(out, "192.0.2.1"));
	assert_non_null(strstr(out, addr));
	rec_anon_name(&x, "[IPv6:2001:db8::1]", name, sizeof(name));
	assert_string_equal(name, "[IPv6:4401:2bc:603f:d91d:27f:ff8e:e6f1:dc1e]");
	rec_anon_text(&x, "mailto:tlsrpt@example.com", 0, out, sizeof(out));
	assert_null(strstr(out, "example.com"));
	assert_memory_equal(out, "mailto:tlsrpt@h-", 16);
	/* a wildcard keeps its star */
	rec_anon_name(&x, "*.example.com", name, sizeof(name));
	rec_anon_name(&x, "example.com", out, sizeof(out));
	assert_memory_equal(name, "*.", 2);
	assert_string_equal(name + 2, out);
}

static void test_record(void **state)
{
	struct rec_anon x = {*state, NULL};
	struct rec *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	r->client.family = 4;
	inet_pton(AF_INET, "128.11.68.132", r->client.addr);
	r->server.family = 6;
	inet_pton(AF_INET6, "2001:db8::2", r->server.addr);
	r->smtp_valid = 1;
	snprintf(r->smtp.banner, sizeof(r->smtp.banner), "mx.example.net ESMTP");
	snprintf(r->smtp.server_name, sizeof(r->smtp.server_name), "mx.example.net");
	snprintf(r->smtp.helo, sizeof(r->smtp.helo), "client.example.org");
	snprintf(r->tls.sni, sizeof(r->tls.sni), "mx.example.net");
	r->cert.present = 1;
	snprintf(r->cert.subject, sizeof(r->cert.subject),
		 "CN=mx.example.net,O=Example\\, Inc.,C=DE");
	snprintf(r->cert.san, sizeof(r->cert.san), "mx.example.net,*.example.net,192.0.2.7");
	snprintf(r->cert.issuer, sizeof(r->cert.issuer), "CN=R3,O=Let's Encrypt,C=US");
	snprintf(r->cert.validation, sizeof(r->cert.validation), "valid");
	snprintf(r->cert.sha256, sizeof(r->cert.sha256), "%064d", 7);
	struct rec_anon_keep keep = {0, 0};
	rec_anon_apply(&x, r, &keep);
	char text[64];
	inet_ntop(AF_INET, r->client.addr, text, sizeof(text));
	assert_string_equal(text, "135.242.180.132");
	inet_ntop(AF_INET6, r->server.addr, text, sizeof(text));
	assert_string_equal(text, "4401:2bc:603f:d91d:27f:ff8e:e6f1:dc1c");
	assert_string_equal(r->anon_key, x.anon->key_id);
	char name[128];
	rec_anon_name(&x, "mx.example.net", name, sizeof(name));
	assert_string_equal(r->smtp.server_name, name);
	assert_string_equal(r->tls.sni, name);
	assert_memory_equal(r->cert.subject, "CN=", 3);
	assert_memory_equal(r->cert.subject + 3, name, strlen(name));
	assert_null(strstr(r->cert.subject, "Example"));
	assert_non_null(strstr(r->cert.subject, ",C=DE"));
	assert_null(strstr(r->cert.san, "example"));
	assert_null(strstr(r->cert.san, "192.0.2.7"));
	assert_null(strstr(r->smtp.helo, "example"));
	/* a validated chain's issuer is a CA's, kept; the digest is kept */
	assert_string_equal(r->cert.issuer, "CN=R3,O=Let's Encrypt,C=US");
	assert_int_equal(strspn(r->cert.sha256, "0"), 63);
	/* once only */
	struct rec before = *r;
	rec_anon_apply(&x, r, &keep);
	assert_memory_equal(&before, r, sizeof(before));
	/* the names of a kept server stay */
	struct rec *k = calloc(1, sizeof(*k));
	assert_non_null(k);
	snprintf(k->tls.sni, sizeof(k->tls.sni), "mx.example.net");
	snprintf(k->smtp.helo, sizeof(k->smtp.helo), "client.example.org");
	keep.server = 1;
	rec_anon_apply(&x, k, &keep);
	assert_string_equal(k->tls.sni, "mx.example.net");
	assert_null(strstr(k->smtp.helo, "example"));
	free(k);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_reference),
		cmocka_unit_test(test_ipv6_reference),
		cmocka_unit_test(test_ipv4_in_ipv6),
		cmocka_unit_test(test_prefix_preserved),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_keygen),
		cmocka_unit_test(test_psl),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_record),
	};
	return cmocka_run_group_tests_name("anon", tests, setup, teardown);
}
