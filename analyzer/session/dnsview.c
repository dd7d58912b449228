/* dnsview.c — the DNS view: entries in two hash tables (by owner name, and
 * by what they point to: an address, an MX host, a CNAME target) and on one
 * list in the order they were last refreshed, oldest first. */
#include "analyzer/session/dnsview.h"

#include <stdio.h>
#include <string.h>

#define DNSV_BUCKETS_MIN    1024u /* power of two; the tables double as entries grow */
#define DNSV_BUCKETS_MAX    (1u << 22)
#define DNSV_DEFAULT_MAX    (64ull << 20) /* bytes */
#define DNSV_DEFAULT_LINGER 3600000000ull /* one hour, microseconds */
#define DNSV_NEG_TTL	    300u	  /* seconds a denial or failure is kept */
#define DNSV_SWEEP_US	    60000000ull	  /* expired entries are swept every minute */
#define DNSV_MSG_SIGS	    32		  /* RRSIG-covered RRsets remembered per message */

/* One record (or one denial: state != DNSV_PRESENT). str holds the owner
 * name, a NUL, then the second string of MX (host), CNAME (target) and TXT
 * (text). */
struct dnsv_ent {
	struct dnsv_ent *hnext;	      /* owner-name chain */
	struct dnsv_ent *rnext;	      /* reverse-key chain (A, AAAA, MX, CNAME) */
	struct dnsv_ent *prev, *next; /* refresh order */
	uint32_t hash, rhash;
	uint16_t type;
	uint8_t state; /* enum dnsv_state */
	uint8_t sec;   /* enum dnsv_sec */
	uint8_t given;
	uint8_t in_rev;
	uint16_t len2; /* length of the second string */
	uint64_t first_us, expires_us;
	uint64_t msgseq; /* the message that last refreshed it */
	size_t size;	 /* bytes allocated */
	union {
		uint8_t addr[16];
		uint16_t pref;
		struct dns_tlsa tlsa;
	} d;
	char str[];
};

struct dnsv_pol {
	struct dnsv_pol *next;
	struct mtasts_policy pol;
	char domain[DNS_NAME_MAX];
};

struct dnsview {
	struct dnsv_cfg cfg;
	struct mem *mem;
	const struct dnsview *base;	  /* given data shared by the run, or NULL */
	struct dnsv_ent **names;	  /* nbuckets chains by owner name */
	struct dnsv_ent **rev;		  /* nbuckets chains by reverse key */
	uint32_t nbuckets;		  /* power of two */
	struct dnsv_ent *oldest, *newest; /* capture entries, refresh order */
	struct dnsv_pol *pols;
	uint64_t entries;
	uint64_t msgseq;
	uint64_t next_sweep_us;
	struct dnsv_counters cnt;
	/* the message being read: RRsets its RRSIG records cover */
	int nsigs;
	struct {
		uint32_t hash;
		uint16_t type;
	} sigs[DNSV_MSG_SIGS];
};

/* FNV-1a over bytes. */
static uint32_t dnsv_hash(const void *p, size_t n, uint32_t h)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static uint32_t dnsv_name_hash(const char *name)
{
	return dnsv_hash(name, strlen(name), 2166136261u);
}

static uint32_t dnsv_addr_hash(int family, const uint8_t *addr)
{
	uint8_t f = (uint8_t)family;
	return dnsv_hash(addr, family == 4 ? 4 : 16, dnsv_hash(&f, 1, 2166136261u));
}

/* The reverse key of a record: A/AAAA by address, MX by host, CNAME by
 * target. 0 when it has none. */
static int dnsv_rev_hash(const struct dnsv_ent *e, uint32_t *h)
{
	const char *s2 = e->str + strlen(e->str) + 1;
	switch (e->type) {
	case DNS_T_A: *h = dnsv_addr_hash(4, e->d.addr); return 1;
	case DNS_T_AAAA: *h = dnsv_addr_hash(6, e->d.addr); return 1;
	case DNS_T_MX:
	case DNS_T_CNAME: *h = dnsv_hash(s2, strlen(s2), 2166136261u ^ e->type); return 1;
	default: return 0;
	}
}

