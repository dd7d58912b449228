/* rsm.c — TCP stream reassembly per direction (RFC 9293 §3.4, §3.10.7.4).
 *
 * Policy on overlaps: the first copy of a byte wins (what we already hold or
 * delivered), a later copy that differs is counted as a conflict. Memory is
 * bounded twice: per direction (cfg->max_buffer) and across the run
 * (cfg->max_total); when a limit is reached the oldest hole is declared lost so
 * that queued bytes can be delivered and freed, never by growing further.
 */
#include "analyzer/net/rsm.h"

#include <string.h>

/* ACKs further than this beyond what we hold are not plausible evidence of
 * capture loss (garbage, or a different connection reusing the tuple). */
#define RSM_MAX_ACK_JUMP (1u << 30)

struct rsm_seg {
	struct rsm_seg *next;
	uint32_t seq;  /* sequence number of the first byte */
	uint32_t len;  /* bytes covered on the wire */
	uint32_t cap;  /* captured bytes from the start, <= len */
	uint32_t size; /* allocated bytes of data[] */
	uint8_t data[];
};

static int rsm_budget_take(struct rsm_dir *d, const struct rsm_sink *s, uint32_t n)
{
	uint64_t held_here = (uint64_t)d->queued + d->pend_len;
	if (held_here + n > s->cfg->max_buffer || s->budget->held + n > s->cfg->max_total) {
		s->budget->refused += n;
		d->overflow_bytes += n;
		return 0;
	}
	s->budget->held += n;
	if (s->budget->held > s->budget->peak)
		s->budget->peak = s->budget->held;
	return 1;
}

static void rsm_budget_give(const struct rsm_sink *s, uint64_t n)
{
	s->budget->held -= n;
}

/* Tells the consumer that n bytes are lost. The pending tail, which was waiting
 * for bytes that will now never come, is dropped and included in the gap. */
static void rsm_gap(struct rsm_dir *d, const struct rsm_sink *s, uint64_t n)
{
	uint64_t lost = n + d->pend_len;
	if (n) {
		d->gap_bytes += n;
		d->gaps++;
	}
	rsm_budget_give(s, d->pend_len);
	d->pend_len = 0;
	if (lost)
		s->ops->gap(s->ctx, s->dir, lost);
}

/* Appends n bytes to the pending tail; when they cannot be held the consumer
 * loses the tail and these bytes (reported as a gap, counted as overflow). */
static void rsm_keep(struct rsm_dir *d, const struct rsm_sink *s, const uint8_t *p, size_t n)
{
	if (n > UINT32_MAX - d->pend_len || !rsm_budget_take(d, s, (uint32_t)n))
		goto overflow;
	uint32_t want = d->pend_len + (uint32_t)n;
	if (want > d->pend_cap) {
		uint32_t cap = d->pend_cap ? d->pend_cap : 512;
		while (cap < want)
			cap = cap > UINT32_MAX / 2 ? want : cap * 2;
		if (cap > s->cfg->max_buffer && want <= s->cfg->max_buffer)
			cap = s->cfg->max_buffer;
		uint8_t *q = mem_realloc(s->mem, d->pend, d->pend_cap, cap);
		if (!q) {
			rsm_budget_give(s, n);
			d->overflow_bytes += n;
			goto overflow;
		}
		d->pend = q;
		d->pend_cap = cap;
	}
	memcpy(d->pend + d->pend_len, p, n);
	d->pend_len = want;
	return;
overflow:
	d->overflow_bytes += d->pend_len;
	rsm_budget_give(s, d->pend_len);
	{
		uint64_t lost = (uint64_t)d->pend_len + n;
		d->pend_len = 0;
		s->ops->gap(s->ctx, s->dir, lost);
	}
}

/* Hands in-order bytes to the consumer, through the pending tail if any. */
static void rsm_deliver(struct rsm_dir *d, const struct rsm_sink *s, const uint8_t *p, size_t n)
{
	if (n == 0)
		return;
	d->delivered += n;
	if (d->pend_len == 0) {
		size_t k = s->ops->data(s->ctx, s->dir, p, n);
		if (k > n)
			d->contract_violations++;
		else if (k < n)
			rsm_keep(d, s, p + k, n - k);
		return;
	}
	rsm_keep(d, s, p, n);
	if (d->pend_len == 0)
		return;
	size_t k = s->ops->data(s->ctx, s->dir, d->pend, d->pend_len);
	if (k > d->pend_len) { /* a consumer bug: counted, never trusted */
		d->contract_violations++;
		k = d->pend_len;
	}
	memmove(d->pend, d->pend + k, d->pend_len - k);
	d->pend_len -= (uint32_t)k;
	rsm_budget_give(s, k);
}

/* A cheap digest of a segment's first and last 64 bytes and its length: a
 * resend with other bytes almost always differs in those. */
