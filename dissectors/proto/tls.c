/* tls.c — TLS dissector: record layer (RFC 8446 §5.1, RFC 5246 §6.2), the
 * clear-text handshake (RFC 8446 §4.1-4.2, RFC 5246 §7.4), alerts (RFC 8446
 * §6, RFC 5246 §7.2), SSLv2-compatible ClientHello (RFC 5246 Appendix E.2),
 * HelloRetryRequest and the downgrade sentinel (RFC 8446 §4.1.3).
 *
 * Record header (every record, both directions):
 *
 *   +------+---------+---------+----------------
 *   | type | version (2)       | length (2)       fragment[length]
 *   +------+---------+---------+----------------
 *
 * Handshake messages are a byte stream carried by handshake records: one
 * record may hold several messages and a message may span several records.
 *
 *   +----------+-----------------+----------------
 *   | msg_type | length (3)      | body[length]
 *   +----------+-----------------+----------------
 *
 * Only whole records are consumed; a partial record is left to the caller.
 * A message spread over records is collected in a per-direction buffer of at
 * most cfg->max_handshake bytes (allocated through struct mem).
 */
#include "dissectors/proto/tls.h"

#include <string.h>

#include "dissectors/proto/ciphers.h"
#include "dissectors/base/cur.h"
#include "dissectors/proto/fingerprint.h"

enum {
	TLS_ST_START = 0, /* no record yet: TLS, SSLv2 hello, or not TLS */
	TLS_ST_RECORDS,	  /* following records */
	TLS_ST_RESYNC,	  /* after a gap: looking for a record header */
	TLS_ST_DEAD,	  /* given up or not TLS: bytes are only consumed */
};

enum {
	TLS_CT_CCS = 20,
	TLS_CT_ALERT = 21,
	TLS_CT_HANDSHAKE = 22,
	TLS_CT_APP = 23,
	TLS_CT_HEARTBEAT = 24,
};

enum {
	TLS_HS_HELLO_REQUEST = 0,
	TLS_HS_CLIENT_HELLO = 1,
	TLS_HS_SERVER_HELLO = 2,
	TLS_HS_NEW_SESSION_TICKET = 4,
	TLS_HS_CERTIFICATE = 11,
	TLS_HS_SERVER_KEY_EXCHANGE = 12,
	TLS_HS_CERTIFICATE_REQUEST = 13,
	TLS_HS_SERVER_HELLO_DONE = 14,
};

/* RFC 5246 §6.2.3: TLSCiphertext.length <= 2^14 + 2048. */
#define TLS_MAX_RECORD (16384u + 2048u)
/* A length beyond this is not an overlong record but bytes that are not
 * TLS (or a lost record boundary). */
#define TLS_WILD_RECORD 32768u
/* Bytes scanned for a record header after a gap before giving up. */
#define TLS_RESYNC_LIMIT (TLS_WILD_RECORD + 5u)

#define TLS_SCSV_RENEG	  0x00ff
#define TLS_SCSV_FALLBACK 0x5600

/* RFC 8446 §4.1.3: SHA-256("HelloRetryRequest") as ServerHello.random. */
static const uint8_t tls_hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
	0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
	0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* RFC 8446 §4.1.3: the last 8 bytes of ServerHello.random when a TLS 1.3
 * server negotiates TLS 1.2 ("...\x01") or an older version ("...\x00"). */
static const uint8_t tls_downgrade[7] = {0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44};

void tls_init(struct tls *t, const struct tls_cfg *cfg, struct mem *mem)
{
	memset(t, 0, sizeof(*t));
	t->cfg = cfg;
	t->mem = mem;
}

/* ---- record header plausibility ---------------------------------------- */

/* Whether 5 bytes are a plausible TLS record header: a known content type,
 * version 0x0300-0x0304 (records carry 0x0301 or 0x0303 even under 1.3),
 * and a length that is not wildly wrong. */
static int tls_header_ok(const uint8_t *h, size_t n)
{
	struct cur c = cur_make(h, n);
	uint8_t type = cur_u8(&c);
	uint8_t major = cur_u8(&c);
	uint8_t minor = cur_u8(&c);
	uint16_t len = cur_be16(&c);
	if (c.err)
		return 0;
	return type >= TLS_CT_CCS && type <= TLS_CT_HEARTBEAT && major == 3 && minor <= 4 &&
	       len <= TLS_MAX_RECORD;
}

int tls_looks_like_tls(const uint8_t *p, size_t n)
{
	struct cur c = cur_make(p, n);
	if (n == 0)
		return -1;
	uint8_t b0 = cur_u8(&c);
	if (b0 & 0x80) {
		/* SSLv2 record, 2-byte header (RFC 5246 E.2): msg_length with
		 * the high bit, then msg_type 1 (client) or 4 (server hello). */
		uint8_t b1 = cur_u8(&c);
		uint8_t type = cur_u8(&c);
		if (c.err)
			return -1;
		if (type != 1 && type != 4)
			return 0;
		uint8_t vmaj = cur_u8(&c);
		uint8_t vmin = cur_u8(&c);
		if (c.err)
			return -1;
		unsigned len = ((unsigned)(b0 & 0x7f) << 8) | b1;
		if (type == 1)
			return ((vmaj == 0 && vmin == 2) || (vmaj == 3 && vmin <= 4)) && len >= 9;
		/* ServerHello: session_id_hit, certificate_type, version, ... */
		return len >= 11;
	}
	if (b0 < TLS_CT_CCS || b0 > TLS_CT_HEARTBEAT)
		return 0;
	if (n < 2)
		return -1;
	if (cur_u8(&c) != 3)
		return 0;
	if (n < 3)
		return -1;
	if (cur_u8(&c) > 4)
		return 0;
	if (n < 5)
		return -1;
	return cur_be16(&c) <= TLS_MAX_RECORD;
}

