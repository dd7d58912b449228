/* x509.c — certificate chain analysis with OpenSSL: the trust store, chain
 * validation (RFC 5280 §6 as X509_verify_cert implements it), the chain
 * cache and the per-server memory; the leaf's own facts and the host-name
 * check are cert.c's.
 *
 * Certificates are parsed with d2i_X509() only; no ASN.1 is read by hand.
 *
 * The cache: an entry per distinct chain (SHA-256 over each certificate's
 * length and DER), holding the time- and name-independent facts of the leaf,
 * the verdict of X509_verify_cert() run without time checks, the validity
 * window of the verified chain (latest notBefore, earliest notAfter) and the
 * parsed leaf for host-name checks. A connection's verdict is derived from
 * the entry at its capture time, so a hit and a miss give the same result:
 *
 *   non-time error?  -> its name
 *   ts <  max(notBefore) -> "not_yet_valid"
 *   ts >= min(notAfter)  -> "expired"
 *   otherwise           -> "valid"
 *
 * The per-server memory for x509_infer() keeps, per server address and port,
 * the last chain's key, its verdict and a copy of the leaf's DER: enough to
 * rebuild a cache entry without verifying again, whatever the cache evicted.
 */
#include "dissectors/proto/x509.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define NIL		UINT32_MAX
#define ERR_UNPARSABLE	(-1) /* our own verdict: the leaf is not a certificate */
#define CACHE_LIMIT	(1u << 24)
#define CACHE_DEFAULT	1024u  /* cache_max when the configuration says 0 */
#define SERVERS_DEFAULT 4096u  /* max_servers when the configuration says 0 */
#define SERVER_LEAF_MAX 16384u /* a longer leaf is not remembered for x509_infer() */

/* A bounded table of fixed-size keys with least-recently-used eviction:
 * chained hash buckets plus a doubly linked recency list, all by index into
 * arrays allocated once. Payloads live in parallel arrays of the caller. */
struct x509_lru {
	uint32_t cap, used, klen, mask;
	uint32_t head, tail; /* most and least recently used */
	uint8_t *keys;	     /* cap * klen */
	uint32_t *hnext, *prev, *next;
	uint32_t *bucket; /* mask + 1 */
};

/* The outcome of X509_verify_cert() for one chain, time left out. */
struct x509_verdict {
	int err;	 /* X509_V_OK, an X509_V_ERR_* code, or ERR_UNPARSABLE */
	int64_t nb_max;	 /* latest notBefore of the verified chain */
	int64_t na_min;	 /* earliest notAfter of the verified chain */
	uint8_t chain_n; /* certificates the server sent */
};

/* A cache entry. The leaf is owned by the entry (X509_free on eviction). */
struct x509_entry {
	struct cert_facts base; /* facts independent of time and host name */
	struct x509_verdict v;
	X509 *leaf; /* NULL when unparsable */
};

/* What is remembered of a server for x509_infer(). der is owned (struct mem). */
struct x509_server {
	uint8_t chain_key[32];
	struct x509_verdict v;
	uint8_t known; /* 0: the last chain could not be remembered */
	uint8_t *der;  /* the leaf's DER */
	size_t len, cap;
};

/* The trust store, loaded at most once, shared by the contexts of a run. */
struct x509_trust {
	pthread_mutex_t lock;
	X509_STORE *store; /* NULL until loaded (the system store: lazily) */
	int failed;	   /* loading the system store failed */
};

struct x509_ctx {
	struct mem own_mem; /* used when the configuration gave none */
	struct mem *mem;
	struct x509_trust *trust; /* borrowed, or own_trust */
	struct x509_trust *own_trust;
	EVP_MD_CTX *md;
	struct x509_lru cache;
	struct x509_entry *ent;
	struct x509_lru srv;
	struct x509_server *srv_ent;
	uint32_t cache_max, max_servers; /* sizes of ent and srv_ent */
	struct x509_counters k;
};

/* ---- bounded LRU table ---- */

