/* split.c — one capture file: a reader, N engines, records merged in order. */
#include "analyzer/app/split.h"

#include "analyzer/net/decode.h"
#include "analyzer/session/engine.h"
#include "stats/record/rec_json.h"
#include "stats/record/recdump.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A batch of the reader's items for one engine, or of one engine's records
 * for the merge. */
struct split_batch {
	struct split_batch *next;
	size_t len, cap;
	uint64_t mark;	/* every item or record up to this packet number is in */
	uint64_t last;	/* the stream's final batch (64 bits: data stays aligned) */
	uint8_t data[]; /* items and records, each padded to 8 bytes */
};

#define SPLIT_BATCH (512u * 1024u)
/* Batches waiting in one queue before its producer waits. */
#define SPLIT_QUEUE 8
/* The reader hands over what it holds at least every this many packets. */
#define SPLIT_FLUSH 8192u

/* A queue of batches, with the spare ones its consumer gives back. */
struct split_chan {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct split_batch *head, *tail, *spare;
	size_t n, nspare;
};

enum split_kind { SPLIT_TICK = 1, SPLIT_PACKET, SPLIT_SNAPLEN, SPLIT_END };

/* One item of the reader's. A SPLIT_PACKET is followed by the decoded
 * packet (struct pkt, as dec_packet gave it) and its captured payload, each
 * padded to 8: the engine neither decodes the frame again nor gets the
 * headers' bytes. */
struct split_item {
	uint32_t kind; /* enum split_kind */
	int32_t dr;    /* SPLIT_PACKET: enum dec_result */
	/* SPLIT_PACKET: the payload bytes that follow; SPLIT_SNAPLEN: the
	 * snap length */
	uint32_t caplen;
	uint32_t pad; /* keeps the 64-bit fields aligned */
	uint64_t at, now_us, ts_us;
};

/* One record in an engine's stream: its key, the packed record and its
 * JSON head (RUN_HEAD_FAILED: none could be made; 0 and no bytes when
 * session lines are not written) follow, padded to 8. */
struct split_out {
	uint64_t key[3];
	uint32_t packed, head;
};

struct split;

struct split_worker {
	struct split *sp;
	struct engine eng;
	int eng_ok;
	pthread_t tid;
	int chans; /* in and out are set up */
	struct split_chan in, out;
	struct split_batch *ib;	   /* the reader's batch being filled */
	struct split_batch *ob;	   /* the engine's batch being filled */
	struct split_batch *endb;  /* kept for the end of the input, so that it */
	struct split_batch *lastb; /* ... and the stream's end always get through */
	uint64_t mark;		   /* of the last input batch done */
	int inline_eng;		   /* engine 0: runs in the reader's thread */
	struct jsonw head;
	int failed; /* out of memory: records were lost */
};

struct split {
	const struct cli_analyze *a;
	unsigned n;
	struct split_worker *w;
	int json;	 /* session lines are written: engines make the JSON heads */
	uint64_t at;	 /* packets read */
	int full;	 /* a batch was handed over full during this packet */
	uint64_t now_us; /* the run clock */
	uint32_t since_flush;
	int failed; /* the reader ran out of memory */
	struct eng_health health;
	struct src_progress prog;
	_Atomic uint64_t merged;
	const char *path;
	char err[512];
	int read_failed;
};

static size_t split_pad(size_t n)
{
	return (n + 7u) & ~(size_t)7u;
}

static int split_chan_init(struct split_chan *c)
{
	memset(c, 0, sizeof(*c));
	if (pthread_mutex_init(&c->lock, NULL) != 0)
		return -1;
	if (pthread_cond_init(&c->cond, NULL) != 0) {
		pthread_mutex_destroy(&c->lock);
		return -1;
	}
	return 0;
}

static void split_chan_free(struct split_chan *c)
{
	struct split_batch *b, *list[2] = {c->head, c->spare};
	for (int i = 0; i < 2; i++)
		while ((b = list[i])) {
			list[i] = b->next;
			free(b);
		}
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
}