static const char *dnsv_second(const struct dnsv_ent *e)
{
	return e->str + strlen(e->str) + 1;
}

struct dnsview *dnsview_new(const struct dnsv_cfg *cfg, struct mem *mem)
{
	struct dnsview *v = mem_calloc(mem, sizeof(*v));
	if (!v)
		return NULL;
	v->mem = mem;
	if (cfg)
		v->cfg = *cfg;
	if (!v->cfg.max_bytes)
		v->cfg.max_bytes = DNSV_DEFAULT_MAX;
	if (!v->cfg.linger_us)
		v->cfg.linger_us = DNSV_DEFAULT_LINGER;
	v->nbuckets = DNSV_BUCKETS_MIN;
	v->names = mem_calloc(mem, (size_t)v->nbuckets * sizeof(*v->names));
	v->rev = mem_calloc(mem, (size_t)v->nbuckets * sizeof(*v->rev));
	if (!v->names || !v->rev) {
		mem_free(mem, v->names, (size_t)v->nbuckets * sizeof(*v->names));
		mem_free(mem, v->rev, (size_t)v->nbuckets * sizeof(*v->rev));
		mem_free(mem, v, sizeof(*v));
		return NULL;
	}
	return v;
}

static void dnsv_unlink_chain(struct dnsv_ent **head, struct dnsv_ent *e, int rev)
{
	for (struct dnsv_ent **pp = head; *pp; pp = rev ? &(*pp)->rnext : &(*pp)->hnext)
		if (*pp == e) {
			*pp = rev ? e->rnext : e->hnext;
			return;
		}
}

static void dnsv_drop(struct dnsview *v, struct dnsv_ent *e)
{
	dnsv_unlink_chain(&v->names[e->hash & (v->nbuckets - 1)], e, 0);
	if (e->in_rev)
		dnsv_unlink_chain(&v->rev[e->rhash & (v->nbuckets - 1)], e, 1);
	if (!e->given) {
		if (e->prev)
			e->prev->next = e->next;
		else
			v->oldest = e->next;
		if (e->next)
			e->next->prev = e->prev;
		else
			v->newest = e->prev;
	}
	v->cnt.bytes -= e->size;
	v->entries--;
	mem_free(v->mem, e, e->size);
}

void dnsview_free(struct dnsview *v)
{
	if (!v)
		return;
	for (uint32_t i = 0; v->names && i < v->nbuckets; i++)
		while (v->names[i])
			dnsv_drop(v, v->names[i]);
	mem_free(v->mem, v->names, (size_t)v->nbuckets * sizeof(*v->names));
	mem_free(v->mem, v->rev, (size_t)v->nbuckets * sizeof(*v->rev));
	while (v->pols) {
		struct dnsv_pol *p = v->pols;
		v->pols = p->next;
		mem_free(v->mem, p, sizeof(*p));
	}
	mem_free(v->mem, v, sizeof(*v));
}

/* Drops capture entries past their TTL and linger; at most once a minute of
 * capture time, so the cost is spread thin. */
static void dnsv_sweep(struct dnsview *v, uint64_t now_us)
{
	if (now_us < v->next_sweep_us)
		return;
	v->next_sweep_us = now_us + DNSV_SWEEP_US;
	struct dnsv_ent *e = v->oldest;
	while (e) {
		struct dnsv_ent *n = e->next;
		if (e->expires_us + v->cfg.linger_us < now_us) {
			dnsv_drop(v, e);
			v->cnt.expired++;
		}
		e = n;
	}
}

