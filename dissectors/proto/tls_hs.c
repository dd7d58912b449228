/* tls_hs.c — TLS dissector, the clear-text handshake messages: ClientHello
 * (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2, extensions RFC 8446 §4.2, RFC 6066 §3,
 * RFC 7301 §3.1), SSLv2-compatible ClientHello (RFC 5246 Appendix E.2),
 * ServerHello and HelloRetryRequest (RFC 8446 §4.1.3-4.1.4), Certificate
 * (RFC 5246 §7.4.2) and ServerKeyExchange (RFC 4492 §5.4, RFC 5246 §7.4.3).
 *
 * Each parser gets one whole message body in a cursor. A message whose
 * lengths do not add up is counted in the facts (malformed) and, by the
 * cursor's error kind, as a truncated, invalid or trailing-bytes event.
 */
#include "dissectors/proto/tls_hs.h"

#include <string.h>

#include "dissectors/proto/ciphers.h"
#include "dissectors/proto/fingerprint.h"

enum {
	TLSD_HS_HELLO_REQUEST = 0,
	TLSD_HS_CLIENT_HELLO = 1,
	TLSD_HS_SERVER_HELLO = 2,
	TLSD_HS_NEW_SESSION_TICKET = 4,
	TLSD_HS_CERTIFICATE = 11,
	TLSD_HS_SERVER_KEY_EXCHANGE = 12,
	TLSD_HS_CERTIFICATE_REQUEST = 13,
	TLSD_HS_SERVER_HELLO_DONE = 14,
};

#define TLSD_SCSV_RENEG	   0x00ff
#define TLSD_SCSV_FALLBACK 0x5600

/* RFC 8446 §4.1.3: SHA-256("HelloRetryRequest") as ServerHello.random. */
static const uint8_t tls_hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
	0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
	0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* RFC 8446 §4.1.3: the last 8 bytes of ServerHello.random when a TLS 1.3
 * server negotiates TLS 1.2 ("...\x01") or an older version ("...\x00"). */
static const uint8_t tls_downgrade[7] = {0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44};

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

/* The first of two error kinds (enum cur_err): the first error latches. */
static int tls_first_err(int kept, int e)
{
	return kept ? kept : e;
}

/* Ends a length-prefixed list read from extension body e: the list's error,
 * else bytes left in e after it (enum cur_err, CUR_OK when clean). */
static int tls_vec_end(struct cur *e, struct cur *list)
{
	cur_close(e, list);
	return (int)cur_end(e);
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
	return tls_vec_end(e, &list);
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
	return tls_vec_end(e, &list);
}

static int tls_ext_u16_list(struct cur *e, int len_bytes, uint16_t *arr, uint16_t *n, size_t cap,
			    uint8_t *trunc)
{
	struct cur list;
	size_t len = len_bytes == 1 ? cur_u8(e) : cur_be16(e);
	cur_sub(e, len, &list);
	if (len & 1)
		return CUR_INVALID;
	while (!list.err && cur_left(&list) >= 2)
		fp_push16(arr, n, cap, cur_be16(&list), trunc);
	return tls_vec_end(e, &list);
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
	return tls_vec_end(e, &list);
}

/* Keeps v (not GREASE) in a list of at most cap entries; a cut list is
 * noted in the facts. */
static void tls_keep16(struct tls_facts *f, uint16_t *arr, uint8_t *n, size_t cap, uint16_t v)
{
	if (suite_is_grease(v))
		return;
	if (*n < cap)
		arr[(*n)++] = v;
	else
		f->client_lists_cut = 1;
}

static int tls_ext_key_share_client(struct tls *t, struct cur *e)
{
	/* RFC 8446 §4.2.8: client_shares<0..2^16-1> of {group, key_exchange<1..2^16-1>}. */
	struct tls_facts *f = &t->f;
	struct cur list, kx;
	cur_sub(e, cur_be16(e), &list);
	while (!list.err && cur_left(&list)) {
		uint16_t g = cur_be16(&list);
		cur_sub(&list, cur_be16(&list), &kx);
		if (list.err)
			break;
		tls_keep16(f, f->client_shares, &f->n_client_shares, TLSD_MAX_SHARES, g);
		if (suite_group_is_pq(g))
			f->client_pq_share = 1;
	}
	return tls_vec_end(e, &list);
}

/* The supported_groups the fingerprint collected, GREASE removed, into the
 * facts; whether one of them is post-quantum. */
static void tls_client_groups(struct tls *t, const struct fp_hello *h)
{
	struct tls_facts *f = &t->f;
	for (size_t i = 0; i < h->n_groups; i++) {
		tls_keep16(f, f->client_groups, &f->n_client_groups, TLSD_MAX_GROUPS, h->groups[i]);
		if (suite_group_is_pq(h->groups[i]))
			f->client_pq_offered = 1;
	}
}

