/* engine.c — the per-packet pipeline and the end of connections. */
#include "analyzer/session/engine.h"

#include <stdlib.h>
#include <string.h>

#include "analyzer/session/dane.h"
#include "stats/record/recdump.h"

/* ---- the DNS path: messages feed the view ---- */

static void eng_dns_rr(void *ctx, const struct dns_msg *m, const struct dns_rr *rr)
{
	struct engine *e = ctx;
	dnsview_rr(e->dns, e->now_us, m, rr);
}

static void eng_dns_msg(void *ctx, const struct dns_msg *m)
{
	struct engine *e = ctx;
	dnsview_message(e->dns, e->now_us, m);
}

static void eng_dns_stream_init(struct engine *e, struct dns_stream *s)
{
	memset(s, 0, sizeof(*s));
	s->rr = eng_dns_rr;
	s->msg = eng_dns_msg;
	s->ctx = e;
}

/* Adds what a stream counted to the run's DNS statistics and clears it. */
static void eng_dns_fold(struct engine *e, struct dns_stream *s)
{
	struct eng_dns_health *d = &e->health.dns;
	d->messages += s->events[DNS_EV_MESSAGE];
	d->malformed += s->events[DNS_EV_MALFORMED];
	d->tcp_gaps += s->events[DNS_EV_GAP];
	for (int i = 1; i < DNS_E_COUNT; i++)
		d->errors[i - 1] += s->errors[i];
	memset(s->events, 0, sizeof(s->events));
	memset(s->errors, 0, sizeof(s->errors));
}

static size_t eng_dns_data(void *ctx, int dir, const uint8_t *p, size_t n)
{
	struct dns_stream *s = ctx;
	struct dissect_result r = dns_tcp_feed(&s[dir], p, n);
	if (dissect_violation(&r, n))
		return n;
	return r.status == DISSECT_NEED_MORE ? r.consumed : n;
}

static void eng_dns_gap(void *ctx, int dir, uint64_t n)
{
	struct dns_stream *s = ctx;
	dns_tcp_gap(&s[dir], n);
}

/* The view's counters, as health counters (each input's engine view is the
 * run's only one, so they are copied, not added). */
static void eng_dns_view_health(struct engine *e)
{
	struct dnsv_counters c;
	dnsview_counters(e->dns, &c);
	e->health.dns.answers = c.answers;
	e->health.dns.expired = c.expired;
	e->health.dns.dropped_memory = c.dropped_memory;
	e->health.dns.peak_bytes = c.peak_bytes;
}

static const struct rsm_ops eng_dns_ops = {eng_dns_data, eng_dns_gap};

/* One UDP datagram on a DNS port. */
static void eng_dns_udp(struct engine *e, const struct pkt *p)
{
	e->health.dns.udp_datagrams++;
	if (p->caplen < p->paylen) {
		e->health.dns.udp_truncated++;
		return;
	}
	dns_udp(&e->dns_udp, p->payload, p->caplen);
	eng_dns_fold(e, &e->dns_udp);
}

int eng_init(struct engine *e, const struct eng_cfg *cfg)
{
	memset(e, 0, sizeof(*e));
	e->cfg = cfg;
	e->end_phase = ENG_END_NOW;
	e->rsm.max_buffer = cfg->max_buffer;
	e->rsm.max_total = cfg->max_reassembly;
	char err[256];
	/* The CA file was checked when the options were read; a failure here is
	 * lack of memory, and certificates then go unanalysed. */
	e->x509 = x509_ctx_new(&cfg->x509, err, sizeof(err));
	/* Without memory for the view, connections simply get no DNS facts. */
	e->dns = dnsview_new(&cfg->dnsv, &e->mem);
	dnsview_set_base(e->dns, cfg->dns_given);
	eng_dns_stream_init(e, &e->dns_udp);
	mem_pool_init(&e->app_pool, &e->mem, sizeof(struct sess_app), ENG_APP_POOL_KEEP);
	return flow_table_init(&e->flows, &e->mem, cfg->max_flows);
}

int eng_add_sink(struct engine *e, void (*record)(void *ctx, const struct rec *r), void *ctx)
{
	if (e->nsinks == ENG_MAX_SINKS)
		return -1;
	e->sinks[e->nsinks].record = record;
	e->sinks[e->nsinks].ctx = ctx;
	e->nsinks++;
	return 0;
}