static void dnsv_touch(struct dnsview *v, struct dnsv_ent *e)
{
	if (e->given || v->newest == e)
		return;
	if (e->prev)
		e->prev->next = e->next;
	else
		v->oldest = e->next;
	e->next->prev = e->prev;
	e->prev = v->newest;
	e->next = NULL;
	v->newest->next = e;
	v->newest = e;
}

/* Moves the chains of old (n buckets) into new (2n buckets), each chain
 * keeping its order: an old chain splits into two new ones. */
static void dnsv_rehash(struct dnsv_ent **old, struct dnsv_ent **new, uint32_t n, int rev)
{
	for (uint32_t i = 0; i < n; i++) {
		struct dnsv_ent **tail[2] = {&new[i], &new[i + n]};
		struct dnsv_ent *e = old[i];
		while (e) {
			struct dnsv_ent *next = rev ? e->rnext : e->hnext;
			int hi = ((rev ? e->rhash : e->hash) & n) != 0;
			*tail[hi] = e;
			tail[hi] = rev ? &e->rnext : &e->hnext;
			e = next;
		}
		*tail[0] = NULL;
		*tail[1] = NULL;
	}
}

/* Doubles the tables when they hold twice as many entries as buckets; when
 * no memory can be had, the chains just grow longer. */
static void dnsv_grow(struct dnsview *v)
{
	uint32_t n = v->nbuckets;
	if (v->entries < 2u * (uint64_t)n || n >= DNSV_BUCKETS_MAX)
		return;
	size_t sz = (size_t)n * 2 * sizeof(struct dnsv_ent *);
	struct dnsv_ent **names = mem_calloc(v->mem, sz);
	struct dnsv_ent **rev = mem_calloc(v->mem, sz);
	if (!names || !rev) {
		mem_free(v->mem, names, sz);
		mem_free(v->mem, rev, sz);
		return;
	}
	dnsv_rehash(v->names, names, n, 0);
	dnsv_rehash(v->rev, rev, n, 1);
	mem_free(v->mem, v->names, (size_t)n * sizeof(*v->names));
	mem_free(v->mem, v->rev, (size_t)n * sizeof(*v->rev));
	v->names = names;
	v->rev = rev;
	v->nbuckets = n * 2;
}

/* Whether e holds the same data as the new entry t (strings apart from t). */
static int dnsv_same(const struct dnsv_ent *e, uint32_t h, const char *name,
		     const struct dnsv_ent *t, const char *s2, size_t len2)
{
	if (e->hash != h || e->type != t->type || e->state != t->state || e->given != t->given ||
	    strcmp(e->str, name))
		return 0;
	if (t->state != DNSV_PRESENT)
		return 1;
	if (memcmp(&e->d, &t->d, sizeof(e->d)))
		return 0;
	return e->len2 == len2 && !memcmp(dnsv_second(e), s2, len2);
}

/* Inserts (or refreshes) an entry shaped like tmp with the strings given.
 * Returns 0, or -1 when no memory could be had. */
