/* flow.c — the flow table: chained hash on the unordered 5-tuple, two lists. */
#include "analyzer/session/flow.h"

#include <string.h>

/* FNV-1a over the endpoints, combined so that both directions hash alike. */
static uint32_t flow_ep_hash(const uint8_t *addr, uint16_t port, int family)
{
	uint32_t h = 2166136261u;
	size_t n = family == 6 ? 16 : 4;
	for (size_t i = 0; i < n; i++) {
		h ^= addr[i];
		h *= 16777619u;
	}
	h ^= port;
	h *= 16777619u;
	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 12;
	return h;
}

static uint32_t flow_hash(const struct pkt *p)
{
	uint32_t a = flow_ep_hash(p->src, p->sport, p->family);
	uint32_t b = flow_ep_hash(p->dst, p->dport, p->family);
	return (a + b) ^ (uint32_t)p->family; /* symmetric in a and b */
}

static int flow_ep_eq(const struct flow_ep *e, const uint8_t *addr, uint16_t port)
{
	return e->port == port && memcmp(e->addr, addr, sizeof(e->addr)) == 0;
}

int flow_table_init(struct flow_table *t, struct mem *m, uint32_t max)
{
	memset(t, 0, sizeof(*t));
	t->mem = m;
	t->max = max ? max : 1;
	uint32_t n = 64;
	while (n < t->max && n < (1u << 30))
		n <<= 1;
	t->nbuckets = n;
	t->buckets = mem_calloc(m, (size_t)n * sizeof(*t->buckets));
	mem_pool_init(&t->pool, m, sizeof(struct flow), FLOW_POOL_KEEP);
	return t->buckets ? 0 : -1;
}

void flow_table_free(struct flow_table *t)
{
	mem_free(t->mem, t->buckets, (size_t)t->nbuckets * sizeof(*t->buckets));
	t->buckets = NULL;
	mem_pool_free(&t->pool);
}

struct flow *flow_lookup(struct flow_table *t, const struct pkt *p, int *dir)
{
	uint32_t h = flow_hash(p);
	for (struct flow *f = t->buckets[h & (t->nbuckets - 1)]; f; f = f->hnext) {
		if (f->hash != h || f->family != p->family)
			continue;
		if (flow_ep_eq(&f->ep[FLOW_C2S], p->src, p->sport) &&
		    flow_ep_eq(&f->ep[FLOW_S2C], p->dst, p->dport)) {
			*dir = FLOW_C2S;
			return f;
		}
		if (flow_ep_eq(&f->ep[FLOW_S2C], p->src, p->sport) &&
		    flow_ep_eq(&f->ep[FLOW_C2S], p->dst, p->dport)) {
			*dir = FLOW_S2C;
			return f;
		}
	}
	return NULL;
}

static void flow_unlink(struct flow_table *t, struct flow *f)
{
	int l = f->list;
	if (f->prev)
		f->prev->next = f->next;
	else
		t->head[l] = f->next;
	if (f->next)
		f->next->prev = f->prev;
	else
		t->tail[l] = f->prev;
	f->prev = f->next = NULL;
}

static void flow_append(struct flow_table *t, struct flow *f, int l)
{
	f->list = (uint8_t)l;
	f->prev = t->tail[l];
	f->next = NULL;
	if (t->tail[l])
		t->tail[l]->next = f;
	else
		t->head[l] = f;
	t->tail[l] = f;
}

struct flow *flow_create(struct flow_table *t, const struct pkt *p, int sender_is_client,
			 uint64_t ts_us)
{
	if (t->count >= t->max)
		return NULL;
	struct flow *f = mem_pool_get(&t->pool);
	if (!f)
		return NULL;
	f->family = p->family;
	f->hash = flow_hash(p);
	int c = sender_is_client ? 0 : 1;
	memcpy(f->ep[c].addr, p->src, 16);
	f->ep[c].port = p->sport;
	memcpy(f->ep[!c].addr, p->dst, 16);
	f->ep[!c].port = p->dport;
	f->first_us = f->last_us = ts_us;
	f->seqno = t->created++;
	uint32_t b = f->hash & (t->nbuckets - 1);
	f->hnext = t->buckets[b];
	t->buckets[b] = f;
	flow_append(t, f, FLOW_ACTIVE);
	t->count++;
	return f;
}

void flow_touch(struct flow_table *t, struct flow *f, uint64_t ts_us)
{
	if (ts_us > f->last_us)
		f->last_us = ts_us;
	if (f->list == FLOW_ACTIVE && t->tail[FLOW_ACTIVE] != f) {
		flow_unlink(t, f);
		flow_append(t, f, FLOW_ACTIVE);
	}
}

void flow_set_closing(struct flow_table *t, struct flow *f, uint64_t ts_us)
{
	if (f->list == FLOW_CLOSING)
		return;
	flow_unlink(t, f);
	f->closed_us = ts_us;
	flow_append(t, f, FLOW_CLOSING);
}

void flow_remove(struct flow_table *t, struct flow *f)
{
	struct flow **pp = &t->buckets[f->hash & (t->nbuckets - 1)];
	while (*pp && *pp != f)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = f->hnext;
	flow_unlink(t, f);
	t->count--;
	mem_pool_put(&t->pool, f);
}