/* ---- helpers ------------------------------------------------------------ */

/* Copies n bytes of text into a fixed field: printable ASCII kept, anything
 * else replaced by '?', cut to the field. */
static void tls_copy_text(char *dst, size_t cap, struct cur *c, size_t n)
{
	struct cur t;
	size_t k = 0;
	cur_sub(c, n, &t);
	while (cur_left(&t) && k + 1 < cap) {
		uint8_t b = cur_u8(&t);
		dst[k++] = (b > 0x20 && b < 0x7f) ? (char)b : '?';
	}
	dst[k] = '\0';
}

static void tls_fail(struct tls *t)
{
	t->p.failed = 1;
}

static void tls_give_up(struct tls *t, int dir)
{
	t->p.d[dir].state = TLS_ST_DEAD;
	t->p.d[dir].done = 1;
}

static void tls_not_tls(struct tls *t, int dir)
{
	t->f.not_tls[dir] = 1;
	tls_give_up(t, dir);
}

static int tls_is_13(uint16_t v)
{
	/* 0x7f00 | draft: pre-RFC TLS 1.3 drafts. */
	return v == 0x0304 || (v >> 8) == 0x7f;
}

/* Finishes the ≤1.2 bookkeeping once the server's version is known: a client
 * ChangeCipherSpec seen earlier starts its encrypted records. */
static void tls_version_known(struct tls *t)
{
	for (int d = 0; d < 2; d++) {
		if (t->p.d[d].ccs_early && !t->p.tls13)
			t->p.d[d].enc = 1;
		t->p.d[d].ccs_early = 0;
	}
	if (t->p.tls13)
		t->p.d[1].enc = 1; /* RFC 8446 §2: all after ServerHello is encrypted */
}

/* ---- ClientHello -------------------------------------------------------- */

static int tls_ext_sni(struct tls *t, struct cur *e)
{
	/* RFC 6066 §3: ServerNameList<1..2^16-1> of {name_type, HostName}. */
	struct cur list, name;
	cur_sub(e, cur_be16(e), &list);
	while (!list.err && cur_left(&list)) {
		uint8_t type = cur_u8(&list);
		cur_sub(&list, cur_be16(&list), &name);
		if (name.err)
			break;
		if (type == 0 && t->f.sni[0] == '\0')
			tls_copy_text(t->f.sni, sizeof(t->f.sni), &name, cur_left(&name));
	}
	return list.err || cur_left(e);
}

static int tls_ext_alpn(struct tls *t, struct cur *e, struct fp_hello *h)
{
	/* RFC 7301 §3.1: ProtocolNameList<2..2^16-1> of ProtocolName<1..2^8-1>. */
	struct cur list, name;
	size_t pos = 0;
	cur_sub(e, cur_be16(e), &list);
	while (!list.err && cur_left(&list)) {
		uint8_t n = cur_u8(&list);
		cur_sub(&list, n, &name);
		if (name.err)
			break;
		if (!h->has_alpn) {
			h->has_alpn = 1;
			h->alpn_len = n;
			cur_bytes(&name, h->alpn, n);
			name = cur_make(h->alpn, n);
		}
		/* "a,b,c" as long as it fits */
		if (pos + (pos ? 1u : 0u) + n < sizeof(t->f.alpn)) {
			if (pos)
				t->f.alpn[pos++] = ',';
			tls_copy_text(t->f.alpn + pos, sizeof(t->f.alpn) - pos, &name, n);
			pos += n;
		}
	}
	return list.err || cur_left(e);
}

static int tls_ext_u16_list(struct cur *e, int len_bytes, uint16_t *arr, uint16_t *n, size_t cap,
			    uint8_t *trunc)
{
	struct cur list;
	size_t len = len_bytes == 1 ? cur_u8(e) : cur_be16(e);
	cur_sub(e, len, &list);
	if (len & 1)
		return 1;
	while (!list.err && cur_left(&list) >= 2)
		fp_push16(arr, n, cap, cur_be16(&list), trunc);
	return list.err || cur_left(e);
}

static int tls_ext_formats(struct cur *e, struct fp_hello *h)
{
	struct cur list;
	cur_sub(e, cur_u8(e), &list);
	while (!list.err && cur_left(&list)) {
		uint8_t v = cur_u8(&list);
		if (h->n_formats < FP_MAX_FORMATS)
			h->formats[h->n_formats++] = v;
		else
			h->truncated = 1;
	}
	return list.err || cur_left(e);
}