static int dnsv_insert(struct dnsview *v, const struct dnsv_ent *tmp, const char *name,
		       const char *s2, size_t len2)
{
	uint32_t h = dnsv_name_hash(name);
	dnsv_grow(v);
	struct dnsv_ent **b = &v->names[h & (v->nbuckets - 1)];
	for (struct dnsv_ent *e = *b; e; e = e->hnext) {
		if (dnsv_same(e, h, name, tmp, s2, len2)) {
			if (tmp->expires_us > e->expires_us)
				e->expires_us = tmp->expires_us;
			e->sec = tmp->sec;
			e->msgseq = tmp->msgseq;
			dnsv_touch(v, e);
			return 0;
		}
	}
	size_t nlen = strlen(name);
	size_t size = sizeof(struct dnsv_ent) + nlen + 1 + len2 + 1;
	while (!tmp->given && v->oldest && v->cnt.bytes + size > v->cfg.max_bytes) {
		dnsv_drop(v, v->oldest);
		v->cnt.dropped_memory++;
	}
	struct dnsv_ent *e = mem_calloc(v->mem, size);
	if (!e) {
		v->cnt.refused_memory++;
		return -1;
	}
	*e = *tmp;
	e->size = size;
	e->hash = h;
	e->len2 = (uint16_t)len2;
	memcpy(e->str, name, nlen + 1);
	if (len2)
		memcpy(e->str + nlen + 1, s2, len2);
	/* at the end of the chain (found again: the loop above may have
	 * dropped entries), so that records keep the order they came in */
	struct dnsv_ent **tail = b;
	while (*tail)
		tail = &(*tail)->hnext;
	*tail = e;
	if (e->state == DNSV_PRESENT && dnsv_rev_hash(e, &e->rhash)) {
		struct dnsv_ent **r = &v->rev[e->rhash & (v->nbuckets - 1)];
		e->rnext = *r;
		*r = e;
		e->in_rev = 1;
	}
	if (!e->given) {
		e->prev = v->newest;
		if (v->newest)
			v->newest->next = e;
		else
			v->oldest = e;
		v->newest = e;
	}
	v->entries++;
	v->cnt.bytes += size;
	if (v->cnt.bytes > v->cnt.peak_bytes)
		v->cnt.peak_bytes = v->cnt.bytes;
	return 0;
}

/* The data of a record as an entry (strings apart); 0 for a type the view
 * does not keep. */
static int dnsv_from_rr(struct dnsv_ent *t, const struct dns_rr *rr, const char **s2, size_t *len2)
{
	*s2 = "";
	*len2 = 0;
	t->type = rr->type;
	t->state = DNSV_PRESENT;
	switch (rr->type) {
	case DNS_T_A: memcpy(t->d.addr, rr->u.addr, 4); return 1;
	case DNS_T_AAAA: memcpy(t->d.addr, rr->u.addr, 16); return 1;
	case DNS_T_MX:
		t->d.pref = rr->u.mx.pref;
		*s2 = rr->u.mx.host;
		*len2 = strlen(rr->u.mx.host);
		return 1;
	case DNS_T_CNAME:
		*s2 = rr->u.target;
		*len2 = strlen(rr->u.target);
		return 1;
	case DNS_T_TLSA: t->d.tlsa = rr->u.tlsa; return 1;
	case DNS_T_TXT:
		*s2 = rr->u.txt.text;
		*len2 = rr->u.txt.len;
		return 1;
	default: return 0;
	}
}

void dnsview_rr(struct dnsview *v, uint64_t ts_us, const struct dns_msg *m, const struct dns_rr *rr)
{
	if (!v || !m->qr || rr->section != DNS_SEC_ANSWER)
		return;
	if (rr->type == DNS_T_RRSIG) {
		if (v->nsigs < DNSV_MSG_SIGS) {
			v->sigs[v->nsigs].hash = dnsv_name_hash(rr->name);
			v->sigs[v->nsigs].type = rr->u.rrsig.type_covered;
			v->nsigs++;
		}
		return;
	}
	struct dnsv_ent t;
	memset(&t, 0, sizeof(t));
	const char *s2;
	size_t len2;
	if (!dnsv_from_rr(&t, rr, &s2, &len2))
		return;
	t.sec = m->ad ? DNSV_SEC_SECURE : DNSV_SEC_INSECURE;
	t.first_us = ts_us;
	t.expires_us = ts_us + (uint64_t)rr->ttl * 1000000u;
	t.msgseq = v->msgseq + 1; /* the message being read */
	dnsv_sweep(v, ts_us);
	if (dnsv_insert(v, &t, rr->name, s2, len2) == 0)
		v->cnt.answers++;
}

/* An RRSIG of the message covered (name, type): its records read in this
 * message count as signed. */
