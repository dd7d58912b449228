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

#include "dissectors/base/cur.h"
#include "dissectors/proto/ciphers.h"
#include "dissectors/proto/tls_hs.h"

enum {
	TLSD_ST_START = 0, /* no record yet: TLS, SSLv2 hello, or not TLS */
	TLSD_ST_RECORDS,   /* following records */
	TLSD_ST_RESYNC,	   /* after a gap: looking for a record header */
	TLSD_ST_DEAD,	   /* given up or not TLS: bytes are only consumed */
};

enum {
	TLSD_CT_CCS = 20,
	TLSD_CT_ALERT = 21,
	TLSD_CT_HANDSHAKE = 22,
	TLSD_CT_APP = 23,
	TLSD_CT_HEARTBEAT = 24,
};

/* RFC 5246 §6.2.3: TLSCiphertext.length <= 2^14 + 2048. */
#define TLSD_MAX_RECORD (16384u + 2048u)
/* A length beyond this is not an overlong record but bytes that are not
 * TLS (or a lost record boundary). */
#define TLSD_WILD_RECORD 32768u
/* Bytes scanned for a record header after a gap before giving up. */
#define TLSD_RESYNC_LIMIT (TLSD_WILD_RECORD + 5u)

static const char *const tls_event_names[TLSD_EV_COUNT] = {
	[TLSD_EV_TRUNCATED] = "truncated",
	[TLSD_EV_INVALID] = "invalid",
	[TLSD_EV_TRAILING] = "trailing_bytes",
	[TLSD_EV_RECORD_TOO_LONG] = "record_too_long",
	[TLSD_EV_HANDSHAKE_TOO_LONG] = "handshake_too_long",
	[TLSD_EV_NO_MEMORY] = "no_memory",
	[TLSD_EV_NOT_TLS] = "not_tls",
	[TLSD_EV_GAP] = "gap",
	[TLSD_EV_RESYNC_FAILED] = "resync_failed",
};

const char *tls_event_name(enum tls_event e)
{
	return (unsigned)e < TLSD_EV_COUNT ? tls_event_names[e] : "unknown";
}

uint32_t tls_event_count(const struct tls *t, enum tls_event e)
{
	return (unsigned)e < TLSD_EV_COUNT ? t->events[e] : 0;
}

enum tls_pq tls_pq_verdict(const struct tls_facts *f)
{
	if (!f->client_hello || f->sslv2_client_hello)
		return TLS_PQ_UNKNOWN;
	if (f->group && (f->server_hello || f->hello_retry) && suite_group_is_pq(f->group))
		return TLS_PQ_NEGOTIATED;
	if (!f->client_pq_offered)
		return TLS_PQ_NOT_OFFERED;
	/* Offered: a ServerHello (or a HelloRetryRequest naming a group)
	 * without a post-quantum group means the server chose another. */
	if ((f->server_hello && f->version != 0x0002) || (f->hello_retry && f->group))
		return TLS_PQ_OFFERED_NOT_CHOSEN;
	return TLS_PQ_UNKNOWN;
}

const char *tls_pq_name(enum tls_pq v)
{
	switch (v) {
	case TLS_PQ_NEGOTIATED: return "negotiated";
	case TLS_PQ_OFFERED_NOT_CHOSEN: return "offered_not_chosen";
	case TLS_PQ_NOT_OFFERED: return "not_offered";
	default: return NULL;
	}
}

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
	return type >= TLSD_CT_CCS && type <= TLSD_CT_HEARTBEAT && major == 3 && minor <= 4 &&
	       len <= TLSD_MAX_RECORD;
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
	if (b0 < TLSD_CT_CCS || b0 > TLSD_CT_HEARTBEAT)
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
	return cur_be16(&c) <= TLSD_MAX_RECORD;
}

/* ---- helpers ------------------------------------------------------------ */

static void tls_fail(struct tls *t)
{
	t->p.failed = 1;
}

/* Stops following direction dir; why (enum dissect_status) is what tls_feed
 * answers from then on. */