static int tls_ext_key_share_client(struct cur *e)
{
	/* RFC 8446 §4.2.8: client_shares<0..2^16-1> of {group, key_exchange<1..2^16-1>}. */
	struct cur list, kx;
	cur_sub(e, cur_be16(e), &list);
	while (!list.err && cur_left(&list)) {
		cur_be16(&list);
		cur_sub(&list, cur_be16(&list), &kx);
	}
	return list.err || cur_left(e);
}

static void tls_client_versions(struct tls *t, const struct fp_hello *h)
{
	struct tls_facts *f = &t->f;
	uint16_t best = 0;
	for (size_t i = 0; i < h->n_versions; i++) {
		uint16_t v = h->versions[i];
		if (suite_is_grease(v))
			continue;
		if (f->n_client_versions < TLS_MAX_VERSIONS)
			f->client_versions[f->n_client_versions++] = v;
		/* drafts (0x7fxx) and odd values never beat a real version */
		if ((v >> 8) == 3 && v > best)
			best = v;
		else if (tls_is_13(v) && best < 0x0304)
			best = 0x0304;
	}
	if (best)
		f->client_max_version = best;
}

static void tls_client_hello(struct tls *t, struct cur *m)
{
	struct tls_facts *f = &t->f;
	struct fp_hello h;
	struct cur sid, suites, comp, exts, e;
	int bad = 0;

	if (f->client_hello) /* the second ClientHello after a HelloRetryRequest */
		return;
	memset(&h, 0, sizeof(h));
	h.version = cur_be16(m);
	cur_skip(m, 32); /* random */
	cur_sub(m, cur_u8(m), &sid);
	cur_sub(m, cur_be16(m), &suites);
	cur_sub(m, cur_u8(m), &comp);
	if (m->err || cur_left(&sid) > 32 || (cur_left(&suites) & 1)) {
		f->malformed[0]++;
		return;
	}
	f->client_hello = 1;
	f->client_legacy_version = h.version;
	f->client_max_version = h.version;
	t->p.sid_len = (uint8_t)cur_left(&sid);
	f->session_id_offered = t->p.sid_len != 0;
	cur_bytes(&sid, t->p.sid, t->p.sid_len);
	while (cur_left(&suites) >= 2) {
		uint16_t s = cur_be16(&suites);
		if (s == TLS_SCSV_FALLBACK)
			f->fallback_scsv = 1;
		if (s == TLS_SCSV_RENEG)
			f->reneg_scsv = 1;
		fp_push16(h.ciphers, &h.n_ciphers, FP_MAX_CIPHERS, s, &h.truncated);
	}
	/* Extensions are optional before TLS 1.3 (RFC 5246 §7.4.1.2). */
	if (cur_left(m)) {
		cur_sub(m, cur_be16(m), &exts);
		if (m->err || cur_left(m))
			bad = 1;
		while (!exts.err && cur_left(&exts) >= 4) {
			uint16_t type = cur_be16(&exts);
			cur_sub(&exts, cur_be16(&exts), &e);
			if (exts.err) {
				bad = 1;
				break;
			}
			fp_push16(h.exts, &h.n_exts, FP_MAX_EXTS, type, &h.truncated);
			switch (type) {
			case 0x0000: bad |= tls_ext_sni(t, &e); break;
			case 0x0010: bad |= tls_ext_alpn(t, &e, &h); break;
			case 0x000a:
				bad |= tls_ext_u16_list(&e, 2, h.groups, &h.n_groups, FP_MAX_GROUPS,
							&h.truncated);
				break;
			case 0x000b: bad |= tls_ext_formats(&e, &h); break;
			case 0x000d:
				bad |= tls_ext_u16_list(&e, 2, h.sigalgs, &h.n_sigalgs,
							FP_MAX_SIGALGS, &h.truncated);
				break;
			case 0x0033: bad |= tls_ext_key_share_client(&e); break;
			case 0x002b:
				h.has_versions = 1;
				bad |= tls_ext_u16_list(&e, 1, h.versions, &h.n_versions,
							FP_MAX_VERSIONS, &h.truncated);
				break;
			case 0x0023: f->ticket_offered |= cur_left(&e) != 0; break;
			case 0x0029: f->ticket_offered = 1; break;
			case 0xff01: f->reneg_info = 1; break;
			default: break;
			}
		}
		if (exts.err || cur_left(&exts))
			bad = 1;
	}
	if (bad)
		f->malformed[0]++;
	tls_client_versions(t, &h);
	fp_ja3(&h, f->ja3);
	fp_ja4(&h, f->ja4);
}