/* A packed connection's streams are over: what a late segment would still
 * deliver (bytes past both FINs) is taken and dropped. */
static size_t eng_packed_data(void *ctx, int dir, const uint8_t *p, size_t n)
{
	(void)ctx, (void)dir, (void)p;
	return n;
}

static void eng_packed_gap(void *ctx, int dir, uint64_t n)
{
	(void)ctx, (void)dir, (void)n;
}

static const struct rsm_ops eng_packed_ops = {eng_packed_data, eng_packed_gap};

static struct rsm_sink eng_rsm_sink(struct engine *e, struct flow *f, int dir)
{
	struct rsm_sink s = {sess_ops(), &f->sess, dir, &e->rsm, &e->budget, &e->mem};
	if (f->dns) {
		s.ops = &eng_dns_ops;
		s.ctx = f->dns;
	} else if (f->packed) {
		s.ops = &eng_packed_ops;
		s.ctx = NULL;
	}
	return s;
}

static void eng_fill_ep(struct rec_ep *r, const struct flow *f, int side)
{
	r->family = f->family;
	memcpy(r->addr, f->ep[side].addr, sizeof(r->addr));
	r->port = f->ep[side].port;
}

/* The facts of the record that the flow itself holds (addresses, times, TCP
 * counters): they may still change while a closed connection lingers. */
static void eng_flow_facts(const struct flow *f, struct rec *r, enum rec_end end)
{
	r->ts_us = f->first_us;
	r->end_us = f->last_us;
	eng_fill_ep(&r->client, f, FLOW_C2S);
	eng_fill_ep(&r->server, f, FLOW_S2C);
	r->end = (uint8_t)end;
	r->implicit_tls_port = f->implicit_tls;
	for (int i = 0; i < 2; i++) {
		const struct rsm_dir *d = &f->dir[i];
		r->packets[i] = f->packets[i];
		r->bytes[i] = f->bytes[i];
		r->gap_bytes += d->gap_bytes;
		r->tcp.fin[i] = d->fin_seen;
		r->tcp.stream_bytes[i] = f->sess.stream_bytes[i];
		r->tcp.retransmitted[i] = d->retransmitted;
		r->tcp.out_of_order[i] = d->out_of_order;
		r->tcp.overlap_conflicts[i] = d->overlap_conflicts;
		r->tcp.overflow_bytes[i] = d->overflow_bytes;
	}
	r->tcp.syn = f->syn_seen;
	r->tcp.synack = f->synack_seen;
	r->tcp.rst = f->rst_seen;
	r->tcp.midstream = !f->syn_seen && !f->synack_seen;
	r->complete = f->syn_seen && f->synack_seen &&
		      (f->rst_seen || (f->dir[0].fin_seen && f->dir[1].fin_seen));
	r->alerted = f->sess.alerted;
}

/* The record of a flow as it stands (at its end, or provisionally). The
 * certificate inference and the DNS facts are taken when the record leaves,
 * from what the run knows then; a packed record gets them the same way. */
static void eng_build_rec(const struct engine *e, struct flow *f, struct rec *r, enum rec_end end)
{
	if (f->packed && recdump_unpack(f->packed, f->packed_len, r) == 0) {
		/* the packed gap_bytes hold what the session added (eng_pack) */
		eng_flow_facts(f, r, end);
		sess_infer_cert(f->sess.x509, f->sess.server_key, r);
	} else {
		memset(r, 0, sizeof(*r));
		eng_flow_facts(f, r, end);
		sess_finish(&f->sess, r);
	}
	dane_annotate(e->dns, r);
}

/* A connection closed both ways whose streams are wholly delivered (nothing
 * queued, no tail held, every byte before each FIN seen or declared lost):
 * nothing later can change what its dissectors found, so its record is
 * built now without the certificate inference, packed, and its dissectors
 * and buffers freed; only the flow's TCP facts go on counting while it
 * lingers. Without memory for the packed record it simply stays whole. */