static void tls_client_versions(struct tls *t, const struct fp_hello *h)
{
	struct tls_facts *f = &t->f;
	uint16_t best = 0;
	for (size_t i = 0; i < h->n_versions; i++) {
		uint16_t v = h->versions[i];
		if (suite_is_grease(v))
			continue;
		if (f->n_client_versions < TLSD_MAX_VERSIONS)
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
	size_t body = cur_left(m);
	h.version = cur_be16(m);
	cur_skip(m, 32); /* random */
	cur_sub(m, cur_u8(m), &sid);
	cur_sub(m, cur_be16(m), &suites);
	cur_sub(m, cur_u8(m), &comp);
	if (m->err || cur_left(&sid) > 32 || (cur_left(&suites) & 1)) {
		tls_hs_malformed(t, 0, m->err ? m->err : CUR_INVALID);
		return;
	}
	f->client_hello = 1;
	f->client_hello_bytes = (uint32_t)(body + 4);
	f->client_legacy_version = h.version;
	f->client_max_version = h.version;
	t->p.sid_len = (uint8_t)cur_left(&sid);
	f->session_id_offered = t->p.sid_len != 0;
	cur_bytes(&sid, t->p.sid, t->p.sid_len);
	while (cur_left(&suites) >= 2) {
		uint16_t s = cur_be16(&suites);
		if (s == TLSD_SCSV_FALLBACK)
			f->fallback_scsv = 1;
		if (s == TLSD_SCSV_RENEG)
			f->reneg_scsv = 1;
		fp_push16(h.ciphers, &h.n_ciphers, FP_MAX_CIPHERS, s, &h.truncated);
		tls_keep16(f, f->client_suites, &f->n_client_suites, TLSD_MAX_SUITES, s);
	}
	/* Extensions are optional before TLS 1.3 (RFC 5246 §7.4.1.2). */
	if (cur_left(m)) {
		cur_sub(m, cur_be16(m), &exts);
		bad = (int)cur_end(m);
		while (!exts.err && cur_left(&exts) >= 4) {
			uint16_t type = cur_be16(&exts);
			int r = 0;
			cur_sub(&exts, cur_be16(&exts), &e);
			if (exts.err) {
				bad = tls_first_err(bad, exts.err);
				break;
			}
			fp_push16(h.exts, &h.n_exts, FP_MAX_EXTS, type, &h.truncated);
			switch (type) {
			case 0x0000: r = tls_ext_sni(t, &e); break;
			case 0x0010: r = tls_ext_alpn(t, &e, &h); break;
			case 0x000a:
				r = tls_ext_u16_list(&e, 2, h.groups, &h.n_groups, FP_MAX_GROUPS,
						     &h.truncated);
				break;
			case 0x000b: r = tls_ext_formats(&e, &h); break;
			case 0x000d:
				r = tls_ext_u16_list(&e, 2, h.sigalgs, &h.n_sigalgs, FP_MAX_SIGALGS,
						     &h.truncated);
				break;
			case 0x0033: r = tls_ext_key_share_client(t, &e); break;
			case 0x002b:
				h.has_versions = 1;
				r = tls_ext_u16_list(&e, 1, h.versions, &h.n_versions,
						     FP_MAX_VERSIONS, &h.truncated);
				break;
			case 0x0023: f->ticket_offered |= cur_left(&e) != 0; break;
			case 0x0029: f->ticket_offered = 1; break;
			case 0xff01: f->reneg_info = 1; break;
			default: break;
			}
			bad = tls_first_err(bad, r);
		}
		bad = tls_first_err(bad, (int)cur_end(&exts));
	}
	if (bad)
		tls_hs_malformed(t, 0, bad);
	tls_client_versions(t, &h);
	tls_client_groups(t, &h);
	fp_ja3(&h, f->ja3);
	fp_ja4(&h, f->ja4);
}

/* RFC 5246 E.2: the SSLv2-compatible ClientHello. */
void tls_hs_sslv2_client_hello(struct tls *t, struct cur *m)
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
		tls_hs_malformed(t, 0, m->err ? m->err : CUR_INVALID);
		return;
	}
	f->client_hello = 1;
	f->sslv2_client_hello = 1;
	f->client_hello_bytes = (uint32_t)(cur_left(m) + 9 + spec_len + sid_len + chal_len);
	f->client_legacy_version = version;
	f->client_max_version = version;
	while (cur_left(&specs) >= 3) {
		uint8_t hi = cur_u8(&specs);
		uint16_t s = cur_be16(&specs);
		if (hi != 0)
			continue; /* an SSLv2-only cipher kind */
		if (s == TLSD_SCSV_FALLBACK)
			f->fallback_scsv = 1;
		if (s == TLSD_SCSV_RENEG)
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
		tls_hs_malformed(t, 1, m->err ? m->err : CUR_INVALID);
		return;
	}
	int hrr = memcmp(random, tls_hrr_random, sizeof(random)) == 0;
	uint16_t version = legacy;
	uint16_t group = 0;
	int psk = 0;
	if (cur_left(m)) {
		cur_sub(m, cur_be16(m), &exts);
		bad = (int)cur_end(m);
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
			bad = tls_first_err(bad, (int)cur_end(&e));
		}
		bad = tls_first_err(bad, (int)cur_end(&exts));
	}
	if (bad)
		tls_hs_malformed(t, 1, bad);
	if (hrr) {
		f->hello_retry = 1;
		f->version = version;
		f->cipher = cipher;
		if (group) {
			f->group = group;
			if (!f->hrr_group)
				f->hrr_group = group;
		}
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
	if (cur_close(m, &list) || cur_end(m))
		tls_hs_malformed(t, 1, m->err);
	t->p.server_cert = 1;
	t->f.server_certs = (uint8_t)(count > 255 ? 255 : count);
	if (t->on_chain && chain.n)
		t->on_chain(t->chain_ctx, &chain);
}