/* RFC 5246 E.2: the SSLv2-compatible ClientHello. */
static void tls_sslv2_client_hello(struct tls *t, struct cur *m)
{
	struct tls_facts *f = &t->f;
	struct cur specs;
	uint16_t version = cur_be16(m);
	uint16_t spec_len = cur_be16(m);
	uint16_t sid_len = cur_be16(m);
	uint16_t chal_len = cur_be16(m);
	cur_sub(m, spec_len, &specs);
	cur_skip(m, sid_len);
	cur_skip(m, chal_len);
	if (m->err || spec_len % 3 || sid_len > 32 || chal_len < 16 || chal_len > 32) {
		f->malformed[0]++;
		return;
	}
	f->client_hello = 1;
	f->sslv2_client_hello = 1;
	f->client_legacy_version = version;
	f->client_max_version = version;
	while (cur_left(&specs) >= 3) {
		uint8_t hi = cur_u8(&specs);
		uint16_t s = cur_be16(&specs);
		if (hi != 0)
			continue; /* an SSLv2-only cipher kind */
		if (s == TLS_SCSV_FALLBACK)
			f->fallback_scsv = 1;
		if (s == TLS_SCSV_RENEG)
			f->reneg_scsv = 1;
	}
}

/* ---- ServerHello -------------------------------------------------------- */

static void tls_server_hello(struct tls *t, struct cur *m)
{
	struct tls_facts *f = &t->f;
	struct cur sid, exts, e;
	uint8_t random[32];
	uint16_t ext_types[FP_MAX_EXTS];
	uint16_t n_ext = 0;
	uint8_t trunc = 0;
	int bad = 0;

	uint16_t legacy = cur_be16(m);
	cur_bytes(m, random, sizeof(random));
	cur_sub(m, cur_u8(m), &sid);
	uint16_t cipher = cur_be16(m);
	uint8_t comp = cur_u8(m);
	if (m->err || cur_left(&sid) > 32) {
		f->malformed[1]++;
		return;
	}
	int hrr = memcmp(random, tls_hrr_random, sizeof(random)) == 0;
	uint16_t version = legacy;
	uint16_t group = 0;
	int psk = 0;
	if (cur_left(m)) {
		cur_sub(m, cur_be16(m), &exts);
		if (m->err || cur_left(m))
			bad = 1;
		while (!exts.err && cur_left(&exts) >= 4) {
			uint16_t type = cur_be16(&exts);
			cur_sub(&exts, cur_be16(&exts), &e);
			if (exts.err)
				break;
			fp_push16(ext_types, &n_ext, FP_MAX_EXTS, type, &trunc);
			switch (type) {
			case 0x002b: /* RFC 8446 §4.2.1: selected_version */
				version = cur_be16(&e);
				break;
			case 0x0033: /* §4.2.8: KeyShareEntry, or selected_group in HRR */
				group = cur_be16(&e);
				if (!hrr) {
					struct cur kx;
					cur_sub(&e, cur_be16(&e), &kx);
				}
				break;
			case 0x0029: /* §4.2.11: selected_identity */
				cur_be16(&e);
				psk = 1;
				break;
			default: cur_skip(&e, cur_left(&e)); break;
			}
			if (e.err || cur_left(&e))
				bad = 1;
		}
		if (exts.err || cur_left(&exts))
			bad = 1;
	}
	if (bad)
		f->malformed[1]++;
	if (hrr) {
		f->hello_retry = 1;
		f->version = version;
		f->cipher = cipher;
		if (group)
			f->group = group;
		return;
	}
	if (f->server_hello)
		return; /* a second ServerHello: keep the first */
	f->server_hello = 1;
	f->version = version;
	f->cipher = cipher;
	f->compression = comp;
	if (group)
		f->group = group;
	if (!memcmp(random + 24, tls_downgrade, sizeof(tls_downgrade))) {
		if (random[31] == 0x01)
			f->downgrade_sentinel = 1;
		else if (random[31] == 0x00)
			f->downgrade_sentinel = 2;
	}
	size_t slen = cur_left(&sid);
	const uint8_t *s = cur_peek(&sid, slen);
	t->p.sid_echo = slen && s && slen == t->p.sid_len && !memcmp(s, t->p.sid, slen);
	t->p.tls13 = (uint8_t)tls_is_13(version);
	if (t->p.tls13 && psk)
		f->resumed = 1;
	fp_ja3s(legacy, cipher, ext_types, n_ext, f->ja3s);
	tls_version_known(t);
}

/* ---- Certificate, ServerKeyExchange ------------------------------------ */

static void tls_certificate(struct tls *t, struct cur *m)
{
	/* RFC 5246 §7.4.2: certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1>. */
	struct tls_chain chain;
	struct cur list, cert;
	unsigned count = 0;
	memset(&chain, 0, sizeof(chain));
	cur_sub(m, cur_be24(m), &list);
	while (!list.err && cur_left(&list)) {
		cur_sub(&list, cur_be24(&list), &cert);
		if (list.err || cur_left(&cert) == 0)
			break;
		if (chain.n < TLS_MAX_CHAIN) {
			chain.len[chain.n] = cur_left(&cert);
			chain.der[chain.n] = cur_peek(&cert, chain.len[chain.n]);
			chain.n++;
		}
		count++;
	}
	if (list.err || m->err || cur_left(&list) || cur_left(m))
		t->f.malformed[1]++;
	t->p.server_cert = 1;
	t->f.server_certs = (uint8_t)(count > 255 ? 255 : count);
	if (t->on_chain && chain.n)
		t->on_chain(t->chain_ctx, &chain);
}

