/* fuzz_x509.c — fuzz target for dissectors/proto/x509.c and stats/record/rec_cert.c: a
 * short sequence of connections through one context with a 2-entry chain
 * cache and 2 remembered servers (so eviction and rebuilding run too).
 *
 * Input: a list of connections, until the bytes run out:
 *
 *   +-------+-----------+-----+------------+------------------------+
 *   | flags | time (4)  |  n  | len (2)    | DER ...   (n times)    |
 *   +-------+-----------+-----+------------+------------------------+
 *
 * flags bits 0-1: server (of 4), bit 2: x509_infer() instead of
 * x509_analyze(), bits 3-5: which host name is checked. time: seconds after
 * 2020-01-01. n: certificates (at most TLS_MAX_CHAIN). Each DER is copied to
 * an allocation of exactly its length, so a read past it is caught.
 * Checked: the facts' strings are terminated and their values in range, the
 * same connection analysed again (a cache hit) gives identical facts,
 * the record writer writes them (checked by reading its text back, see
 * tests/tools/reccheck.h), and the context frees everything it allocated
 * through struct mem.
 */
#include <string.h>

#include "dissectors/proto/x509.h"
#include "fuzz.h"
#include "../tools/reccheck.h"

#define T2020 1577836800u

static const char *const fuzz_names[8] = {
	NULL, "mx1.example.net",  "*.example.net", "a.b.example.net", "192.0.2.25", "[IPv6:::1]",
	"",   "MX1.EXAMPLE.NET.",
};

static int terminated(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

static void check_facts(const struct cert_facts *f)
{
	FUZZ_CHECK(f->present <= 1);
	FUZZ_CHECK(f->hostname_match >= -1 && f->hostname_match <= 1);
	FUZZ_CHECK(terminated(f->subject, sizeof(f->subject)));
	FUZZ_CHECK(terminated(f->san, sizeof(f->san)));
	FUZZ_CHECK(terminated(f->issuer, sizeof(f->issuer)));
	FUZZ_CHECK(terminated(f->issuer_org, sizeof(f->issuer_org)));
	FUZZ_CHECK(terminated(f->serial, sizeof(f->serial)));
	FUZZ_CHECK(terminated(f->key_type, sizeof(f->key_type)));
	FUZZ_CHECK(terminated(f->curve, sizeof(f->curve)));
	FUZZ_CHECK(terminated(f->sig_alg, sizeof(f->sig_alg)));
	FUZZ_CHECK(terminated(f->sha256, sizeof(f->sha256)));
	FUZZ_CHECK(terminated(f->spki_sha256, sizeof(f->spki_sha256)));
	FUZZ_CHECK(terminated(f->validation, sizeof(f->validation)));
	FUZZ_CHECK(terminated(f->hostname_checked, sizeof(f->hostname_checked)));
	if (!f->present)
		return;
	FUZZ_CHECK(f->validation[0] != '\0');
	FUZZ_CHECK(f->source == CERT_SRC_OBSERVED || f->source == CERT_SRC_INFERRED);
	FUZZ_CHECK(f->self_signed >= -1 && f->self_signed <= 1);
	FUZZ_CHECK(!(f->self_signed == 1 && f->self_issued_bad_sig));
	if (f->sha256[0] == '\0') /* an unparsable leaf has no leaf facts */
		FUZZ_CHECK(f->subject[0] == '\0' && f->expired == 0 && f->hostname_match == -1);
	else
		FUZZ_CHECK(strlen(f->sha256) == 64 && strlen(f->spki_sha256) == 64);
	/* the facts in a record: written, read back, checked field by field */
	struct rec *r = calloc(1, sizeof(*r));
	struct jsonw w = {0};
	char msg[600];
	FUZZ_CHECK(r != NULL);
	r->cert = *f;
	int rc = rc_check(&w, r, NULL, msg, sizeof(msg));
	if (rc != 1)
		fprintf(stderr, "%s\n", msg);
	FUZZ_CHECK(rc == 1);
	jsonw_free(&w);
	free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size, 0};
	struct mem m;
	struct x509_cfg cfg;
	char err[256];
	memset(&m, 0, sizeof(m));
	memset(&cfg, 0, sizeof(cfg));
	cfg.cache_max = 2;
	cfg.max_servers = 2;
	cfg.mem = &m;
	/* The corpus CA as the trust store: chains made from the corpus
	 * certificates can verify, and loading one certificate per input costs
	 * little (the system store took most of each execution). */
	cfg.ca_file = SMTPTLS_SOURCE_DIR "/pcaps/ca/corpus-ca.pem";
	struct x509_ctx *c = x509_ctx_new(&cfg, err, sizeof(err));
	if (!c)
		return 0;
	while (fuzz_left(&in) > 0) {
		uint8_t flags = fuzz_u8(&in);
		uint64_t ts = (uint64_t)(T2020 + fuzz_be32(&in)) * 1000000u;
		uint8_t n = fuzz_u8(&in) % (TLS_MAX_CHAIN + 1);
		uint8_t key[18];
		const char *name = fuzz_names[(flags >> 3) & 7];
		enum cert_name_src src = name ? CERT_NAME_SNI : CERT_NAME_NONE;
		struct tls_chain ch;
		uint8_t *bufs[TLS_MAX_CHAIN];
		struct cert_facts a, b;
		memset(key, 0, sizeof(key));
		key[15] = flags & 3;
		key[17] = 25;
		memset(&ch, 0, sizeof(ch));
		for (uint8_t i = 0; i < n; i++) {
			size_t got;
			const uint8_t *p = fuzz_bytes(&in, fuzz_be16(&in), &got);
			bufs[i] = malloc(got ? got : 1);
			FUZZ_CHECK(bufs[i] != NULL);
			if (got)
				memcpy(bufs[i], p, got);
			ch.der[i] = bufs[i];
			ch.len[i] = got;
			ch.n++;
		}
		if (flags & 4) {
			x509_infer(c, key, ts, name, src, &a);
			check_facts(&a);
			x509_infer(c, key, ts, name, src, &b);
		} else {
			x509_analyze(c, &ch, ts, name, src, key, &a);
			check_facts(&a);
			x509_analyze(c, &ch, ts, name, src, key, &b);
		}
		FUZZ_CHECK(memcmp(&a, &b, sizeof(a)) == 0);
		for (size_t i = 0; i < ch.n; i++)
			free(bufs[i]);
	}
	x509_ctx_free(c);
	FUZZ_CHECK(m.in_use == 0);
	return 0;
}