static void eng_pack(struct engine *e, struct flow *f)
{
	if (e->event.provisional) {
		/* Live alerting: the close itself may say what failed (a reset
		 * handshake); judge once more before the dissectors go. */
		struct rec pr;
		eng_build_rec(e, f, &pr, f->rst_seen ? REC_END_RST : REC_END_FIN);
		e->event.provisional(e->event.ctx, &pr, &f->sess.alerted);
	}
	struct rsm_sink s[2] = {eng_rsm_sink(e, f, 0), eng_rsm_sink(e, f, 1)};
	rsm_flush(&f->dir[0], &s[0]);
	rsm_flush(&f->dir[1], &s[1]);
	struct rec r;
	uint8_t buf[RECDUMP_PACK_MAX];
	memset(&r, 0, sizeof(r));
	eng_flow_facts(f, &r, REC_END_FIN);
	struct x509_ctx *x = f->sess.x509;
	f->sess.x509 = NULL; /* the inference waits for the record's end */
	sess_finish(&f->sess, &r);
	f->sess.x509 = x;
	/* the flow's own gaps are added again when the record leaves */
	r.gap_bytes -= f->dir[0].gap_bytes + f->dir[1].gap_bytes;
	size_t n = recdump_pack(&r, buf);
	f->packed = mem_calloc(&e->mem, n);
	if (!f->packed)
		return;
	memcpy(f->packed, buf, n);
	f->packed_len = (uint32_t)n;
	sess_free(&f->sess);
	rsm_dir_free(&f->dir[0], &s[0]);
	rsm_dir_free(&f->dir[1], &s[1]);
}

/* Frees a flow's packed record, if any. */
static void eng_unpack_free(struct engine *e, struct flow *f)
{
	mem_free(&e->mem, f->packed, f->packed_len);
	f->packed = NULL;
	f->packed_len = 0;
}

/* Ends a DNS-over-TCP connection: what it read is in the view already. */
static void eng_finish_dns(struct engine *e, struct flow *f)
{
	struct rsm_sink s[2] = {eng_rsm_sink(e, f, 0), eng_rsm_sink(e, f, 1)};
	rsm_flush(&f->dir[0], &s[0]);
	rsm_flush(&f->dir[1], &s[1]);
	eng_dns_fold(e, &f->dns[0]);
	eng_dns_fold(e, &f->dns[1]);
	rsm_dir_free(&f->dir[0], &s[0]);
	rsm_dir_free(&f->dir[1], &s[1]);
	mem_free(&e->mem, f->dns, 2 * sizeof(*f->dns));
	f->dns = NULL;
	flow_remove(&e->flows, f);
}

/* Ends a connection: flushes both directions, emits the record, frees it. */
static void eng_finish(struct engine *e, struct flow *f, enum rec_end end)
{
	if (f->dns) {
		eng_finish_dns(e, f);
		return;
	}
	struct rsm_sink s[2] = {eng_rsm_sink(e, f, 0), eng_rsm_sink(e, f, 1)};
	rsm_flush(&f->dir[0], &s[0]);
	rsm_flush(&f->dir[1], &s[1]);

	struct rec r;
	eng_build_rec(e, f, &r, end);
	e->end_key[0] = e->ending_input ? UINT64_MAX : e->at;
	e->end_key[1] = e->end_phase;
	e->end_key[2] = e->end_phase == ENG_END_LINGER ? f->at_closed
			: e->end_phase == ENG_END_IDLE
				? (e->ending_input ? f->at_first : f->at_last)
				: 0;
	for (int i = 0; i < e->nsinks; i++)
		e->sinks[i].record(e->sinks[i].ctx, &r);

	sess_free(&f->sess);
	rsm_dir_free(&f->dir[0], &s[0]);
	rsm_dir_free(&f->dir[1], &s[1]);
	eng_unpack_free(e, f);
	flow_remove(&e->flows, f);
}

/* Why a closing flow closed. */
static enum rec_end eng_close_reason(const struct flow *f)
{
	return f->rst_seen ? REC_END_RST : REC_END_FIN;
}

/* Ends what capture time has made final: closing flows past their linger,
 * active flows idle past the timeout. Both lists are ordered, so only their
 * heads need looking at. */
static void eng_expire(struct engine *e)
{
	struct flow *f;
	e->end_phase = ENG_END_LINGER;
	while ((f = flow_oldest(&e->flows, FLOW_CLOSING)) &&
	       f->closed_us + ENG_CLOSE_LINGER_US <= e->now_us)
		eng_finish(e, f, eng_close_reason(f));
	e->end_phase = ENG_END_IDLE;
	while ((f = flow_oldest(&e->flows, FLOW_ACTIVE)) &&
	       f->clock_us + e->cfg->idle_timeout_us <= e->now_us)
		eng_finish(e, f, REC_END_TIMEOUT);
	e->end_phase = ENG_END_NOW;
}