enum { TLS_KX_OTHER, TLS_KX_DHE, TLS_KX_ECDHE, TLS_KX_DHE_PSK, TLS_KX_ECDHE_PSK };

/* The key exchange of the common ephemeral suites (IANA TLS Cipher Suites
 * registry), enough to read a ServerKeyExchange; other suites are decided
 * from the message's shape. */
static int tls_suite_kx(uint16_t s)
{
	if ((s >= 0xc006 && s <= 0xc00a) || (s >= 0xc010 && s <= 0xc019) || s == 0xc023 ||
	    s == 0xc024 || s == 0xc027 || s == 0xc028 || s == 0xc02b || s == 0xc02c ||
	    s == 0xc02f || s == 0xc030 ||
	    (s >= 0xc048 && s <= 0xc04d && s != 0xc04a && s != 0xc04b) || s == 0xc05c ||
	    s == 0xc05d || s == 0xc060 || s == 0xc061 || s == 0xc072 || s == 0xc073 ||
	    s == 0xc076 || s == 0xc077 || s == 0xc086 || s == 0xc087 || s == 0xc08a ||
	    s == 0xc08b || (s >= 0xc0ac && s <= 0xc0af) || s == 0xcca8 || s == 0xcca9)
		return TLS_KX_ECDHE;
	if ((s >= 0xc033 && s <= 0xc03b) || s == 0xccac || (s >= 0xd001 && s <= 0xd005))
		return TLS_KX_ECDHE_PSK;
	if ((s >= 0x0011 && s <= 0x001b) || s == 0x0032 || s == 0x0033 || s == 0x0034 ||
	    s == 0x0038 || s == 0x0039 || s == 0x003a || s == 0x0040 || s == 0x0044 ||
	    s == 0x0045 || s == 0x0046 || (s >= 0x0067 && s <= 0x006d) ||
	    (s >= 0x0087 && s <= 0x0089) || (s >= 0x0099 && s <= 0x009b) || s == 0x009e ||
	    s == 0x009f || s == 0x00a2 || s == 0x00a3 || s == 0x00a6 || s == 0x00a7 ||
	    s == 0x00bd || s == 0x00be || s == 0x00c3 || s == 0x00c4 || s == 0xc044 ||
	    s == 0xc045 || s == 0xc09e || s == 0xc09f || s == 0xc0a2 || s == 0xc0a3 || s == 0xccaa)
		return TLS_KX_DHE;
	if (s == 0x002d || (s >= 0x008e && s <= 0x0091) || s == 0x00aa || s == 0x00ab ||
	    (s >= 0x00b2 && s <= 0x00b5) || s == 0xc0a6 || s == 0xc0a7 || s == 0xccad)
		return TLS_KX_DHE_PSK;
	return TLS_KX_OTHER;
}

/* Bit length of an unsigned big-endian integer (leading zero bytes and
 * bits do not count). */
static uint16_t tls_bits(struct cur *v)
{
	uint8_t top = 0;
	while (cur_left(v) && top == 0)
		top = cur_u8(v);
	if (top == 0)
		return 0;
	unsigned b = 0;
	while (top) {
		b++;
		top = (uint8_t)(top >> 1);
	}
	size_t bits = cur_left(v) * 8 + b;
	return (uint16_t)(bits > 65535 ? 65535 : bits);
}

static void tls_server_key_exchange(struct tls *t, struct cur *m)
{
	/* RFC 4492 §5.4 (ECDHE: curve_type 3 = named_curve, then the group) and
	 * RFC 5246 §7.4.3 (DHE: dh_p<1..2^16-1>, dh_g, dh_Ys). */
	struct cur hint, p;
	int kx = tls_suite_kx(t->f.cipher);
	t->p.server_ske = 1;
	if (kx == TLS_KX_DHE_PSK || kx == TLS_KX_ECDHE_PSK) {
		cur_sub(m, cur_be16(m), &hint); /* psk_identity_hint (RFC 4279 §2) */
		kx = kx == TLS_KX_DHE_PSK ? TLS_KX_DHE : TLS_KX_ECDHE;
	}
	if (kx == TLS_KX_OTHER) {
		/* Unknown suite: a named-curve ECDHE key exchange is 3, group,
		 * then a point that fits; anything else is read as DHE. */
		struct cur probe = *m;
		uint8_t ct = cur_u8(&probe);
		cur_be16(&probe);
		uint8_t plen = cur_u8(&probe);
		kx = (ct == 3 && !probe.err && plen > 0 && cur_left(&probe) >= plen) ? TLS_KX_ECDHE
										     : TLS_KX_DHE;
	}
	if (kx == TLS_KX_ECDHE) {
		uint8_t ct = cur_u8(m);
		uint16_t g = cur_be16(m);
		if (m->err || ct != 3) {
			if (ct != 3 && !m->err)
				return; /* explicit curves: no group number */
			t->f.malformed[1]++;
			return;
		}
		t->f.group = g;
		return;
	}
	cur_sub(m, cur_be16(m), &p);
	if (m->err) {
		t->f.malformed[1]++;
		return;
	}
	t->f.dh_bits = tls_bits(&p);
}

