/* fuzz_rsm.c — fuzz target for analyzer/net/rsm.c: a script of segments, ACKs and
 * SYNs for the two directions of one connection.
 *
 * Input: a 10-byte header, then records.
 *
 *   header:  mode(1) isn0(4) isn1(4) fail_at(1)
 *   record:  +-------+--------+----------+------------------+
 *            | op(1) | len(2) | delta(2) | data (see below) |
 *            +-------+--------+----------+------------------+
 *
 * mode: bit 0 patterned data (every byte is a function of its sequence
 * number, so the consumer can check each byte it gets sits at the right
 * place of the stream; records then carry no data), bits 1-2 the consumer
 * policy, bit 3 a small run-wide limit, bit 4 a 512-byte (else 4096-byte)
 * per-direction limit, bit 5 makes the fail_at-th allocation fail.
 *
 * op: bit 0 the direction; bits 1-2: 0 segment, 1 segment with FIN, 2 ACK,
 * 3 SYN; bit 3 the snap length cut the segment (half of it is captured);
 * bit 4 delta counts in 4096-byte units (far jumps, wrap-around).
 * The sequence number is the direction's cursor (where the previous segment
 * ended) plus the signed delta; len is taken modulo 4096.
 *
 * After every step: the budget holds exactly queue + pending tail of both
 * directions, no direction holds more than max_buffer, and what the consumer
 * consumed, still has pending and was told is lost adds up to what the
 * reassembler delivered plus what it declared lost. At the end everything is
 * flushed and freed, and nothing may remain held or allocated.
 */
#include <string.h>

#include "analyzer/net/rsm.h"
#include "fuzz.h"

#define MAX_SCRIPT_LEN 4096u

enum { POL_ALL = 0, POL_LINES, POL_BATCH, POL_SOME };

struct side {
	uint64_t consumed;  /* bytes the consumer took */
	uint64_t gap_total; /* bytes the consumer was told are lost */
	uint32_t pos;	    /* sequence number of the next byte it expects */
	int checking;	    /* patterned data: verify every byte */
};

struct run {
	int policy;
	struct side side[2];
};

static uint8_t pattern(uint32_t seq)
{
	return (uint8_t)((seq * 2654435761u) >> 24);
}

static size_t on_data(void *ctx, int dir, const uint8_t *p, size_t n)
{
	struct run *r = ctx;
	FUZZ_CHECK(dir == 0 || dir == 1);
	struct side *sd = &r->side[dir];
	if (sd->checking)
		for (size_t i = 0; i < n; i++)
			FUZZ_CHECK(p[i] == pattern(sd->pos + (uint32_t)i));
	size_t take = n;
	switch (r->policy) {
	case POL_ALL: break;
	case POL_LINES: /* whole lines, as the SMTP dissector does */
		take = 0;
		for (size_t i = n; i > 0; i--)
			if (p[i - 1] == '\n') {
				take = i;
				break;
			}
		break;
	case POL_BATCH: /* nothing until 300 bytes wait, as a record parser */
		take = n < 300 ? 0 : n - 7;
		break;
	default: /* an amount the data chooses */ take = n ? p[0] % (n + 1) : 0; break;
	}
	sd->consumed += take;
	sd->pos += (uint32_t)take;
	return take;
}

static void on_gap(void *ctx, int dir, uint64_t n)
{
	struct run *r = ctx;
	FUZZ_CHECK(dir == 0 || dir == 1);
	FUZZ_CHECK(n > 0);
	r->side[dir].gap_total += n;
	r->side[dir].pos += (uint32_t)n;
}

static const struct rsm_ops fuzz_ops = {on_data, on_gap};