/* Makes room for one flow: the oldest closing flow goes first (it is done),
 * else the least recently active one. */
static int eng_evict(struct engine *e)
{
	struct flow *f = flow_oldest(&e->flows, FLOW_CLOSING);
	if (f) {
		if (f->closed_us + ENG_CLOSE_LINGER_US > e->now_us)
			e->health.flows_closed_early++;
		eng_finish(e, f, eng_close_reason(f));
		return 1;
	}
	f = flow_oldest(&e->flows, FLOW_ACTIVE);
	if (!f)
		return 0;
	/* Among the least recently active flows, one that never carried a
	 * byte (a half-open flood) goes before a connection with a dialogue:
	 * a SYN flood must not push real mail out. The look is bounded. */
	struct flow *g = f;
	for (int i = 0; g && i < ENG_EVICT_SCAN; i++, g = g->next)
		if (!g->sess.app) {
			f = g;
			break;
		}
	e->health.flows_evicted++;
	eng_finish(e, f, REC_END_EVICTED);
	return 1;
}

/* Who is the client of a connection first seen with packet p: the sender of a
 * SYN, the receiver of a SYN-ACK, else the side not on a service port (of
 * the bitmap ports). */
static int eng_sender_is_client(const uint8_t *ports, const struct pkt *p, int *from_syn)
{
	*from_syn = 1;
	if ((p->flags & (DEC_TCP_SYN | DEC_TCP_ACK)) == DEC_TCP_SYN)
		return 1;
	if ((p->flags & (DEC_TCP_SYN | DEC_TCP_ACK)) == (DEC_TCP_SYN | DEC_TCP_ACK))
		return 0;
	*from_syn = 0;
	int d_mail = eng_port_in(ports, p->dport);
	int s_mail = eng_port_in(ports, p->sport);
	if (d_mail != s_mail)
		return d_mail;
	return p->dport <= p->sport; /* both or neither: the lower port serves */
}

static struct flow *eng_new_flow(struct engine *e, const struct pkt *p, uint64_t ts, int *dir,
				 int dns)
{
	int from_syn;
	int is_client =
		eng_sender_is_client(dns ? e->cfg->dns_ports : e->cfg->mail_ports, p, &from_syn);
	struct flow *f = flow_create(&e->flows, p, is_client, ts);
	if (!f && e->flows.count >= e->flows.max && eng_evict(e))
		f = flow_create(&e->flows, p, is_client, ts);
	if (!f) {
		e->health.flow_alloc_failed++;
		return NULL;
	}
	f->roles_from_syn = (uint8_t)from_syn;
	f->at_first = e->at;
	*dir = is_client ? FLOW_C2S : FLOW_S2C;
	if (dns) {
		f->dns = mem_calloc(&e->mem, 2 * sizeof(*f->dns));
		if (!f->dns) {
			flow_remove(&e->flows, f);
			e->health.flow_alloc_failed++;
			return NULL;
		}
		eng_dns_stream_init(e, &f->dns[0]);
		eng_dns_stream_init(e, &f->dns[1]);
		e->health.dns.tcp_connections++;
		return f;
	}
	f->implicit_tls = (uint8_t)eng_port_in(e->cfg->tls_ports, f->ep[FLOW_S2C].port);
	sess_init(&f->sess, &e->cfg->sess, &e->mem, f->implicit_tls);
	f->sess.x509 = e->x509;
	memcpy(f->sess.server_key, f->ep[FLOW_S2C].addr, 16);
	f->sess.server_key[16] = (uint8_t)(f->ep[FLOW_S2C].port >> 8);
	f->sess.server_key[17] = (uint8_t)f->ep[FLOW_S2C].port;
	f->sess.tap = e->tap;
	f->sess.app_pool = &e->app_pool;
	f->sess.id = f->seqno;
	f->sess.head_mode = (uint8_t)(e->snaplen && e->snaplen <= ENG_HEAD_SNAPLEN);
	return f;
}

/* A connection has closed (a reset, or both FINs): it moves to the closing
 * list to linger, packed to its record when nothing is left to deliver. */
static void eng_close(struct engine *e, struct flow *f)
{
	if (f->list == FLOW_CLOSING)
		return;
	f->at_closed = e->at;
	flow_set_closing(&e->flows, f, e->now_us);
	if (!f->packed && !f->dns)
		eng_pack(e, f);
}