static void dnsv_apply_sigs(struct dnsview *v, uint64_t seq)
{
	for (int i = 0; i < v->nsigs; i++) {
		uint32_t h = v->sigs[i].hash;
		for (struct dnsv_ent *e = v->names[h & (v->nbuckets - 1)]; e; e = e->hnext)
			if (e->hash == h && e->type == v->sigs[i].type && e->msgseq == seq &&
			    e->sec == DNSV_SEC_INSECURE)
				e->sec = DNSV_SEC_SECURE;
	}
	v->nsigs = 0;
}

/* Whether the message's answer holds a record of the question's type (or a
 * CNAME for the name: the records are then under the target). */
static int dnsv_answered(const struct dnsview *v, const struct dns_msg *m, uint64_t seq)
{
	uint32_t h = dnsv_name_hash(m->qname);
	for (const struct dnsv_ent *e = v->names[h & (v->nbuckets - 1)]; e; e = e->hnext)
		if (e->hash == h && (e->type == m->qtype || e->type == DNS_T_CNAME) &&
		    e->msgseq == seq && e->state == DNSV_PRESENT && !strcmp(e->str, m->qname))
			return 1;
	return 0;
}

void dnsview_message(struct dnsview *v, uint64_t ts_us, const struct dns_msg *m)
{
	if (!v)
		return;
	uint64_t seq = ++v->msgseq;
	dnsv_apply_sigs(v, seq);
	if (!m->qr || m->qdcount != 1 || m->opcode != 0)
		return;
	struct dnsv_ent t;
	memset(&t, 0, sizeof(t));
	t.type = m->qtype;
	t.first_us = ts_us;
	t.expires_us = ts_us + (uint64_t)DNSV_NEG_TTL * 1000000u;
	t.msgseq = seq;
	t.sec = m->ad ? DNSV_SEC_SECURE : DNSV_SEC_INSECURE;
	if (m->rcode == DNS_RCODE_SERVFAIL) {
		t.state = DNSV_FAILED;
		t.sec = DNSV_SEC_BOGUS;
	} else if (m->rcode == DNS_RCODE_NXDOMAIN) {
		t.state = DNSV_ABSENT;
	} else if (m->rcode == DNS_RCODE_NOERROR && !m->tc && !dnsv_answered(v, m, seq)) {
		t.state = DNSV_ABSENT; /* no data of that type (perhaps a CNAME) */
	} else {
		return;
	}
	if (m->qtype != DNS_T_TLSA && m->qtype != DNS_T_MX && m->qtype != DNS_T_TXT)
		return; /* only the denials the checks need are kept */
	dnsv_sweep(v, ts_us);
	dnsv_insert(v, &t, m->qname, "", 0);
}

int dnsview_put(struct dnsview *v, const struct dns_rr *rr, enum dnsv_sec sec)
{
	struct dnsv_ent t;
	memset(&t, 0, sizeof(t));
	const char *s2;
	size_t len2;
	if (!dnsv_from_rr(&t, rr, &s2, &len2))
		return 0;
	t.sec = (uint8_t)sec;
	t.given = 1;
	t.expires_us = UINT64_MAX;
	if (dnsv_insert(v, &t, rr->name, s2, len2))
		return -1;
	v->cnt.given++;
	return 0;
}

int dnsview_put_state(struct dnsview *v, const char *name, uint16_t type, enum dnsv_state st,
		      enum dnsv_sec sec)
{
	struct dnsv_ent t;
	memset(&t, 0, sizeof(t));
	t.type = type;
	t.state = (uint8_t)st;
	t.sec = (uint8_t)sec;
	t.given = 1;
	t.expires_us = UINT64_MAX;
	if (dnsv_insert(v, &t, name, "", 0))
		return -1;
	v->cnt.given++;
	return 0;
}

int dnsview_put_policy(struct dnsview *v, const char *domain, const struct mtasts_policy *pol)
{
	struct dnsv_pol *p = mem_calloc(v->mem, sizeof(*p));
	if (!p)
		return -1;
	p->pol = *pol;
	snprintf(p->domain, sizeof(p->domain), "%s", domain);
	p->next = v->pols;
	v->pols = p;
	return 0;
}