/* An empty batch of at least cap bytes: a spare one, else a new one. */
static struct split_batch *split_get(struct split_chan *c, size_t cap)
{
	struct split_batch *b = NULL;
	if (cap <= SPLIT_BATCH) {
		cap = SPLIT_BATCH;
		pthread_mutex_lock(&c->lock);
		if ((b = c->spare)) {
			c->spare = b->next;
			c->nspare--;
		}
		pthread_mutex_unlock(&c->lock);
	}
	if (!b && !(b = malloc(sizeof(*b) + cap)))
		return NULL;
	b->next = NULL;
	b->len = 0;
	b->cap = cap;
	b->mark = 0;
	b->last = 0;
	return b;
}

/* Gives a consumed batch back for reuse (a few are kept). */
static void split_recycle(struct split_chan *c, struct split_batch *b)
{
	pthread_mutex_lock(&c->lock);
	if (b->cap == SPLIT_BATCH && c->nspare < SPLIT_QUEUE + 2) {
		b->next = c->spare;
		c->spare = b;
		c->nspare++;
		b = NULL;
	}
	pthread_mutex_unlock(&c->lock);
	free(b);
}

static void split_push(struct split_chan *c, struct split_batch *b)
{
	pthread_mutex_lock(&c->lock);
	b->next = NULL;
	if (c->tail)
		c->tail->next = b;
	else
		c->head = b;
	c->tail = b;
	c->n++;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

static struct split_batch *split_pop(struct split_chan *c)
{
	pthread_mutex_lock(&c->lock);
	while (!c->head)
		pthread_cond_wait(&c->cond, &c->lock);
	struct split_batch *b = c->head;
	c->head = b->next;
	if (!c->head)
		c->tail = NULL;
	c->n--;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	return b;
}

/* Waits until fewer than SPLIT_QUEUE batches wait in c. */
static void split_wait_room(struct split_chan *c)
{
	pthread_mutex_lock(&c->lock);
	while (c->n >= SPLIT_QUEUE)
		pthread_cond_wait(&c->cond, &c->lock);
	pthread_mutex_unlock(&c->lock);
}

/* ---- the reader ---- */

/* Hands every engine of its own thread what the reader holds for it. */
static void split_flush_inputs(struct split *sp)
{
	for (unsigned i = 0; i < sp->n; i++) {
		struct split_worker *w = &sp->w[i];
		if (!w->inline_eng && w->ib && w->ib->len) {
			split_push(&w->in, w->ib);
			w->ib = NULL;
		}
	}
}

static void split_out_push(struct split_worker *w, int last);

/* split_flush_inputs(), and the records of the reader's own engine go to
 * the merge with its mark (even none: the mark moves on). */
static void split_flush_all(struct split *sp)
{
	split_flush_inputs(sp);
	split_out_push(&sp->w[0], 0);
	sp->since_flush = 0;
}

/* Between two packets, when a queue was seen full: every engine gets what
 * the reader holds for it, then the reader waits for room. The reader
 * never waits with items held back: an engine the merge waits for always
 * gets the items that let it go on. */
static void split_pace(struct split *sp)
{
	split_flush_all(sp);
	for (unsigned i = 0; i < sp->n; i++)
		if (!sp->w[i].inline_eng)
			split_wait_room(&sp->w[i].in);
	sp->full = 0;
}

static void split_item_run(struct split_worker *w, const struct split_item *it, const uint8_t *data,
			   const struct pkt *p);

/* Appends an item for w. A batch's mark is the packet number of its last
 * item: an engine gets at most one item per packet, in packet order, so
 * once it has done the batch it has every record up to that packet made. */
static void split_put(struct split *sp, struct split_worker *w, const struct split_item *it,
		      const struct pkt *p)
{
	if (w->inline_eng) {
		/* the reader's own engine: at once, from libpcap's buffer */
		split_item_run(w, it, NULL, p);
		w->mark = it->at;
		return;
	}
	uint32_t n = p ? p->caplen : 0;
	size_t need = sizeof(*it) + (p ? split_pad(sizeof(*p)) + split_pad(n) : 0);
	if (w->ib && w->ib->len + need > w->ib->cap) {
		split_push(&w->in, w->ib);
		w->ib = NULL;
		sp->full = 1;
	}
	if (!w->ib && !(w->ib = split_get(&w->in, need))) {
		sp->failed = 1;
		return;
	}
	uint8_t *at = w->ib->data + w->ib->len;
	memcpy(at, it, sizeof(*it));
	if (p) {
		at += sizeof(*it);
		memcpy(at, p, sizeof(*p));
		if (n)
			memcpy(at + split_pad(sizeof(*p)), p->payload, n);
	}
	w->ib->len += need;
	w->ib->mark = it->at;
}

/* The engine of a mail segment: by its mail server's address and port, the
 * side on a mail port (both: the lower port, then the lower address). */
static unsigned split_route(const struct split *sp, const struct pkt *p)
{
	const uint8_t *ports = sp->a->cfg.mail_ports;
	int s = eng_port_in(ports, p->sport), d = eng_port_in(ports, p->dport);
	int src = s && !d;
	if (s && d)
		src = p->sport != p->dport ? p->sport < p->dport
					   : memcmp(p->src, p->dst, sizeof(p->src)) < 0;
	const uint8_t *addr = src ? p->src : p->dst;
	uint16_t port = src ? p->sport : p->dport;
	uint64_t h = 14695981039346656037u; /* FNV-1a */
	for (size_t i = 0; i < sizeof(p->src); i++)
		h = (h ^ addr[i]) * 1099511628211u;
	h = (h ^ (port & 0xff)) * 1099511628211u;
	h = (h ^ (port >> 8)) * 1099511628211u;
	/* Engine 0 runs in the reader's thread, which also reads and decodes
	 * every frame: it gets one share where the others get two. */
	unsigned x = (unsigned)((h ^ (h >> 32)) % (2u * sp->n - 1u));
	return x == 0 ? 0 : 1u + (x - 1u) / 2u;
}

static void split_count(struct split *sp, uint64_t ts, uint32_t caplen, uint32_t wirelen)
{
	eng_count_frame(&sp->health, &sp->now_us, ts, caplen, wirelen);
}

/* One frame: counted and decoded here (as eng_packet() does), then handed to
 * the engines that need it. */
static void split_packet(void *ctx, int dlt, uint64_t ts, const uint8_t *data, uint32_t caplen,
			 uint32_t wirelen)
{
	struct split *sp = ctx;
	const struct eng_cfg *cfg = &sp->a->cfg;
	sp->at++;
	split_count(sp, ts, caplen, wirelen);
	struct pkt p;
	memset(&p, 0, sizeof(p));
	enum dec_result dr = dec_packet(dlt, data, caplen, wirelen, &p, &sp->health.decode);
	int dns = eng_port_in(cfg->dns_ports, p.sport) || eng_port_in(cfg->dns_ports, p.dport);
	int mail = 0;
	if (dr == DEC_TCP) {
		sp->health.tcp_packets++;
		mail = eng_port_in(cfg->mail_ports, p.sport) ||
		       eng_port_in(cfg->mail_ports, p.dport);
		if (mail)
			sp->health.mail_packets++;
	}
	struct split_item it = {SPLIT_PACKET, (int32_t)dr, p.caplen, 0, sp->at, sp->now_us, ts};
	if (!sp->failed && mail) {
		unsigned to = split_route(sp, &p);
		struct split_item tick = {SPLIT_TICK, 0, 0, 0, sp->at, sp->now_us, 0};
		/* engine 0 (the reader's own) last: while it runs, every
		 * other engine has its item for this packet (split_keep) */
		for (unsigned i = sp->n; i-- > 0;)
			if (i == to)
				split_put(sp, &sp->w[i], &it, &p);
			else
				split_put(sp, &sp->w[i], &tick, NULL);
	} else if (!sp->failed && dns && (dr == DEC_UDP || dr == DEC_TCP)) {
		for (unsigned i = sp->n; i-- > 0;)
			split_put(sp, &sp->w[i], &it, &p);
	}
	if (sp->full)
		split_pace(sp);
	else if (++sp->since_flush >= SPLIT_FLUSH)
		split_flush_all(sp);
}

static int split_link_ok(void *ctx, int dlt)
{
	(void)ctx;
	return dec_link_supported(dlt);
}

static void split_begin(void *ctx)
{
	struct split *sp = ctx;
	sp->health.files++;
}

static void split_snaplen(void *ctx, uint32_t snaplen)
{
	struct split *sp = ctx;
	struct split_item it = {SPLIT_SNAPLEN, 0, snaplen, 0, 0, 0, 0};
	for (unsigned i = sp->n; i-- > 0;)
		split_put(sp, &sp->w[i], &it, NULL);
}

static void split_end(void *ctx)
{
	(void)ctx; /* the reader ends the input once reading stops */
}

static uint64_t split_connections(void *ctx)
{
	struct split *sp = ctx;
	return atomic_load_explicit(&sp->merged, memory_order_relaxed);
}

/* Tells the first n engines that the input ended. */
static void split_end_all(struct split *sp, unsigned n)
{
	struct split_item end = {SPLIT_END, 0, 0, 0, UINT64_MAX, sp->now_us, 0};
	for (unsigned i = 1; i < n; i++) {
		struct split_batch *b = sp->w[i].endb;
		sp->w[i].endb = NULL;
		memcpy(b->data, &end, sizeof(end));
		b->len = sizeof(end);
		b->mark = UINT64_MAX;
		split_push(&sp->w[i].in, b);
	}
}

/* The end of the input for the reader's own engine (every other engine has
 * its end already, so its last records may wait for room). */
static void split_inline_end(struct split *sp)
{
	struct split_worker *w = &sp->w[0];
	eng_end_input(&w->eng);
	split_out_push(w, 1);
}

static void *split_reader(void *arg)
{
	struct split *sp = arg;
	struct src_sink sink = {sp,	      split_link_ok, split_begin,      split_snaplen,
				split_packet, split_end,     split_connections};
	struct src_opts opts = {sp->a->bpf, &sp->prog, 1};
	if (src_read_file(&sink, sp->path, &opts, sp->err, sizeof(sp->err)) != 0)
		sp->read_failed = 1;
	split_flush_all(sp);
	split_end_all(sp, sp->n);
	split_inline_end(sp);
	return NULL;
}

/* ---- the engines ---- */

/* Hands the merge the records made so far, marked with the packets done. */
static void split_out_push(struct split_worker *w, int last)
{
	struct split_batch *b = w->ob;
	w->ob = NULL;
	if (!b && last) {
		b = w->lastb;
		w->lastb = NULL;
	} else if (!b && !(b = split_get(&w->out, 0))) {
		w->failed = 1;
		return;
	}
	b->mark = last ? UINT64_MAX : w->mark;
	b->last = last ? 1u : 0u;
	split_push(&w->out, b);
	if (!last) {
		/* The reader's own engine may wait only once every other engine
		 * has what lets the merge go on: their items up to this packet
		 * are queued (split_packet puts engine 0's last). */
		if (w->inline_eng)
			split_flush_inputs(w->sp);
		split_wait_room(&w->out);
	}
}

static void split_keep(void *ctx, const struct rec *r)
{
	struct split_worker *w = ctx;
	uint32_t head = 0;
	if (w->sp->json) {
		jsonw_reset(&w->head);
		head = rec_json_head(&w->head, r) == 0 && w->head.len < RUN_HEAD_FAILED
			       ? (uint32_t)w->head.len
			       : RUN_HEAD_FAILED;
	}
	size_t hn = head == RUN_HEAD_FAILED ? 0 : head;
	size_t need = sizeof(struct split_out) + split_pad(RECDUMP_PACK_MAX + hn);
	if (w->ob && w->ob->len + need > w->ob->cap)
		split_out_push(w, 0);
	if (!w->ob && !(w->ob = split_get(&w->out, need))) {
		w->failed = 1;
		return;
	}
	struct split_out o;
	memcpy(o.key, w->eng.end_key, sizeof(o.key));
	uint8_t *p = w->ob->data + w->ob->len;
	o.packed = (uint32_t)recdump_pack(r, p + sizeof(o));
	o.head = head;
	memcpy(p, &o, sizeof(o));
	if (hn)
		memcpy(p + sizeof(o) + o.packed, w->head.buf, hn);
	w->ob->len += sizeof(o) + split_pad(o.packed + hn);
}

/* One item, from a batch (data: the bytes after it) or from the reader
 * itself (p: the decoded packet). */
static void split_item_run(struct split_worker *w, const struct split_item *it, const uint8_t *data,
			   const struct pkt *p)
{
	switch (it->kind) {
	case SPLIT_PACKET: {
		struct pkt q;
		if (!p) {
			memcpy(&q, data, sizeof(q));
			q.payload = data + split_pad(sizeof(q));
			p = &q;
		}
		eng_decoded_at(&w->eng, it->at, it->now_us, it->ts_us, (enum dec_result)it->dr, p);
		break;
	}
	case SPLIT_TICK: eng_tick(&w->eng, it->at, it->now_us); break;
	case SPLIT_SNAPLEN: eng_set_snaplen(&w->eng, it->caplen); break;
	default: eng_end_input(&w->eng); break;
	}
}

static void *split_worker_run(void *arg)
{
	struct split_worker *w = arg;
	for (int end = 0; !end;) {
		struct split_batch *b = split_pop(&w->in);
		for (size_t pos = 0; pos < b->len;) {
			struct split_item it;
			memcpy(&it, b->data + pos, sizeof(it));
			const uint8_t *data = b->data + pos + sizeof(it);
			pos += sizeof(it);
			if (it.kind == SPLIT_PACKET)
				pos += split_pad(sizeof(struct pkt)) + split_pad(it.caplen);
			split_item_run(w, &it, data, NULL);
			end |= it.kind == SPLIT_END;
		}
		w->mark = b->mark;
		split_recycle(&w->in, b);
		split_out_push(w, end);
	}
	return NULL;
}

/* ---- the merge ---- */

/* Where the merge stands in one engine's stream. */
struct split_cursor {
	struct split_batch *b;
	size_t pos;
	uint64_t mark; /* of the batches done */
	uint64_t done;
};

/* The cursor's batch is done with: takes the next one (waiting for it). */
static void split_next(struct split_worker *w, struct split_cursor *c)
{
	if (c->b) {
		c->mark = c->b->mark;
		c->done = c->b->last;
		split_recycle(&w->out, c->b);
		c->b = NULL;
	}
	if (!c->done) {
		c->b = split_pop(&w->out);
		c->pos = 0;
	}
}

static int split_key_less(const uint64_t *x, const uint64_t *y)
{
	for (int i = 0; i < 3; i++)
		if (x[i] != y[i])
			return x[i] < y[i];
	return 0;
}

/* One record from a stream into the sinks. */
static int split_emit(struct split *sp, struct split_cursor *c, struct run_sinks *s, struct rec *r)
{
	struct split_out o;
	const uint8_t *p = c->b->data + c->pos;
	memcpy(&o, p, sizeof(o));
	size_t hn = o.head == RUN_HEAD_FAILED ? 0 : o.head;
	c->pos += sizeof(o) + split_pad(o.packed + hn);
	if (recdump_unpack(p + sizeof(o), o.packed, r) != 0)
		return -1;
	int head = 0;
	if (sp->json && o.head == RUN_HEAD_FAILED) {
		head = -1;
	} else if (sp->json) {
		jsonw_reset(&s->line);
		if (jsonw_grow(&s->line, hn) != 0)
			return -1;
		memcpy(s->line.buf, p + sizeof(o) + o.packed, hn);
		s->line.len = hn;
		head = 1;
	}
	run_emit_head(s, r, head);
	atomic_fetch_add_explicit(&sp->merged, 1, memory_order_relaxed);
	return 0;
}

static double split_clock(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void split_progress(struct split *sp, double t0, double *last, int *shown)
{
	double now = split_clock();
	if (now - *last < 1.0)
		return;
	*last = now;
	*shown = 1;
	uint64_t bytes = atomic_load_explicit(&sp->prog.bytes_read, memory_order_relaxed);
	fprintf(stderr, "\r0/1 files, %.1f MB read, %.1f MB/s, %llu connections   ",
		(double)bytes / 1e6, now > t0 ? (double)bytes / 1e6 / (now - t0) : 0.0,
		(unsigned long long)atomic_load(&sp->merged));
	fflush(stderr);
}

/* Merges the engines' streams by key into the sinks until every one ends. */
static int split_merge(struct split *sp, struct run_sinks *s)
{
	struct split_cursor *c = calloc(sp->n, sizeof(*c));
	struct rec *r = malloc(sizeof(*r));
	int rc = c && r ? 0 : -1;
	int progress = !sp->a->quiet && isatty(STDERR_FILENO), shown = 0;
	double t0 = split_clock(), last = t0;
	uint64_t count = 0;
	while (rc == 0) {
		/* the least key among the streams that have a record at hand,
		 * and the stream without one whose mark is least */
		int best = -1, wait = -1;
		uint64_t key[3] = {0, 0, 0};
		for (unsigned i = 0; i < sp->n; i++) {
			if (c[i].b && c[i].pos < c[i].b->len) {
				const uint64_t *k = (const void *)(c[i].b->data + c[i].pos);
				if (best < 0 || split_key_less(k, key)) {
					memcpy(key, k, sizeof(key));
					best = (int)i;
				}
			} else if (!c[i].done && (wait < 0 || c[i].mark < c[wait].mark)) {
				wait = (int)i;
			}
		}
		/* a stream without one may still bring a smaller key unless its
		 * mark is past the candidate's packet; the one furthest behind
		 * is waited for */
		if (best >= 0 && wait >= 0 && c[wait].mark < key[0])
			best = -1;
		if (best < 0 && wait < 0)
			break;
		if (best < 0) {
			split_next(&sp->w[wait], &c[wait]);
			continue;
		}
		rc = split_emit(sp, &c[best], s, r);
		if (progress && (++count & 0x3ff) == 0)
			split_progress(sp, t0, &last, &shown);
	}
	if (shown)
		fprintf(stderr, "\r%*s\r", 79, "");
	/* drain what is left (after a failure) so the engines can end */
	for (unsigned i = 0; c && i < sp->n; i++)
		while (!c[i].done) {
			if (c[i].b)
				c[i].pos = c[i].b->len;
			split_next(&sp->w[i], &c[i]);
		}
	free(c);
	free(r);
	return rc;
}

/* ---- the run ---- */

/* The run's health: the reader's frame and decode counters, the engines'
 * flow and reassembly counters, engine 0's DNS counters. */
static void split_health(struct split *sp, struct eng_health *h)
{
	*h = sp->health;
	h->files_failed = (uint64_t)sp->read_failed;
	for (unsigned i = 0; i < sp->n; i++) {
		const struct eng_health *e = &sp->w[i].eng.health;
		h->flows_evicted += e->flows_evicted;
		h->flows_closed_early += e->flows_closed_early;
		h->flow_alloc_failed += e->flow_alloc_failed;
		h->rsm_refused_bytes += e->rsm_refused_bytes;
		if (e->rsm_peak_bytes > h->rsm_peak_bytes)
			h->rsm_peak_bytes = e->rsm_peak_bytes;
	}
	h->dns = sp->w[0].eng.health.dns;
}

static int split_setup(struct split *sp)
{
	sp->w = calloc(sp->n, sizeof(*sp->w));
	if (!sp->w)
		return -1;
	for (unsigned i = 0; i < sp->n; i++) {
		struct split_worker *w = &sp->w[i];
		w->sp = sp;
		if (split_chan_init(&w->in) != 0)
			return -1;
		if (split_chan_init(&w->out) != 0) {
			split_chan_free(&w->in);
			return -1;
		}
		w->chans = 1;
		w->endb = split_get(&w->in, 0);
		w->lastb = split_get(&w->out, 0);
		if (!w->endb || !w->lastb || eng_init(&w->eng, &sp->a->cfg) != 0)
			return -1;
		w->eng_ok = 1;
		w->inline_eng = i == 0;
		eng_add_sink(&w->eng, split_keep, w);
	}
	return 0;
}

static void split_teardown(struct split *sp)
{
	for (unsigned i = 0; sp->w && i < sp->n; i++) {
		struct split_worker *w = &sp->w[i];
		if (w->eng_ok)
			eng_free(&w->eng);
		if (w->chans) {
			split_chan_free(&w->in);
			split_chan_free(&w->out);
		}
		free(w->ib);
		free(w->ob);
		free(w->endb);
		free(w->lastb);
		jsonw_free(&w->head);
	}
	free(sp->w);
}

long split_file(const struct cli_analyze *a, const char *path, struct run_sinks *sinks)
{
	struct split *sp = calloc(1, sizeof(*sp));
	if (!sp)
		return -1;
	sp->a = a;
	sp->n = a->jobs;
	sp->path = path;
	/* anonymised records are written from the anonymised copy, by the
	 * merging thread */
	sp->json = sinks->sessions != NULL && !sinks->anon;
	long rc = -1;
	unsigned running = 1; /* engine 0 runs in the reader's thread */
	pthread_t reader;
	if (split_setup(sp) != 0) {
		fprintf(stderr, "smtptls: out of memory setting up (try a smaller --max-flows)\n");
		goto done;
	}
	for (; running < sp->n; running++)
		if (pthread_create(&sp->w[running].tid, NULL, split_worker_run, &sp->w[running]) !=
		    0)
			break;
	if (running < sp->n || pthread_create(&reader, NULL, split_reader, sp) != 0) {
		fprintf(stderr, "smtptls: cannot start the threads of --jobs\n");
		split_end_all(sp, running);
		split_inline_end(sp);
		for (unsigned i = 0; i < running; i++) {
			struct split_cursor c = {0};
			while (!c.done)
				split_next(&sp->w[i], &c);
			if (i > 0)
				pthread_join(sp->w[i].tid, NULL);
		}
		goto done;
	}
	int merged = split_merge(sp, sinks);
	pthread_join(reader, NULL);
	for (unsigned i = 1; i < running; i++)
		pthread_join(sp->w[i].tid, NULL);
	int lost = sp->failed;
	for (unsigned i = 0; i < sp->n; i++)
		lost |= sp->w[i].failed;
	if (sp->read_failed)
		fprintf(stderr, "smtptls: %s\n", sp->err);
	if (lost)
		fprintf(stderr, "smtptls: out of memory splitting %s over --jobs\n", path);
	struct eng_health h;
	split_health(sp, &h);
	if (sinks->agg)
		agg_add_health(sinks->agg, &h);
	rc = merged != 0 || lost || sinks->failed ? -1 : sp->read_failed;
done:
	split_teardown(sp);
	free(sp);
	return rc;
}