static void check(const struct rsm_dir *d, const struct run *r, const struct rsm_cfg *cfg,
		  const struct rsm_budget *b)
{
	uint64_t held = 0;
	for (int i = 0; i < 2; i++) {
		uint64_t here = (uint64_t)d[i].queued + d[i].pend_len;
		held += here;
		FUZZ_CHECK(here <= cfg->max_buffer);
		FUZZ_CHECK(d[i].pend_len <= d[i].pend_cap);
		FUZZ_CHECK(d[i].pend_len == 0 || d[i].pend != NULL);
		FUZZ_CHECK(d[i].queue != NULL || d[i].queued == 0);
		/* Every delivered byte was consumed, is pending, or was lost. */
		FUZZ_CHECK(r->side[i].consumed + d[i].pend_len + r->side[i].gap_total ==
			   d[i].delivered + d[i].gap_bytes);
		FUZZ_CHECK(d[i].gap_bytes <= r->side[i].gap_total);
	}
	FUZZ_CHECK(b->held == held);
	FUZZ_CHECK(b->held <= cfg->max_total);
	FUZZ_CHECK(b->peak >= b->held);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size, 0};
	uint8_t mode = fuzz_u8(&in);
	uint32_t cursor[2];
	cursor[0] = fuzz_be32(&in) + 1;
	cursor[1] = fuzz_be32(&in) + 1;
	uint8_t fail_at = fuzz_u8(&in);

	struct mem mem;
	memset(&mem, 0, sizeof(mem));
	if (mode & 32)
		mem.fail_at = fail_at;
	struct rsm_cfg cfg = {(mode & 16) ? 512u : 4096u, (mode & 8) ? 6000u : 1u << 20};
	struct rsm_budget budget;
	memset(&budget, 0, sizeof(budget));
	struct rsm_dir d[2];
	memset(d, 0, sizeof(d));
	struct run run;
	memset(&run, 0, sizeof(run));
	run.policy = (mode >> 1) & 3;
	int patterned = mode & 1;
	struct rsm_sink sink[2];
	for (int i = 0; i < 2; i++) {
		sink[i].ops = &fuzz_ops;
		sink[i].ctx = &run;
		sink[i].dir = i;
		sink[i].cfg = &cfg;
		sink[i].budget = &budget;
		sink[i].mem = &mem;
		run.side[i].checking = patterned;
	}
	uint8_t *buf = malloc(MAX_SCRIPT_LEN);
	if (!buf)
		return 0;

	while (fuzz_left(&in) >= 5) {
		uint8_t op = fuzz_u8(&in);
		uint32_t len = fuzz_be16(&in) % MAX_SCRIPT_LEN;
		int16_t delta = (int16_t)fuzz_be16(&in);
		int dir = op & 1;
		int kind = (op >> 1) & 3;
		uint32_t step = (op & 16) ? 4096u : 1u;
		uint32_t seq = cursor[dir] + (uint32_t)(int32_t)delta * step;
		struct rsm_dir *dd = &d[dir];
		const struct rsm_sink *s = &sink[dir];

		/* Where the consumer's stream starts, for the patterned check:
		 * rsm_syn() starts at isn + 1, a first segment at its seq. */
		if (!dd->synced)
			run.side[dir].pos = kind == 3 ? seq + 1 : seq;

		switch (kind) {
		case 0:
		case 1: {
			uint32_t cap = (op & 8) ? len / 2 : len;
			const uint8_t *p = buf;
			if (patterned) {
				for (uint32_t i = 0; i < cap; i++)
					buf[i] = pattern(seq + i);
			} else {
				size_t got;
				p = fuzz_bytes(&in, cap, &got);
				if (got < cap) /* the script ran out: a shorter segment */
					len = cap = (uint32_t)got;
			}
			/* A FIN takes a sequence number the patterned consumer does
			 * not count, so patterned scripts carry none. */
			int fin = kind == 1 && !patterned;
			/* The engine passes NULL for a segment with nothing
			 * captured (struct pkt.payload); so do we. */
			rsm_segment(dd, s, seq, cap ? p : NULL, cap, len, fin);
			if (rsm_seq_lt(cursor[dir], seq + len))
				cursor[dir] = seq + len;
			break;
		}
		case 2: rsm_ack(dd, s, seq); break;
		default:
			rsm_syn(dd, seq);
			if (rsm_seq_lt(cursor[dir], seq + 1))
				cursor[dir] = seq + 1;
			break;
		}
		check(d, &run, &cfg, &budget);
	}

	for (int i = 0; i < 2; i++) {
		rsm_flush(&d[i], &sink[i]);
		check(d, &run, &cfg, &budget);
		FUZZ_CHECK(d[i].queue == NULL);
		FUZZ_CHECK(d[i].queued == 0);
	}
	for (int i = 0; i < 2; i++)
		rsm_dir_free(&d[i], &sink[i]);
	FUZZ_CHECK(budget.held == 0);
	FUZZ_CHECK(mem.in_use == 0);
	free(buf);
	return 0;
}