/* Whether e answers a question at at_us. */
static int dnsv_valid(const struct dnsv_ent *e, uint64_t at_us)
{
	return e->given || at_us <= e->expires_us;
}

/* The best answer for (name, type) at at_us: the entries of the latest
 * message from the capture, else the given ones. Calls fn for each. */
static int dnsv_answer(const struct dnsview *v, const char *name, uint16_t type, uint64_t at_us,
		       void (*fn)(void *ctx, const struct dnsv_ent *e), void *ctx)
{
	uint32_t h = dnsv_name_hash(name);
	uint64_t best = 0;
	int given = 0;
	const struct dnsv_ent *head = v->names[h & (v->nbuckets - 1)];
	for (const struct dnsv_ent *e = head; e; e = e->hnext) {
		if (e->hash != h || e->type != type || strcmp(e->str, name) ||
		    !dnsv_valid(e, at_us))
			continue;
		if (e->given)
			given = 1;
		else if (e->msgseq > best)
			best = e->msgseq;
	}
	if (!best && !given)
		return v->base ? dnsv_answer(v->base, name, type, at_us, fn, ctx) : 0;
	int n = 0;
	for (const struct dnsv_ent *e = head; e; e = e->hnext)
		if (e->hash == h && e->type == type && !strcmp(e->str, name) &&
		    dnsv_valid(e, at_us) && (best ? !e->given && e->msgseq == best : e->given)) {
			fn(ctx, e);
			n++;
		}
	return n;
}

/* Appends name to out (max entries) unless it is there already. */
static int dnsv_add_name(char out[][DNS_NAME_MAX], int n, int max, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(out[i], name))
			return n;
	if (n < max) {
		size_t len = strnlen(name, DNS_NAME_MAX - 1);
		memcpy(out[n], name, len);
		out[n++][len] = '\0';
	}
	return n;
}

/* Names of the entries of type `type` whose reverse key hashes to h and
 * matches (by address or second string). */
static int dnsv_reverse(const struct dnsview *v, uint32_t h, uint16_t type, const uint8_t *addr,
			const char *s2, uint64_t at_us, char out[][DNS_NAME_MAX], int max)
{
	int n = 0;
	for (const struct dnsv_ent *e = v->rev[h & (v->nbuckets - 1)]; e; e = e->rnext) {
		if (e->rhash != h || e->type != type || !dnsv_valid(e, at_us))
			continue;
		if (addr && memcmp(e->d.addr, addr, type == DNS_T_A ? 4 : 16))
			continue;
		if (s2 && strcmp(dnsv_second(e), s2))
			continue;
		n = dnsv_add_name(out, n, max, e->str);
	}
	if (v->base) {
		/* the given data's names come after the capture's */
		char more[8][DNS_NAME_MAX];
		int k = dnsv_reverse(v->base, h, type, addr, s2, at_us, more, 8);
		for (int i = 0; i < k; i++)
			n = dnsv_add_name(out, n, max, more[i]);
	}
	return n;
}

int dnsview_names_of_addr(const struct dnsview *v, int family, const uint8_t addr[16],
			  uint64_t at_us, char out[][DNS_NAME_MAX], int max)
{
	if (!v)
		return 0;
	return dnsv_reverse(v, dnsv_addr_hash(family, addr), family == 4 ? DNS_T_A : DNS_T_AAAA,
			    addr, NULL, at_us, out, max);
}

int dnsview_cname_sources(const struct dnsview *v, const char *host, uint64_t at_us,
			  char out[][DNS_NAME_MAX], int max)
{
	if (!v)
		return 0;
	uint32_t h = dnsv_hash(host, strlen(host), 2166136261u ^ DNS_T_CNAME);
	return dnsv_reverse(v, h, DNS_T_CNAME, NULL, host, at_us, out, max);
}