void eng_count_frame(struct eng_health *h, uint64_t *now_us, uint64_t ts, uint32_t caplen,
		     uint32_t wirelen)
{
	h->packets++;
	h->wire_bytes += wirelen > caplen ? wirelen : caplen;
	h->captured_bytes += caplen;
	if (!h->first_us || ts < h->first_us)
		h->first_us = ts;
	if (ts > h->last_us)
		h->last_us = ts;
	if (ts < *now_us)
		h->ts_backwards++; /* the clock never goes back: expiry uses now_us */
	else
		*now_us = ts;
}

/* A decoded frame (after eng_count_frame and dec_packet). */
static void eng_decoded(struct engine *e, enum dec_result dr, const struct pkt *p, uint64_t ts)
{
	struct eng_health *h = &e->health;
	int dns = eng_port_in(e->cfg->dns_ports, p->sport) ||
		  eng_port_in(e->cfg->dns_ports, p->dport);
	if (dr == DEC_UDP && dns && e->dns)
		eng_dns_udp(e, p);
	if (dr != DEC_TCP)
		return;
	h->tcp_packets++;
	int mail = eng_port_in(e->cfg->mail_ports, p->sport) ||
		   eng_port_in(e->cfg->mail_ports, p->dport);
	if (!mail && !(dns && e->dns))
		return;
	if (mail) {
		h->mail_packets++;
		dns = 0; /* a mail port wins */
	}

	/* Only mail packets move expiry along, as before DNS was read: a
	 * connection's end must not depend on the DNS traffic around it. */
	if (!dns)
		eng_expire(e);

	int dir = 0;
	struct flow *f = flow_lookup(&e->flows, p, &dir);
	int pure_syn = (p->flags & (DEC_TCP_SYN | DEC_TCP_ACK | DEC_TCP_RST)) == DEC_TCP_SYN;
	if (f && pure_syn && f->syn_seen && (dir != FLOW_C2S || p->seq != f->client_isn)) {
		/* A new connection on the same 5-tuple (port reuse). */
		eng_finish(e, f, f->list == FLOW_CLOSING ? eng_close_reason(f) : REC_END_REUSED);
		f = NULL;
	}
	if (!f && !(f = eng_new_flow(e, p, ts, &dir, dns)))
		return;

	f->packets[dir]++;
	f->bytes[dir] += p->paylen;
	if (ts < f->first_us)
		f->first_us = ts;
	flow_touch(&e->flows, f, ts);
	f->at_last = e->at;
	f->clock_us = e->now_us; /* timestamps may go back; the run clock does not */

	struct rsm_sink s = eng_rsm_sink(e, f, dir);
	f->sess.now_us = ts;
	int was_active = sess_active(&f->sess);
	uint32_t seq = p->seq;
	if (p->flags & DEC_TCP_SYN) {
		if (dir == FLOW_C2S && !(p->flags & DEC_TCP_ACK)) {
			if (!f->syn_seen)
				f->client_isn = p->seq;
			f->syn_seen = 1;
		} else if (dir == FLOW_S2C && (p->flags & DEC_TCP_ACK)) {
			f->synack_seen = 1;
		}
		rsm_syn(&f->dir[dir], p->seq);
		seq++; /* the SYN occupies one sequence number; data may follow */
	}
	if (p->paylen && !f->sess.app)
		f->sess.midstream = !f->syn_seen && !f->synack_seen;
	if (f->sess.head_mode && !f->dns) {
		/* Heads only: each segment on its own, nothing reassembled. */
		if (!f->packed) /* else its heads are in the record already */
			sess_head(&f->sess, dir, seq, p->payload, p->caplen, p->paylen);
		if (p->flags & DEC_TCP_FIN) /* seen and, nothing being reassembled, done */
			f->dir[dir].fin_seen = f->dir[dir].fin_done = 1;
	} else if (p->paylen || (p->flags & DEC_TCP_FIN)) {
		rsm_segment(&f->dir[dir], &s, seq, p->payload, p->caplen, p->paylen,
			    p->flags & DEC_TCP_FIN);
	}
	if ((p->flags & DEC_TCP_ACK) && !f->sess.head_mode) {
		struct rsm_dir *o = &f->dir[!dir];
		struct rsm_sink so = eng_rsm_sink(e, f, !dir);
		rsm_ack(o, &so, p->ack);
	}
	if (e->event.provisional && p->paylen && !f->dns && !f->packed &&
	    (was_active || sess_active(&f->sess))) {
		/* Live alerting: judge the connection as it stands, while its
		 * dialogue and handshake are still being read. */
		struct rec r;
		eng_build_rec(e, f, &r, REC_END_EOF);
		e->event.provisional(e->event.ctx, &r, &f->sess.alerted);
	}
	if (p->flags & DEC_TCP_RST) {
		f->rst_seen = 1;
		eng_close(e, f);
	} else if (f->dir[0].fin_seen && f->dir[1].fin_seen) {
		/* Closed either way, it lingers like a reset connection does: the
		 * records leave in the order the connections closed, which is the
		 * order the cross-connection detectors judge them in. */
		eng_close(e, f);
	}
	if (e->budget.peak > h->rsm_peak_bytes)
		h->rsm_peak_bytes = e->budget.peak;
}