static uint64_t rsm_digest(const uint8_t *p, uint32_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
	uint32_t head = n < 64 ? n : 64;
	uint32_t tail = n < 128 ? n - head : 64;
	for (int part = 0; part < 2; part++) {
		const uint8_t *q = part ? p + n - tail : p;
		uint32_t m = part ? tail : head;
		for (uint32_t i = 0; i < m; i += 8) {
			uint64_t w = 0;
			memcpy(&w, q + i, m - i < 8 ? m - i : 8);
			h = (h ^ w) * 0x100000001b3ull;
			h ^= h >> 29;
		}
	}
	return h;
}

static void rsm_remember(struct rsm_dir *d, uint32_t seq, const uint8_t *p, uint32_t cap,
			 uint32_t len)
{
	if (cap != len || !len)
		return;
	unsigned i = d->recent_pos++ % RSM_RECENT;
	d->recent[i].seq = seq;
	d->recent[i].len = len;
	d->recent[i].digest = rsm_digest(p, len);
}

/* A full resend of delivered bytes: compared with the copy delivered. */
static void rsm_check_resend(struct rsm_dir *d, uint32_t seq, const uint8_t *p, uint32_t cap,
			     uint32_t len)
{
	if (cap != len || !len)
		return;
	for (unsigned i = 0; i < RSM_RECENT; i++)
		if (d->recent[i].len == len && d->recent[i].seq == seq) {
			if (d->recent[i].digest != rsm_digest(p, len))
				d->overlap_conflicts++;
			return;
		}
}

/* Delivers a segment that starts exactly at d->next. */
static void rsm_deliver_seg(struct rsm_dir *d, const struct rsm_sink *s, const uint8_t *data,
			    uint32_t cap, uint32_t len)
{
	rsm_remember(d, d->next, data, cap, len);
	rsm_deliver(d, s, data, cap);
	if (len > cap) /* the snap length cut the segment: the rest is lost */
		rsm_gap(d, s, len - cap);
	d->next += len;
}

static void rsm_check_fin(struct rsm_dir *d)
{
	if (d->fin_seen && !d->fin_done && d->next == d->fin_seq) {
		d->fin_done = 1;
		d->next = d->fin_seq + 1; /* the FIN occupies one sequence number */
	}
}

static void rsm_seg_free(struct rsm_dir *d, const struct rsm_sink *s, struct rsm_seg *q)
{
	d->queued -= q->cap;
	rsm_budget_give(s, q->cap);
	mem_free(s->mem, q, sizeof(*q) + q->size);
}

/* Delivers queued segments that have become in order. */
static void rsm_drain(struct rsm_dir *d, const struct rsm_sink *s)
{
	while (d->queue && rsm_seq_le(d->queue->seq, d->next)) {
		struct rsm_seg *q = d->queue;
		d->queue = q->next;
		uint32_t end = q->seq + q->len;
		if (rsm_seq_lt(d->next, end)) {
			uint32_t k = d->next - q->seq;
			uint32_t ck = k < q->cap ? k : q->cap;
			rsm_deliver_seg(d, s, q->data + ck, q->cap - ck, q->len - k);
		}
		rsm_seg_free(d, s, q);
	}
	rsm_check_fin(d);
}

/* Declares the hole before the first queued segment lost and delivers on. */
static void rsm_skip_hole(struct rsm_dir *d, const struct rsm_sink *s)
{
	if (!d->queue)
		return;
	uint32_t hole = d->queue->seq - d->next;
	d->next = d->queue->seq;
	rsm_gap(d, s, hole);
	rsm_drain(d, s);
}

/* Queues [seq, seq+len) (cap bytes captured) before `at`. Returns 0 when the
 * bytes could not be held. */
static int rsm_insert(struct rsm_dir *d, const struct rsm_sink *s, struct rsm_seg **at,
		      uint32_t seq, const uint8_t *data, uint32_t cap, uint32_t len)
{
	if (!rsm_budget_take(d, s, cap))
		return 0;
	struct rsm_seg *q = mem_calloc(s->mem, sizeof(*q) + cap);
	if (!q) {
		rsm_budget_give(s, cap);
		d->overflow_bytes += cap;
		return 0;
	}
	q->seq = seq;
	q->len = len;
	q->cap = cap;
	q->size = cap;
	if (cap)
		memcpy(q->data, data, cap);
	q->next = *at;
	*at = q;
	d->queued += cap;
	return 1;
}

/* Counts a conflict when the captured bytes of two copies of [from, to) differ. */
static void rsm_compare(struct rsm_dir *d, const struct rsm_seg *q, uint32_t seq,
			const uint8_t *data, uint32_t cap, uint32_t from, uint32_t to)
{
	uint32_t a = from - q->seq, b = from - seq, n = to - from;
	if (a >= q->cap || b >= cap)
		return;
	if (n > q->cap - a)
		n = q->cap - a;
	if (n > cap - b)
		n = cap - b;
	if (memcmp(q->data + a, data + b, n) != 0)
		d->overlap_conflicts++;
}

/* Queues an out-of-order segment, keeping the queue sorted and free of
 * overlaps: only the parts no queued segment covers are added. Returns 0 when
 * something could not be held. */