int dnsview_domains_of_mx(const struct dnsview *v, const char *host, uint64_t at_us,
			  char out[][DNS_NAME_MAX], int max)
{
	if (!v)
		return 0;
	uint32_t h = dnsv_hash(host, strlen(host), 2166136261u ^ DNS_T_MX);
	return dnsv_reverse(v, h, DNS_T_MX, NULL, host, at_us, out, max);
}

static void dnsv_tlsa_fn(void *ctx, const struct dnsv_ent *e)
{
	struct dnsv_tlsa_set *out = ctx;
	if (e->state != DNSV_PRESENT) {
		out->state = e->state;
		out->sec = e->sec;
		out->given = e->given;
		return;
	}
	if (out->state == DNSV_UNSEEN || out->state == DNSV_PRESENT) {
		if (out->state == DNSV_UNSEEN || e->sec < out->sec)
			out->sec = e->sec; /* the RRset is as secure as its least record */
		out->state = DNSV_PRESENT;
		out->given = e->given;
		if (out->n < DNSV_MAX_TLSA)
			out->r[out->n++] = e->d.tlsa;
		else
			out->more = 1;
	}
}

void dnsview_tlsa(const struct dnsview *v, const char *host, uint16_t port, uint64_t at_us,
		  struct dnsv_tlsa_set *out)
{
	memset(out, 0, sizeof(*out));
	if (!v || !host[0])
		return;
	char name[DNS_NAME_MAX + 16];
	snprintf(name, sizeof(name), "_%u._tcp.%s", (unsigned)port, host);
	dnsv_answer(v, name, DNS_T_TLSA, at_us, dnsv_tlsa_fn, out);
}

struct dnsv_txt_ctx {
	const char *prefix;
	char *out;
	size_t outlen;
	enum dnsv_state state;
	enum dnsv_sec sec;
};

static void dnsv_txt_fn(void *ctx, const struct dnsv_ent *e)
{
	struct dnsv_txt_ctx *t = ctx;
	if (t->state == DNSV_PRESENT)
		return;
	if (e->state != DNSV_PRESENT) {
		t->state = e->state;
		t->sec = e->sec;
		return;
	}
	const char *s = dnsv_second(e);
	size_t pl = strlen(t->prefix);
	if (e->len2 < pl || strncmp(s, t->prefix, pl))
		return;
	t->state = DNSV_PRESENT;
	t->sec = e->sec;
	size_t n = e->len2 < t->outlen - 1 ? e->len2 : t->outlen - 1;
	memcpy(t->out, s, n);
	t->out[n] = '\0';
}

enum dnsv_state dnsview_txt(const struct dnsview *v, const char *name, const char *prefix,
			    uint64_t at_us, char *out, size_t outlen, enum dnsv_sec *sec)
{
	struct dnsv_txt_ctx t = {prefix, out, outlen, DNSV_UNSEEN, DNSV_SEC_INSECURE};
	if (outlen)
		out[0] = '\0';
	if (v && outlen)
		dnsv_answer(v, name, DNS_T_TXT, at_us, dnsv_txt_fn, &t);
	if (sec)
		*sec = t.sec;
	return t.state;
}

const struct mtasts_policy *dnsview_policy(const struct dnsview *v, const char *domain)
{
	for (const struct dnsv_pol *p = v ? v->pols : NULL; p; p = p->next)
		if (!strcmp(p->domain, domain))
			return &p->pol;
	return v && v->base ? dnsview_policy(v->base, domain) : NULL;
}

int dnsview_empty(const struct dnsview *v)
{
	return !v || (v->entries == 0 && v->pols == NULL && v->cnt.answers == 0 &&
		      dnsview_empty(v->base));
}

void dnsview_set_base(struct dnsview *v, const struct dnsview *base)
{
	if (v && base != v)
		v->base = base;
}

void dnsview_counters(const struct dnsview *v, struct dnsv_counters *out)
{
	memset(out, 0, sizeof(*out));
	if (v)
		*out = v->cnt;
}