static int x509_lru_init(struct mem *m, struct x509_lru *l, uint32_t cap, uint32_t klen)
{
	uint32_t nb = 1;
	memset(l, 0, sizeof(*l));
	while (nb < cap * 2u)
		nb <<= 1;
	l->cap = cap;
	l->klen = klen;
	l->mask = nb - 1;
	l->head = l->tail = NIL;
	l->keys = mem_calloc(m, (size_t)cap * klen);
	l->hnext = mem_calloc(m, (size_t)cap * sizeof(uint32_t));
	l->prev = mem_calloc(m, (size_t)cap * sizeof(uint32_t));
	l->next = mem_calloc(m, (size_t)cap * sizeof(uint32_t));
	l->bucket = mem_calloc(m, (size_t)nb * sizeof(uint32_t));
	if (!l->keys || !l->hnext || !l->prev || !l->next || !l->bucket)
		return -1;
	for (uint32_t i = 0; i < nb; i++)
		l->bucket[i] = NIL;
	return 0;
}

static void x509_lru_free(struct mem *m, struct x509_lru *l)
{
	mem_free(m, l->keys, (size_t)l->cap * l->klen);
	mem_free(m, l->hnext, (size_t)l->cap * sizeof(uint32_t));
	mem_free(m, l->prev, (size_t)l->cap * sizeof(uint32_t));
	mem_free(m, l->next, (size_t)l->cap * sizeof(uint32_t));
	mem_free(m, l->bucket, ((size_t)l->mask + 1) * sizeof(uint32_t));
	memset(l, 0, sizeof(*l));
}

/* FNV-1a: the keys are digests or addresses, spread well enough. */
static uint32_t x509_lru_hash(const struct x509_lru *l, const uint8_t *k)
{
	uint32_t h = 2166136261u;
	for (uint32_t i = 0; i < l->klen; i++) {
		h ^= k[i];
		h *= 16777619u;
	}
	return h & l->mask;
}

static void x509_lru_unlink(struct x509_lru *l, uint32_t i)
{
	if (l->prev[i] != NIL)
		l->next[l->prev[i]] = l->next[i];
	else
		l->head = l->next[i];
	if (l->next[i] != NIL)
		l->prev[l->next[i]] = l->prev[i];
	else
		l->tail = l->prev[i];
}

static void x509_lru_push_front(struct x509_lru *l, uint32_t i)
{
	l->prev[i] = NIL;
	l->next[i] = l->head;
	if (l->head != NIL)
		l->prev[l->head] = i;
	l->head = i;
	if (l->tail == NIL)
		l->tail = i;
}

/* The slot holding key k (made the most recent), or NIL. */
static uint32_t x509_lru_find(struct x509_lru *l, const uint8_t *k)
{
	for (uint32_t i = l->bucket[x509_lru_hash(l, k)]; i != NIL; i = l->hnext[i]) {
		if (memcmp(l->keys + (size_t)i * l->klen, k, l->klen) == 0) {
			if (l->head != i) {
				x509_lru_unlink(l, i);
				x509_lru_push_front(l, i);
			}
			return i;
		}
	}
	return NIL;
}

/* A slot for key k, which is not in the table: a free one, or the least
 * recently used one (*evicted = 1; the caller releases its payload). */
static uint32_t x509_lru_take(struct x509_lru *l, const uint8_t *k, int *evicted)
{
	uint32_t i;
	*evicted = 0;
	if (l->used < l->cap) {
		i = l->used++;
	} else {
		i = l->tail;
		x509_lru_unlink(l, i);
		uint32_t *pp = &l->bucket[x509_lru_hash(l, l->keys + (size_t)i * l->klen)];
		while (*pp != i)
			pp = &l->hnext[*pp];
		*pp = l->hnext[i];
		*evicted = 1;
	}
	memcpy(l->keys + (size_t)i * l->klen, k, l->klen);
	uint32_t b = x509_lru_hash(l, k);
	l->hnext[i] = l->bucket[b];
	l->bucket[b] = i;
	x509_lru_push_front(l, i);
	return i;
}

/* ---- trust store ---- */

static void x509_err(char *err, size_t errlen, const char *what, const char *arg);