enum { TLSD_KX_OTHER, TLSD_KX_DHE, TLSD_KX_ECDHE, TLSD_KX_DHE_PSK, TLSD_KX_ECDHE_PSK };

/* The key exchange a ServerKeyExchange carries, from the cipher registry
 * (ciphers_table.inc, .kx/.auth): ephemeral (EC)DH, anonymous (EC)DH (also
 * ephemeral), each possibly with a PSK identity hint first. Other suites are
 * decided from the message's shape. */
static int tls_suite_kx(uint16_t s)
{
	const struct suite_info *i = suite_lookup(s);
	if (!i)
		return TLSD_KX_OTHER;
	int psk = strcmp(i->auth, "PSK") == 0;
	int anon = strcmp(i->auth, "anon") == 0;
	if (strcmp(i->kx, "ECDHE") == 0 || (anon && strcmp(i->kx, "ECDH") == 0))
		return psk ? TLSD_KX_ECDHE_PSK : TLSD_KX_ECDHE;
	if (strcmp(i->kx, "DHE") == 0 || (anon && strcmp(i->kx, "DH") == 0))
		return psk ? TLSD_KX_DHE_PSK : TLSD_KX_DHE;
	return TLSD_KX_OTHER;
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
	if (kx == TLSD_KX_DHE_PSK || kx == TLSD_KX_ECDHE_PSK) {
		cur_sub(m, cur_be16(m), &hint); /* psk_identity_hint (RFC 4279 §2) */
		kx = kx == TLSD_KX_DHE_PSK ? TLSD_KX_DHE : TLSD_KX_ECDHE;
	}
	if (kx == TLSD_KX_OTHER) {
		/* Unknown suite: a named-curve ECDHE key exchange is 3, group,
		 * then a point that fits; anything else is read as DHE. */
		struct cur probe = *m;
		uint8_t ct = cur_u8(&probe);
		cur_be16(&probe);
		uint8_t plen = cur_u8(&probe);
		kx = (ct == 3 && !probe.err && plen > 0 && cur_left(&probe) >= plen) ? TLSD_KX_ECDHE
										     : TLSD_KX_DHE;
	}
	if (kx == TLSD_KX_ECDHE) {
		uint8_t ct = cur_u8(m);
		uint16_t g = cur_be16(m);
		if (m->err || ct != 3) {
			if (ct != 3 && !m->err)
				return; /* explicit curves: no group number */
			tls_hs_malformed(t, 1, m->err);
			return;
		}
		t->f.group = g;
		return;
	}
	cur_sub(m, cur_be16(m), &p);
	if (m->err) {
		tls_hs_malformed(t, 1, m->err);
		return;
	}
	t->f.dh_bits = tls_bits(&p);
}

/* ---- handshake layer ---------------------------------------------------- */

/* One whole handshake message (header included) from direction dir. */
void tls_hs_msg(struct tls *t, int dir, const uint8_t *p, size_t n)
{
	struct cur c = cur_make(p, n);
	struct cur body;
	uint8_t type = cur_u8(&c);
	cur_sub(&c, cur_be24(&c), &body);
	if (c.err)
		return;
	if (dir == 0) {
		if (type == TLSD_HS_CLIENT_HELLO)
			tls_client_hello(t, &body);
		return;
	}
	switch (type) {
	case TLSD_HS_SERVER_HELLO: tls_server_hello(t, &body); break;
	case TLSD_HS_CERTIFICATE:
		if (!t->p.tls13)
			tls_certificate(t, &body);
		break;
	case TLSD_HS_SERVER_KEY_EXCHANGE: tls_server_key_exchange(t, &body); break;
	case TLSD_HS_CERTIFICATE_REQUEST: t->f.client_cert_requested = 1; break;
	case TLSD_HS_NEW_SESSION_TICKET: t->p.new_ticket = 1; break;
	default: break;
	}
}