/* ---- handshake layer ---------------------------------------------------- */

/* One whole handshake message (header included) from direction dir. */
static void tls_hs_msg(struct tls *t, int dir, const uint8_t *p, size_t n)
{
	struct cur c = cur_make(p, n);
	struct cur body;
	uint8_t type = cur_u8(&c);
	cur_sub(&c, cur_be24(&c), &body);
	if (c.err)
		return;
	if (dir == 0) {
		if (type == TLS_HS_CLIENT_HELLO)
			tls_client_hello(t, &body);
		return;
	}
	switch (type) {
	case TLS_HS_SERVER_HELLO: tls_server_hello(t, &body); break;
	case TLS_HS_CERTIFICATE:
		if (!t->p.tls13)
			tls_certificate(t, &body);
		break;
	case TLS_HS_SERVER_KEY_EXCHANGE: tls_server_key_exchange(t, &body); break;
	case TLS_HS_CERTIFICATE_REQUEST: t->f.client_cert_requested = 1; break;
	case TLS_HS_NEW_SESSION_TICKET: t->p.new_ticket = 1; break;
	default: break;
	}
}

/* Makes room for a message of need bytes (header included). */
static int tls_hs_reserve(struct tls *t, struct tls_dir_state *s, uint32_t need)
{
	if (s->hs_cap >= need)
		return 0;
	uint8_t *q = s->hs_buf ? mem_realloc(t->mem, s->hs_buf, s->hs_cap, need)
			       : mem_calloc(t->mem, need);
	if (!q)
		return -1;
	s->hs_buf = q;
	s->hs_cap = need;
	return 0;
}

/* Starts a message whose 4-byte header is hdr: returns its total length, or
 * 0 when it is too long (it is then skipped and counted). */
static uint32_t tls_hs_start(struct tls *t, int dir, const uint8_t *hdr)
{
	struct cur h = cur_make(hdr, 4);
	cur_u8(&h);
	uint32_t len = cur_be24(&h);
	struct tls_dir_state *s = &t->p.d[dir];
	if (len > t->cfg->max_handshake) {
		t->f.skipped_handshake[dir]++;
		s->skip = len;
		return 0;
	}
	return len + 4;
}

/* The fragment of a handshake record: messages, whole or in parts. */
static void tls_hs_data(struct tls *t, int dir, struct cur *c)
{
	struct tls_dir_state *s = &t->p.d[dir];
	while (cur_left(c)) {
		size_t left = cur_left(c);
		if (s->skip) {
			size_t k = left < s->skip ? left : s->skip;
			cur_skip(c, k);
			s->skip -= (uint32_t)k;
			continue;
		}
		if (s->hs_hdr_len == 0 && s->hs_need == 0 && left >= 4) {
			/* The common case: the message is whole in this record. */
			uint32_t need = tls_hs_start(t, dir, cur_peek(c, 4));
			if (need == 0) {
				cur_skip(c, 4);
				continue;
			}
			if (left >= need) {
				tls_hs_msg(t, dir, cur_peek(c, need), need);
				cur_skip(c, need);
				continue;
			}
		}
		if (s->hs_need == 0) {
			/* Collect the 4-byte header, then the body. */
			size_t k = 4u - s->hs_hdr_len;
			if (k > left)
				k = left;
			cur_bytes(c, s->hs_hdr + s->hs_hdr_len, k);
			s->hs_hdr_len = (uint8_t)(s->hs_hdr_len + k);
			if (s->hs_hdr_len < 4)
				return;
			s->hs_hdr_len = 0;
			uint32_t need = tls_hs_start(t, dir, s->hs_hdr);
			if (need == 0)
				continue;
			if (tls_hs_reserve(t, s, need) < 0) {
				t->f.skipped_handshake[dir]++;
				s->skip = need - 4;
				continue;
			}
			memcpy(s->hs_buf, s->hs_hdr, 4);
			s->hs_len = 4;
			s->hs_need = need;
		}
		size_t k = s->hs_need - s->hs_len;
		if (k > cur_left(c))
			k = cur_left(c);
		cur_bytes(c, s->hs_buf + s->hs_len, k);
		s->hs_len += (uint32_t)k;
		if (s->hs_len == s->hs_need) {
			uint32_t n = s->hs_need;
			s->hs_need = s->hs_len = 0;
			tls_hs_msg(t, dir, s->hs_buf, n);
		}
	}
}

/* ---- records ------------------------------------------------------------ */