struct x509_trust *x509_trust_new(const struct x509_cfg *cfg, char *err, size_t errlen)
{
	struct x509_trust *t = calloc(1, sizeof(*t));
	if (!t || pthread_mutex_init(&t->lock, NULL) != 0) {
		free(t);
		if (err && errlen)
			snprintf(err, errlen, "certificate analysis: out of memory");
		return NULL;
	}
	if (!cfg->ca_file && !cfg->ca_path)
		return t; /* the system store, on first use */
	t->store = X509_STORE_new();
	if (!t->store) {
		x509_err(err, errlen, "certificate analysis", NULL);
		goto fail;
	}
	if (cfg->ca_file && !X509_STORE_load_file(t->store, cfg->ca_file)) {
		x509_err(err, errlen, "cannot load CA file", cfg->ca_file);
		goto fail;
	}
	if (cfg->ca_path) {
		/* A lookup directory is only read when a certificate is looked
		 * up; check now that it is there. */
		struct stat st;
		if (stat(cfg->ca_path, &st) != 0 || !S_ISDIR(st.st_mode)) {
			if (err && errlen)
				snprintf(err, errlen, "cannot load CA path %s: not a directory",
					 cfg->ca_path);
			goto fail;
		}
		if (!X509_STORE_load_path(t->store, cfg->ca_path)) {
			x509_err(err, errlen, "cannot load CA path", cfg->ca_path);
			goto fail;
		}
	}
	ERR_clear_error();
	return t;
fail:
	ERR_clear_error();
	x509_trust_free(t);
	return NULL;
}