static int rsm_enqueue(struct rsm_dir *d, const struct rsm_sink *s, uint32_t seq,
		       const uint8_t *data, uint32_t cap, uint32_t len)
{
	uint32_t cur = seq, end = seq + len;
	struct rsm_seg **at = &d->queue;
	int ok = 1;
	while (rsm_seq_lt(cur, end)) {
		struct rsm_seg *q = *at;
		if (q && rsm_seq_le(q->seq + q->len, cur)) {
			at = &q->next;
			continue;
		}
		uint32_t stop = end;
		if (q && rsm_seq_lt(q->seq, stop))
			stop = rsm_seq_lt(cur, q->seq) ? q->seq : cur;
		if (rsm_seq_lt(cur, stop)) { /* a part nothing covers yet */
			uint32_t off = cur - seq;
			uint32_t pcap = off < cap ? cap - off : 0;
			uint32_t plen = stop - cur;
			if (pcap > plen)
				pcap = plen;
			/* nothing captured: no pointer arithmetic on a NULL payload */
			const uint8_t *src = pcap ? data + off : NULL;
			if (!rsm_insert(d, s, at, cur, src, pcap, plen))
				ok = 0;
			else
				at = &(*at)->next;
			cur = stop;
			continue;
		}
		/* q covers cur: compare the overlap and move past q */
		uint32_t qend = q->seq + q->len;
		uint32_t oend = rsm_seq_lt(qend, end) ? qend : end;
		rsm_compare(d, q, seq, data, cap, cur, oend);
		cur = oend;
		at = &q->next;
	}
	return ok;
}

void rsm_syn(struct rsm_dir *d, uint32_t isn)
{
	if (d->syn_seen && d->synced)
		return; /* a retransmitted SYN */
	d->syn_seen = 1;
	if (!d->synced) {
		d->synced = 1;
		d->next = isn + 1;
	}
}

void rsm_segment(struct rsm_dir *d, const struct rsm_sink *s, uint32_t seq, const uint8_t *data,
		 uint32_t cap, uint32_t len, int fin)
{
	if (cap > len)
		cap = len;
	if (!d->synced) {
		d->synced = 1;
		d->next = seq;
		d->midstream = 1;
	}
	if (fin && !d->fin_seen) {
		d->fin_seen = 1;
		d->fin_seq = seq + len;
	}
	while (len) {
		uint32_t end = seq + len;
		if (rsm_seq_le(end, d->next)) {
			d->retransmitted++;
			rsm_check_resend(d, seq, data, cap, len);
			break;
		}
		if (rsm_seq_lt(seq, d->next)) { /* partly seen before */
			uint32_t k = d->next - seq;
			uint32_t ck = k < cap ? k : cap;
			d->retransmitted++;
			seq += k;
			len -= k;
			data += ck;
			cap -= ck;
		}
		if (seq == d->next) {
			rsm_deliver_seg(d, s, data, cap, len);
			rsm_drain(d, s);
			break;
		}
		d->out_of_order++;
		if (rsm_enqueue(d, s, seq, data, cap, len))
			break;
		/* No room: give up the oldest hole so that queued bytes can go. If
		 * nothing is queued, the hole before this very segment goes. */
		d->out_of_order--;
		if (d->queue) {
			rsm_skip_hole(d, s);
		} else {
			uint32_t hole = seq - d->next;
			d->next = seq;
			rsm_gap(d, s, hole);
		}
	}
	rsm_check_fin(d);
}

void rsm_ack(struct rsm_dir *d, const struct rsm_sink *s, uint32_t ack)
{
	if (!d->synced)
		return;
	if (ack - d->next > RSM_MAX_ACK_JUMP && rsm_seq_lt(d->next, ack))
		return;
	if (!d->acked_valid || rsm_seq_lt(d->max_acked, ack)) {
		d->max_acked = ack;
		d->acked_valid = 1;
	}
	while (d->queue && rsm_seq_lt(d->next, ack) && rsm_seq_le(d->queue->seq, ack))
		rsm_skip_hole(d, s);
}

void rsm_flush(struct rsm_dir *d, const struct rsm_sink *s)
{
	if (!d->synced)
		return;
	while (d->queue)
		rsm_skip_hole(d, s);
	uint32_t upto = d->next;
	int have_upto = 0;
	if (d->fin_seen && !d->fin_done) {
		upto = d->fin_seq;
		have_upto = 1;
	} else if (!d->fin_seen && d->acked_valid) {
		upto = d->max_acked;
		have_upto = 1;
	}
	if (have_upto && rsm_seq_lt(d->next, upto) && upto - d->next <= RSM_MAX_ACK_JUMP) {
		uint32_t hole = upto - d->next;
		d->next = upto;
		rsm_gap(d, s, hole);
	}
	rsm_check_fin(d);
}

void rsm_dir_free(struct rsm_dir *d, const struct rsm_sink *s)
{
	while (d->queue) {
		struct rsm_seg *q = d->queue;
		d->queue = q->next;
		rsm_seg_free(d, s, q);
	}
	rsm_budget_give(s, d->pend_len);
	mem_free(s->mem, d->pend, d->pend_cap);
	d->pend = NULL;
	d->pend_len = d->pend_cap = 0;
}