static void tls_give_up(struct tls *t, int dir, enum dissect_status why)
{
	t->p.d[dir].state = TLSD_ST_DEAD;
	t->p.d[dir].done = 1;
	t->p.dead_why[dir] = (uint8_t)why;
}

static void tls_not_tls(struct tls *t, int dir)
{
	t->f.not_tls[dir] = 1;
	tls_hs_event(t, TLSD_EV_NOT_TLS);
	tls_give_up(t, dir, DISSECT_INVALID);
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
		tls_hs_event(t, TLSD_EV_HANDSHAKE_TOO_LONG);
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
				tls_hs_event(t, TLSD_EV_NO_MEMORY);
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
			tls_hs_malformed(t, dir, CUR_INVALID);
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
	case TLSD_CT_CCS:
		f->ccs[dir] = 1;
		if (f->server_hello && !t->p.tls13)
			s->enc = 1;
		else if (!f->server_hello)
			s->ccs_early = 1; /* decided when the ServerHello comes */
		/* TLS 1.3 middlebox compatibility CCS (RFC 8446 D.4): no effect */
		break;
	case TLSD_CT_ALERT: tls_alert(t, dir, c); break;
	case TLSD_CT_HANDSHAKE:
		if (s->enc) {
			/* ≤1.2: the first protected handshake message is Finished. */
			if (s->post_enc == 0)
				s->finished = 1;
		} else if (dir == 1 && t->p.tls13) {
			tls_hs_malformed(t, 1, CUR_INVALID); /* clear handshake after 1.3 */
		} else {
			tls_hs_data(t, dir, c);
		}
		break;
	case TLSD_CT_APP:
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
 * the record that ends the clear-text handshake (*st SWITCH), so that what
 * follows is the caller's to count whatever the split of the bytes into
 * calls; before a partial record, *st is NEED_MORE and *need its size. */
static size_t tls_records(struct tls *t, int dir, const uint8_t *p, size_t n,
			  enum dissect_status *st, size_t *need)
{
	struct tls_dir_state *s = &t->p.d[dir];
	size_t off = 0;
	int was_done = tls_done(t);
	while (off < n && s->state != TLSD_ST_DEAD) {
		struct cur c = cur_make(p + off, n - off);
		if (cur_left(&c) < 5) {
			*st = DISSECT_NEED_MORE;
			*need = 5;
			break;
		}
		uint8_t type = cur_u8(&c);
		uint8_t major = cur_u8(&c);
		uint8_t minor = cur_u8(&c);
		uint16_t len = cur_be16(&c);
		if (type < TLSD_CT_CCS || type > TLSD_CT_HEARTBEAT || major != 3 || minor > 4 ||
		    len > TLSD_WILD_RECORD) {
			if (t->f.records[dir] == 0) {
				tls_not_tls(t, dir);
			} else {
				tls_hs_malformed(t, dir, CUR_INVALID);
				tls_give_up(t, dir, DISSECT_INVALID);
			}
			break;
		}
		struct cur body;
		if (!cur_sub(&c, len, &body)) {
			*st = DISSECT_NEED_MORE; /* the rest of the record is yet to come */
			*need = 5u + len;
			break;
		}
		if (len > TLSD_MAX_RECORD) {
			t->f.oversize_records[dir]++;
			tls_hs_event(t, TLSD_EV_RECORD_TOO_LONG);
		}
		t->f.records[dir]++;
		tls_record(t, dir, type, &body);
		off += 5u + len;
		if (!was_done && tls_done(t)) {
			tls_release(t);
			*st = DISSECT_SWITCH;
			break;
		}
	}
	return off;
}

/* The first bytes of a direction: an SSLv2 hello, TLS records, or not TLS.
 * Returns the bytes consumed, and leaves the state START while undecided
 * (*need: the bytes wanted). */
static size_t tls_first(struct tls *t, int dir, const uint8_t *p, size_t n, size_t *need)
{
	struct tls_dir_state *s = &t->p.d[dir];
	int looks = tls_looks_like_tls(p, n);
	*need = n + 1;
	if (looks < 0)
		return 0;
	if (looks == 0) {
		tls_not_tls(t, dir);
		return n;
	}
	struct cur c = cur_make(p, n);
	uint8_t b0 = cur_u8(&c);
	if (!(b0 & 0x80)) {
		s->state = TLSD_ST_RECORDS;
		return 0;
	}
	/* SSLv2 record with a 2-byte header (RFC 5246 E.2). */
	uint8_t b1 = cur_u8(&c);
	size_t len = ((size_t)(b0 & 0x7f) << 8) | b1;
	struct cur msg;
	*need = 2 + len;
	if (!cur_sub(&c, len, &msg))
		return 0;
	t->f.records[dir]++;
	uint8_t type = cur_u8(&msg);
	if (type == 1 && dir == 0) {
		tls_hs_sslv2_client_hello(t, &msg);
		s->state = TLSD_ST_RECORDS;
	} else if (type == 4 && dir == 1) {
		/* SSLv2 ServerHello: the server speaks SSLv2; the rest is
		 * SSLv2 and not followed. */
		t->f.server_hello = 1;
		t->f.version = 0x0002;
		t->p.sslv2 = 1;
		tls_give_up(t, 0, DISSECT_OK);
		tls_give_up(t, 1, DISSECT_OK);
	} else {
		tls_not_tls(t, dir);
		return n;
	}
	return 2 + len;
}

/* After a gap: finds the next plausible record header. Returns the bytes
 * skipped; the state becomes RECORDS when one is found (else *need: the
 * bytes wanted from there). */
static size_t tls_resync(struct tls *t, int dir, const uint8_t *p, size_t n, size_t *need)
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
		s->state = TLSD_ST_RECORDS;
		s->resync = 0;
		return i;
	}
	s->resync += (uint32_t)i;
	if (s->resync > TLSD_RESYNC_LIMIT) {
		tls_hs_event(t, TLSD_EV_RESYNC_FAILED);
		tls_give_up(t, dir, DISSECT_TRUNC);
		return n;
	}
	*need = 5;
	return i;
}