void x509_trust_free(struct x509_trust *t)
{
	if (!t)
		return;
	X509_STORE_free(t->store);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

/* The loaded store, or NULL when the system store could not be loaded. */
static X509_STORE *x509_trust_store(struct x509_trust *t)
{
	pthread_mutex_lock(&t->lock);
	if (!t->store && !t->failed) {
		X509_STORE *s = X509_STORE_new();
		if (s && X509_STORE_set_default_paths(s)) {
			t->store = s;
		} else {
			X509_STORE_free(s);
			t->failed = 1;
		}
		ERR_clear_error();
	}
	X509_STORE *s = t->store;
	pthread_mutex_unlock(&t->lock);
	return s;
}

/* ---- verification ---- */

static X509 *x509_parse(struct x509_ctx *c, const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x = NULL;
	if (der && len > 0 && len <= (size_t)LONG_MAX)
		x = d2i_X509(NULL, &p, (long)len);
	if (!x)
		c->k.unparsable++;
	return x;
}

/* X509_verify_cert() without time checks; the window of the chain it built. */
static void x509_verify(struct x509_ctx *c, X509 *const *certs, size_t n, struct x509_verdict *v)
{
	STACK_OF(X509) *untrusted = NULL;
	X509_STORE_CTX *sc = NULL;
	v->err = X509_V_OK;
	v->nb_max = INT64_MIN;
	v->na_min = INT64_MAX;
	if (!certs[0]) {
		v->err = ERR_UNPARSABLE;
		return;
	}
	untrusted = sk_X509_new_null();
	sc = X509_STORE_CTX_new();
	if (!untrusted || !sc)
		goto oom;
	/* An intermediate that does not parse is left out; the chain may then
	 * lack its issuer, which is what a client would find too. */
	for (size_t i = 1; i < n; i++)
		if (certs[i] && !sk_X509_push(untrusted, certs[i]))
			goto oom;
	X509_STORE *store = x509_trust_store(c->trust);
	if (!store) {
		v->err = X509_V_ERR_UNSPECIFIED;
		goto out;
	}
	if (!X509_STORE_CTX_init(sc, store, certs[0], untrusted))
		goto oom;
	X509_STORE_CTX_set_flags(sc, X509_V_FLAG_NO_CHECK_TIME);
	if (X509_verify_cert(sc) <= 0) {
		v->err = X509_STORE_CTX_get_error(sc);
		if (v->err == X509_V_OK)
			v->err = X509_V_ERR_UNSPECIFIED;
	} else {
		/* OpenSSL checks the time of every certificate of the verified
		 * chain, the trust anchor included; so does the derived verdict. */
		STACK_OF(X509) *vc = X509_STORE_CTX_get0_chain(sc);
		for (int i = 0; i < sk_X509_num(vc); i++) {
			const X509 *x = sk_X509_value(vc, i);
			int64_t nb, na;
			if (cert_time(X509_get0_notBefore(x), &nb) != 0) {
				v->err = X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD;
				break;
			}
			if (cert_time(X509_get0_notAfter(x), &na) != 0) {
				v->err = X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD;
				break;
			}
			if (nb > v->nb_max)
				v->nb_max = nb;
			if (na < v->na_min)
				v->na_min = na;
		}
	}
	goto out;
oom:
	v->err = X509_V_ERR_OUT_OF_MEM;
out:
	X509_STORE_CTX_free(sc);
	sk_X509_free(untrusted); /* the certificates are the caller's */
}

/* ---- cache ---- */

static int x509_chain_key(struct x509_ctx *c, const struct tls_chain *ch, size_t n, uint8_t key[32])
{
	unsigned int len = 0;
	if (!EVP_DigestInit_ex(c->md, EVP_sha256(), NULL))
		return -1;
	for (size_t i = 0; i < n; i++) {
		uint8_t be[4];
		uint32_t l = ch->len[i] > UINT32_MAX ? UINT32_MAX : (uint32_t)ch->len[i];
		be[0] = (uint8_t)(l >> 24);
		be[1] = (uint8_t)(l >> 16);
		be[2] = (uint8_t)(l >> 8);
		be[3] = (uint8_t)l;
		if (!EVP_DigestUpdate(c->md, be, 4) ||
		    (ch->len[i] && !EVP_DigestUpdate(c->md, ch->der[i], ch->len[i])))
			return -1;
	}
	if (!EVP_DigestFinal_ex(c->md, key, &len) || len != 32)
		return -1;
	return 0;
}

/* The DANE digests of the chain's first certificates, and which of them
 * the next one issued (name and signature). */
static void x509_dane(X509 *const *certs, size_t n, struct cert_dane *d)
{
	memset(d, 0, sizeof(*d));
	d->n = (uint8_t)(n < CERT_DANE_MAX ? n : CERT_DANE_MAX);
	for (size_t i = 0; i < d->n; i++) {
		cert_dane_digests(certs[i], &d->c[i]);
		if (i + 1 < n && certs[i] && certs[i + 1]) {
			EVP_PKEY *k = X509_get0_pubkey(certs[i + 1]);
			d->c[i].issued_by_next =
				(uint8_t)(X509_check_issued(certs[i + 1], certs[i]) == X509_V_OK &&
					  k && X509_verify(certs[i], k) == 1);
		}
	}
}

static void x509_entry_from_chain(struct x509_ctx *c, struct x509_entry *e,
				  const struct tls_chain *ch, size_t n)
{
	X509 *certs[TLS_MAX_CHAIN];
	memset(certs, 0, sizeof(certs));
	for (size_t i = 0; i < n; i++)
		certs[i] = x509_parse(c, ch->der[i], ch->len[i]);
	cert_leaf_facts(certs[0], (uint8_t)n, &e->base);
	x509_dane(certs, n, &e->base.dane);
	x509_verify(c, certs, n, &e->v);
	e->v.chain_n = (uint8_t)n;
	e->leaf = certs[0];
	for (size_t i = 1; i < n; i++)
		X509_free(certs[i]);
}

/* Rebuilds an entry from a remembered leaf and verdict: no verification. */
static void x509_entry_from_leaf(struct x509_ctx *c, struct x509_entry *e,
				 const struct x509_server *s)
{
	e->leaf = x509_parse(c, s->der, s->len);
	cert_leaf_facts(e->leaf, s->v.chain_n, &e->base);
	x509_dane(&e->leaf, 1, &e->base.dane); /* the leaf alone is remembered */
	e->v = s->v;
}

/* Moves *e into the cache under key (not present); returns the slot. */
static struct x509_entry *x509_cache_put(struct x509_ctx *c, const uint8_t key[32],
					 const struct x509_entry *e)
{
	int evicted = 0;
	uint32_t i = x509_lru_take(&c->cache, key, &evicted);
	if (evicted) {
		X509_free(c->ent[i].leaf);
		c->k.evictions++;
	}
	memcpy(&c->ent[i], e, sizeof(*e));
	return &c->ent[i];
}

/* ---- per-connection verdict ---- */

const char *x509_verr_name(int code, char *buf, size_t len)
{
	switch (code) {
	case ERR_UNPARSABLE: return "unparsable";
	case X509_V_OK: return "valid";
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY: return "unable_to_get_issuer";
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE: return "unable_to_verify_leaf";
	case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
	case X509_V_ERR_CERT_SIGNATURE_FAILURE: return "bad_signature";
	case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: return "bad_issuer_key";
	case X509_V_ERR_CERT_NOT_YET_VALID: return "not_yet_valid";
	case X509_V_ERR_CERT_HAS_EXPIRED: return "expired";
	case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD: return "bad_not_before";
	case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD: return "bad_not_after";
	case X509_V_ERR_OUT_OF_MEM: return "out_of_memory";
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT: return "self_signed";
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN: return "self_signed_in_chain";
	case X509_V_ERR_CERT_CHAIN_TOO_LONG: return "chain_too_long";
	case X509_V_ERR_CERT_REVOKED: return "revoked";
	case X509_V_ERR_INVALID_CA: return "invalid_ca";
	case X509_V_ERR_PATH_LENGTH_EXCEEDED: return "path_length_exceeded";
	case X509_V_ERR_INVALID_PURPOSE: return "invalid_purpose";
	case X509_V_ERR_CERT_UNTRUSTED: return "untrusted";
	case X509_V_ERR_CERT_REJECTED: return "rejected";
	case X509_V_ERR_SUBJECT_ISSUER_MISMATCH: return "subject_issuer_mismatch";
	case X509_V_ERR_AKID_SKID_MISMATCH: return "akid_skid_mismatch";
	case X509_V_ERR_AKID_ISSUER_SERIAL_MISMATCH: return "akid_issuer_serial_mismatch";
	case X509_V_ERR_KEYUSAGE_NO_CERTSIGN: return "key_usage_no_certsign";
	case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION: return "unhandled_critical_extension";
	case X509_V_ERR_INVALID_EXTENSION: return "invalid_extension";
	case X509_V_ERR_INVALID_POLICY_EXTENSION: return "invalid_policy_extension";
	case X509_V_ERR_NO_EXPLICIT_POLICY: return "no_explicit_policy";
	case X509_V_ERR_PERMITTED_VIOLATION: return "name_constraints_permitted_violation";
	case X509_V_ERR_EXCLUDED_VIOLATION: return "name_constraints_excluded_violation";
	case X509_V_ERR_SUBTREE_MINMAX:
	case X509_V_ERR_UNSUPPORTED_CONSTRAINT_TYPE:
	case X509_V_ERR_UNSUPPORTED_CONSTRAINT_SYNTAX:
	case X509_V_ERR_UNSUPPORTED_NAME_SYNTAX: return "name_constraints_unsupported";
	case X509_V_ERR_EE_KEY_TOO_SMALL: return "ee_key_too_small";
	case X509_V_ERR_CA_KEY_TOO_SMALL: return "ca_key_too_small";
	case X509_V_ERR_CA_MD_TOO_WEAK: return "ca_md_too_weak";
	case X509_V_ERR_UNSPECIFIED: return "unspecified";
	default: snprintf(buf, len, "error_%d", code); return buf;
	}
}

static void x509_judge(const struct x509_entry *e, uint64_t ts_us, const char *name,
		       enum cert_name_src src, uint8_t source, struct cert_facts *out)
{
	char buf[32];
	int64_t ts = (int64_t)(ts_us / 1000000u);
	const char *verdict;
	memcpy(out, &e->base, sizeof(*out)); /* padding too: facts compare with memcmp */
	out->source = source;
	if (e->v.err != X509_V_OK)
		verdict = x509_verr_name(e->v.err, buf, sizeof(buf));
	else if (ts < e->v.nb_max)
		verdict = "not_yet_valid";
	else if (ts >= e->v.na_min)
		verdict = "expired";
	else
		verdict = "valid";
	cert_set_text(out->validation, sizeof(out->validation), verdict);
	/* RFC 5280 §4.1.2.5 counts the notAfter second as valid; OpenSSL's
	 * X509_cmp_time() does not (equal is expired), and the verdict follows
	 * OpenSSL, as every OpenSSL-based mail client does. So does the flag,
	 * so that the two never disagree. */
	out->expired = (uint8_t)(e->leaf && out->not_after <= ts);
	out->hostname_match = -1;
	out->hostname_source = CERT_NAME_NONE;
	if (name && name[0]) {
		cert_set_text(out->hostname_checked, sizeof(out->hostname_checked), name);
		out->hostname_source = (uint8_t)src;
		out->hostname_match = cert_check_name(e->leaf, name);
	}
}

/* ---- per-server memory ---- */

static void x509_remember(struct x509_ctx *c, const uint8_t server_key[18],
			  const uint8_t chain_key[32], const struct x509_verdict *v,
			  const uint8_t *der, size_t len)
{
	uint32_t i = x509_lru_find(&c->srv, server_key);
	if (i == NIL) {
		int evicted = 0;
		i = x509_lru_take(&c->srv, server_key, &evicted);
		if (evicted)
			c->k.server_evictions++;
	}
	struct x509_server *s = &c->srv_ent[i];
	s->known = 0;
	if (len > SERVER_LEAF_MAX) {
		c->k.server_skipped++;
		return;
	}
	if (s->cap < len) {
		uint8_t *p = mem_realloc(c->mem, s->der, s->cap, len);
		if (!p) {
			c->k.server_skipped++;
			return;
		}
		s->der = p;
		s->cap = len;
	}
	if (len)
		memcpy(s->der, der, len);
	s->len = len;
	memcpy(s->chain_key, chain_key, 32);
	s->v = *v;
	s->known = 1;
}

/* ---- API ---- */

static void x509_err(char *err, size_t errlen, const char *what, const char *arg)
{
	unsigned long e = ERR_peek_last_error();
	const char *why = e ? ERR_reason_error_string(e) : NULL;
	if (err && errlen)
		snprintf(err, errlen, "%s%s%s: %s", what, arg ? " " : "", arg ? arg : "",
			 why ? why : "failed");
	ERR_clear_error();
}

struct x509_ctx *x509_ctx_new(const struct x509_cfg *cfg, char *err, size_t errlen)
{
	struct mem tmp;
	struct x509_cfg none;
	memset(&tmp, 0, sizeof(tmp));
	memset(&none, 0, sizeof(none));
	if (!cfg)
		cfg = &none;
	struct mem *m = cfg->mem ? cfg->mem : &tmp;
	struct x509_ctx *c = mem_calloc(m, sizeof(*c));
	if (!c) {
		x509_err(err, errlen, "certificate analysis", NULL);
		return NULL;
	}
	if (cfg->mem) {
		c->mem = cfg->mem;
	} else {
		c->own_mem = tmp;
		c->mem = &c->own_mem;
	}
	uint32_t cache_max = cfg->cache_max ? cfg->cache_max : CACHE_DEFAULT;
	uint32_t max_servers = cfg->max_servers ? cfg->max_servers : SERVERS_DEFAULT;
	if (cache_max > CACHE_LIMIT)
		cache_max = CACHE_LIMIT;
	if (max_servers > CACHE_LIMIT)
		max_servers = CACHE_LIMIT;

	c->md = EVP_MD_CTX_new();
	if (!c->md) {
		x509_err(err, errlen, "certificate analysis", NULL);
		goto fail;
	}
	c->trust = cfg->trust;
	if (!c->trust) {
		c->own_trust = x509_trust_new(cfg, err, errlen);
		if (!c->own_trust)
			goto fail;
		c->trust = c->own_trust;
	}
	c->cache_max = cache_max;
	c->max_servers = max_servers;
	c->ent = mem_calloc(c->mem, (size_t)cache_max * sizeof(*c->ent));
	c->srv_ent = mem_calloc(c->mem, (size_t)max_servers * sizeof(*c->srv_ent));
	if (!c->ent || !c->srv_ent || x509_lru_init(c->mem, &c->cache, cache_max, 32) != 0 ||
	    x509_lru_init(c->mem, &c->srv, max_servers, 18) != 0) {
		if (err && errlen)
			snprintf(err, errlen, "certificate analysis: out of memory");
		goto fail;
	}
	ERR_clear_error();
	return c;
fail:
	ERR_clear_error();
	x509_ctx_free(c);
	return NULL;
}

void x509_ctx_free(struct x509_ctx *c)
{
	if (!c)
		return;
	if (c->ent) {
		for (uint32_t i = 0; i < c->cache.used; i++)
			X509_free(c->ent[i].leaf);
		mem_free(c->mem, c->ent, (size_t)c->cache_max * sizeof(*c->ent));
	}
	if (c->srv_ent) {
		for (uint32_t i = 0; i < c->srv.used; i++)
			mem_free(c->mem, c->srv_ent[i].der, c->srv_ent[i].cap);
		mem_free(c->mem, c->srv_ent, (size_t)c->max_servers * sizeof(*c->srv_ent));
	}
	x509_lru_free(c->mem, &c->cache);
	x509_lru_free(c->mem, &c->srv);
	x509_trust_free(c->own_trust);
	EVP_MD_CTX_free(c->md);
	if (c->mem == &c->own_mem) {
		/* The counters live in the block being freed: account on a copy. */
		struct mem m = c->own_mem;
		mem_free(&m, c, sizeof(*c));
	} else {
		mem_free(c->mem, c, sizeof(*c));
	}
}

void x509_ctx_stats(const struct x509_ctx *c, uint64_t *hits, uint64_t *misses)
{
	if (hits)
		*hits = c ? c->k.hits : 0;
	if (misses)
		*misses = c ? c->k.misses : 0;
}

void x509_ctx_counters(const struct x509_ctx *c, struct x509_counters *out)
{
	if (c)
		*out = c->k;
	else
		memset(out, 0, sizeof(*out));
}

void x509_analyze(struct x509_ctx *c, const struct tls_chain *chain, uint64_t ts_us,
		  const char *name, enum cert_name_src src, const uint8_t server_key[18],
		  struct cert_facts *out)
{
	struct x509_entry tmp, *e;
	uint8_t key[32];
	memset(out, 0, sizeof(*out));
	out->hostname_match = -1;
	if (!c || !chain || chain->n == 0)
		return;
	size_t n = chain->n < TLS_MAX_CHAIN ? chain->n : TLS_MAX_CHAIN;
	int keyed = x509_chain_key(c, chain, n, key) == 0;
	uint32_t i = keyed ? x509_lru_find(&c->cache, key) : NIL;
	if (i != NIL) {
		c->k.hits++;
		e = &c->ent[i];
	} else {
		c->k.misses++;
		x509_entry_from_chain(c, &tmp, chain, n);
		e = keyed ? x509_cache_put(c, key, &tmp) : &tmp;
	}
	x509_judge(e, ts_us, name, src, CERT_SRC_OBSERVED, out);
	if (server_key && keyed)
		x509_remember(c, server_key, key, &e->v, chain->der[0], chain->len[0]);
	if (e == &tmp)
		X509_free(tmp.leaf);
	ERR_clear_error();
}

void x509_infer(struct x509_ctx *c, const uint8_t server_key[18], uint64_t ts_us, const char *name,
		enum cert_name_src src, struct cert_facts *out)
{
	struct x509_entry tmp, *e;
	memset(out, 0, sizeof(*out));
	out->hostname_match = -1;
	if (!c || !server_key)
		return;
	uint32_t i = x509_lru_find(&c->srv, server_key);
	if (i == NIL || !c->srv_ent[i].known)
		return;
	const struct x509_server *s = &c->srv_ent[i];
	uint32_t j = x509_lru_find(&c->cache, s->chain_key);
	if (j != NIL) {
		e = &c->ent[j];
	} else {
		x509_entry_from_leaf(c, &tmp, s);
		e = x509_cache_put(c, s->chain_key, &tmp);
	}
	x509_judge(e, ts_us, name, src, CERT_SRC_INFERRED, out);
	/* Only the leaf is remembered: the chain's DANE digests, which a
	 * cached entry may still hold, are left out so that the facts never
	 * depend on the cache. */
	if (out->dane.n > 1) {
		memset(&out->dane.c[1], 0, sizeof(out->dane.c) - sizeof(out->dane.c[0]));
		out->dane.n = 1;
		out->dane.c[0].issued_by_next = 0;
	}
	ERR_clear_error();
}