static void tls_alert(struct tls *t, int dir, struct cur *c)
{
	struct tls_facts *f = &t->f;
	struct tls_dir_state *s = &t->p.d[dir];
	/* Clear alerts are {level 1 or 2, description} pairs (RFC 5246 §7.2). */
	struct cur probe = *c;
	int clear = cur_left(&probe) >= 2 && cur_left(&probe) % 2 == 0;
	while (clear && cur_left(&probe) >= 2) {
		uint8_t level = cur_u8(&probe);
		cur_u8(&probe);
		clear = level == 1 || level == 2;
	}
	if (s->enc && !t->p.tls13)
		clear = 0; /* RFC 5246 §7.1: after ChangeCipherSpec, protected */
	if (!clear) {
		/* Unreadable: encrypted (after CCS, or under TLS 1.3 keys) or
		 * garbage; before the handshake ends it means failure. */
		if (s->enc || (t->p.tls13 && dir == 0 && f->server_hello))
			f->encrypted_alert[dir] = 1;
		else
			f->malformed[dir]++;
		if (!f->established)
			tls_fail(t);
		return;
	}
	while (cur_left(c) >= 2) {
		uint8_t level = cur_u8(c);
		uint8_t desc = cur_u8(c);
		if (f->alerts_n[dir] < TLS_MAX_ALERTS) {
			f->alerts[dir][f->alerts_n[dir]][0] = level;
			f->alerts[dir][f->alerts_n[dir]][1] = desc;
			f->alerts_n[dir]++;
		}
		/* A fatal alert or close_notify ends the connection. */
		if (level == 2 || desc == 0)
			tls_fail(t);
	}
}

static void tls_update_progress(struct tls *t)
{
	struct tls_priv *p = &t->p;
	struct tls_facts *f = &t->f;
	if (p->tls13) {
		if (p->d[0].flight && p->d[1].flight && !p->failed)
			f->established = 1;
	} else if (p->d[0].finished && p->d[1].finished && !p->failed) {
		f->established = 1;
	}
	/* Encrypted data both ways without a visible handshake (picked up
	 * mid-stream): it was established before the capture began. */
	if (!f->server_hello && p->app_seen[0] && p->app_seen[1] && !p->failed)
		f->established = 1;
	if (f->server_hello && !p->tls13 && !f->resumed && p->d[1].enc && !p->server_cert &&
	    !p->server_ske && (p->sid_echo || f->ticket_offered))
		f->resumed = 1; /* abbreviated handshake (RFC 5246 §7.3, RFC 5077 §3.1) */
}

static void tls_record(struct tls *t, int dir, uint8_t type, struct cur *c)
{
	struct tls_facts *f = &t->f;
	struct tls_dir_state *s = &t->p.d[dir];
	size_t len = cur_left(c);
	int enc_before = s->enc;

	switch (type) {
	case TLS_CT_CCS:
		f->ccs[dir] = 1;
		if (f->server_hello && !t->p.tls13)
			s->enc = 1;
		else if (!f->server_hello)
			s->ccs_early = 1; /* decided when the ServerHello comes */
		/* TLS 1.3 middlebox compatibility CCS (RFC 8446 D.4): no effect */
		break;
	case TLS_CT_ALERT: tls_alert(t, dir, c); break;
	case TLS_CT_HANDSHAKE:
		if (s->enc) {
			/* ≤1.2: the first protected handshake message is Finished. */
			if (s->post_enc == 0)
				s->finished = 1;
		} else if (dir == 1 && t->p.tls13) {
			f->malformed[1]++; /* clear handshake after a 1.3 ServerHello */
		} else {
			tls_hs_data(t, dir, c);
		}
		break;
	case TLS_CT_APP:
		f->app_bytes[dir] += len;
		t->p.app_seen[dir] = 1;
		if (t->p.tls13 && f->server_hello) {
			/* RFC 8446 §5.2: an alert under handshake keys is 2 bytes +
			 * content type + a 16-byte tag (19); the smallest client
			 * Finished is 53, an empty client Certificate 25. */
			if (!s->flight && len >= 11 && len <= 19 && dir == 0) {
				f->encrypted_alert[0] = 1;
				if (!f->established)
					tls_fail(t);
			}
			s->flight = 1;
			s->done = 1;
		} else if (!f->server_hello && !f->client_hello) {
			s->done = 1; /* mid-stream: nothing in the clear to wait for */
		}
		break;
	default: break; /* heartbeat */
	}
	if (enc_before && !t->p.tls13) {
		if (s->post_enc < 255)
			s->post_enc++;
		s->done = 1; /* CCS and one more record: the Finished (or an alert) */
	}
	tls_update_progress(t);
}

/* The handshake buffers are not needed once the clear part is over: the
 * session keeps struct tls for the connection's life. */
static void tls_release(struct tls *t)
{
	for (int d = 0; d < 2; d++) {
		struct tls_dir_state *s = &t->p.d[d];
		mem_free(t->mem, s->hs_buf, s->hs_cap);
		s->hs_buf = NULL;
		s->hs_cap = s->hs_len = s->hs_need = 0;
		s->hs_hdr_len = 0;
	}
}

/* Parses whole records from p[0..n); returns the bytes consumed. Stops after
 * the record that ends the clear-text handshake, so that what follows is the
 * caller's to count whatever the split of the bytes into calls. */