void eng_packet(struct engine *e, int dlt, uint64_t ts, const uint8_t *data, uint32_t caplen,
		uint32_t wirelen)
{
	eng_count_frame(&e->health, &e->now_us, ts, caplen, wirelen);
	struct pkt p;
	memset(&p, 0, sizeof(p));
	enum dec_result dr = dec_packet(dlt, data, caplen, wirelen, &p, &e->health.decode);
	eng_decoded(e, dr, &p, ts);
}

void eng_decoded_at(struct engine *e, uint64_t at, uint64_t now_us, uint64_t ts_us,
		    enum dec_result dr, const struct pkt *p)
{
	e->at = at;
	if (now_us > e->now_us)
		e->now_us = now_us; /* the reader's clock has counted ts_us already */
	eng_decoded(e, dr, p, ts_us);
}

void eng_tick(struct engine *e, uint64_t at, uint64_t now_us)
{
	e->at = at;
	if (now_us > e->now_us)
		e->now_us = now_us;
	eng_expire(e);
}

void eng_set_snaplen(struct engine *e, uint32_t snaplen)
{
	e->snaplen = snaplen;
}

void eng_advance(struct engine *e, uint64_t now_us)
{
	if (now_us > e->now_us && e->now_us) {
		e->now_us = now_us;
		eng_expire(e);
	}
}

static int eng_by_seqno(const void *a, const void *b)
{
	const struct flow *x = *(const struct flow *const *)a;
	const struct flow *y = *(const struct flow *const *)b;
	return x->seqno < y->seqno ? -1 : x->seqno > y->seqno;
}

void eng_end_input(struct engine *e)
{
	uint32_t n = e->flows.count;
	e->ending_input = 1;
	if (n == 0)
		goto done;
	struct flow **all = malloc((size_t)n * sizeof(*all));
	if (!all) {
		/* No memory to sort: end them list by list, which is still stable. */
		struct flow *f;
		while ((f = flow_oldest(&e->flows, FLOW_CLOSING)))
			eng_finish(e, f, eng_close_reason(f));
		while ((f = flow_oldest(&e->flows, FLOW_ACTIVE)))
			eng_finish(e, f, REC_END_EOF);
		goto done;
	}
	/* The closed connections first, in the order they closed (as the
	 * linger would have let them go), then the ones the input cut short, in
	 * the order they began. */
	struct flow *f;
	e->end_phase = ENG_END_LINGER;
	while ((f = flow_oldest(&e->flows, FLOW_CLOSING)))
		eng_finish(e, f, eng_close_reason(f));
	e->end_phase = ENG_END_IDLE;
	uint32_t k = 0;
	for (f = e->flows.head[FLOW_ACTIVE]; f; f = f->next)
		all[k++] = f;
	qsort(all, k, sizeof(*all), eng_by_seqno);
	for (uint32_t i = 0; i < k; i++)
		eng_finish(e, all[i], REC_END_EOF);
	free(all);
done:
	e->ending_input = 0;
	e->end_phase = ENG_END_NOW;
	e->health.rsm_refused_bytes = e->budget.refused;
	eng_dns_view_health(e);
	e->now_us = 0; /* the next input has a clock of its own */
}

void eng_free(struct engine *e)
{
	eng_end_input(e);
	flow_table_free(&e->flows);
	mem_pool_free(&e->app_pool);
	x509_ctx_free(e->x509);
	e->x509 = NULL;
	dnsview_free(e->dns);
	e->dns = NULL;
}