void tls_free(struct tls *t)
{
	tls_release(t);
}

struct dissect_result tls_feed(struct tls *t, int dir, const uint8_t *p, size_t n)
{
	dir &= 1;
	struct tls_dir_state *s = &t->p.d[dir];
	size_t used = 0;
	size_t need = 0;
	enum dissect_status st = DISSECT_OK;
	if (s->state == TLSD_ST_START) {
		used = tls_first(t, dir, p, n, &need);
		if (s->state == TLSD_ST_START)
			return dissect_result(DISSECT_NEED_MORE, used, need);
	}
	if (s->state == TLSD_ST_RESYNC) {
		used += tls_resync(t, dir, p + used, n - used, &need);
		if (s->state == TLSD_ST_RESYNC)
			return dissect_result(DISSECT_NEED_MORE, used, need);
	}
	if (s->state == TLSD_ST_RECORDS)
		used += tls_records(t, dir, p + used, n - used, &st, &need);
	if (s->state == TLSD_ST_DEAD) /* given up: bytes are only taken */
		return dissect_result((enum dissect_status)t->p.dead_why[dir], n, 0);
	return dissect_result(st, used, st == DISSECT_NEED_MORE ? need : 0);
}

void tls_gap(struct tls *t, int dir, uint64_t n)
{
	dir &= 1;
	struct tls_dir_state *s = &t->p.d[dir];
	(void)n;
	if (s->state == TLSD_ST_DEAD)
		return;
	tls_hs_event(t, TLSD_EV_GAP);
	/* A handshake message in parts cannot be completed any more. */
	s->hs_hdr_len = 0;
	s->hs_need = s->hs_len = 0;
	s->skip = 0;
	s->state = TLSD_ST_RESYNC;
	s->resync = 0;
}

int tls_done(const struct tls *t)
{
	const struct tls_priv *p = &t->p;
	if (t->f.not_tls[0] || t->f.not_tls[1] || p->failed || p->sslv2)
		return 1;
	return p->d[0].done && p->d[1].done;
}