static size_t tls_records(struct tls *t, int dir, const uint8_t *p, size_t n)
{
	struct tls_dir_state *s = &t->p.d[dir];
	size_t off = 0;
	int was_done = tls_done(t);
	while (off < n && s->state != TLS_ST_DEAD) {
		struct cur c = cur_make(p + off, n - off);
		if (cur_left(&c) < 5)
			break;
		uint8_t type = cur_u8(&c);
		uint8_t major = cur_u8(&c);
		uint8_t minor = cur_u8(&c);
		uint16_t len = cur_be16(&c);
		if (type < TLS_CT_CCS || type > TLS_CT_HEARTBEAT || major != 3 || minor > 4 ||
		    len > TLS_WILD_RECORD) {
			if (t->f.records[dir] == 0)
				tls_not_tls(t, dir);
			else {
				t->f.malformed[dir]++;
				tls_give_up(t, dir);
			}
			break;
		}
		struct cur body;
		if (!cur_sub(&c, len, &body))
			break; /* the rest of the record is yet to come */
		if (len > TLS_MAX_RECORD)
			t->f.oversize_records[dir]++;
		t->f.records[dir]++;
		tls_record(t, dir, type, &body);
		off += 5u + len;
		if (!was_done && tls_done(t)) {
			tls_release(t);
			break;
		}
	}
	return off;
}

/* The first bytes of a direction: an SSLv2 hello, TLS records, or not TLS.
 * Returns the bytes consumed, and leaves the state START while undecided. */
static size_t tls_first(struct tls *t, int dir, const uint8_t *p, size_t n)
{
	struct tls_dir_state *s = &t->p.d[dir];
	int looks = tls_looks_like_tls(p, n);
	if (looks < 0)
		return 0;
	if (looks == 0) {
		tls_not_tls(t, dir);
		return n;
	}
	struct cur c = cur_make(p, n);
	uint8_t b0 = cur_u8(&c);
	if (!(b0 & 0x80)) {
		s->state = TLS_ST_RECORDS;
		return 0;
	}
	/* SSLv2 record with a 2-byte header (RFC 5246 E.2). */
	uint8_t b1 = cur_u8(&c);
	size_t len = ((size_t)(b0 & 0x7f) << 8) | b1;
	struct cur msg;
	if (!cur_sub(&c, len, &msg))
		return 0;
	t->f.records[dir]++;
	uint8_t type = cur_u8(&msg);
	if (type == 1 && dir == 0) {
		tls_sslv2_client_hello(t, &msg);
		s->state = TLS_ST_RECORDS;
	} else if (type == 4 && dir == 1) {
		/* SSLv2 ServerHello: the server speaks SSLv2; the rest is
		 * SSLv2 and not followed. */
		t->f.server_hello = 1;
		t->f.version = 0x0002;
		t->p.sslv2 = 1;
		tls_give_up(t, 0);
		tls_give_up(t, 1);
	} else {
		tls_not_tls(t, dir);
		return n;
	}
	return 2 + len;
}

/* After a gap: finds the next plausible record header. Returns the bytes
 * skipped; the state becomes RECORDS when one is found. */
static size_t tls_resync(struct tls *t, int dir, const uint8_t *p, size_t n)
{
	struct tls_dir_state *s = &t->p.d[dir];
	size_t i = 0;
	for (; i + 5 <= n; i++) {
		if (!tls_header_ok(p + i, n - i))
			continue;
		/* Confirm with the header after this record when it is here. */
		struct cur c = cur_make(p + i + 3, 2);
		size_t next = i + 5 + cur_be16(&c);
		if (next + 5 <= n && !tls_header_ok(p + next, n - next))
			continue;
		s->state = TLS_ST_RECORDS;
		s->resync = 0;
		return i;
	}
	s->resync += (uint32_t)i;
	if (s->resync > TLS_RESYNC_LIMIT) {
		tls_give_up(t, dir);
		return n;
	}
	return i;
}

void tls_free(struct tls *t)
{
	tls_release(t);
}

size_t tls_feed(struct tls *t, int dir, const uint8_t *p, size_t n)
{
	dir &= 1;
	struct tls_dir_state *s = &t->p.d[dir];
	size_t used = 0;
	if (s->state == TLS_ST_DEAD)
		return n;
	if (s->state == TLS_ST_START) {
		used = tls_first(t, dir, p, n);
		if (s->state == TLS_ST_START || s->state == TLS_ST_DEAD)
			return s->state == TLS_ST_DEAD ? n : used;
	}
	if (s->state == TLS_ST_RESYNC) {
		used += tls_resync(t, dir, p + used, n - used);
		if (s->state != TLS_ST_RECORDS)
			return s->state == TLS_ST_DEAD ? n : used;
	}
	used += tls_records(t, dir, p + used, n - used);
	return s->state == TLS_ST_DEAD ? n : used;
}

void tls_gap(struct tls *t, int dir, uint64_t n)
{
	dir &= 1;
	struct tls_dir_state *s = &t->p.d[dir];
	(void)n;
	if (s->state == TLS_ST_DEAD)
		return;
	/* A handshake message in parts cannot be completed any more. */
	s->hs_hdr_len = 0;
	s->hs_need = s->hs_len = 0;
	s->skip = 0;
	s->state = TLS_ST_RESYNC;
	s->resync = 0;
}

int tls_done(const struct tls *t)
{
	const struct tls_priv *p = &t->p;
	if (t->f.not_tls[0] || t->f.not_tls[1] || p->failed || p->sslv2)
		return 1;
	return p->d[0].done && p->d[1].done;
}
