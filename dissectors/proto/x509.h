/* x509.h — a server's certificate chain with OpenSSL: the trust store,
 * chain validation (RFC 5280 §6), the chain cache and the per-server memory.
 * The facts of the leaf itself (RFC 5280 fields, RFC 6125 host names,
 * RFC 6698 DANE 3 1 1 pins) are cert.h's.
 *
 * The TLS dissector hands the chain it saw (struct tls_chain, leaf first);
 * x509_analyze() reduces it to plain facts (struct cert_facts) judged at the
 * connection's capture time. Every certificate is parsed with d2i_X509();
 * OpenSSL objects are created, reduced to facts and freed, except the parsed
 * leaf kept in a cache entry for host-name checks (freed on eviction).
 *
 * Chain validation (X509_verify_cert) is the expensive part, so it runs once
 * per distinct chain, without time checks (X509_V_FLAG_NO_CHECK_TIME); the
 * time-dependent verdict is derived per connection from the validity window
 * kept in the cache entry. A result therefore never depends on the cache size
 * or on the order of connections, only on the chain, the trust store, the
 * capture time and the name (docs/certificates.md).
 *
 * Ownership: one struct x509_ctx per analysis engine (thread), created by
 * x509_ctx_new() and released by x509_ctx_free(); it owns the chain cache and
 * the per-server memory used by x509_infer(). The trust store is shared: a
 * struct x509_trust made once per run (x509_trust_new) serves every context
 * of the run, read-only once loaded; a context given none makes its own. The
 * system store is loaded the first time a chain is verified (a run that sees
 * no certificate in clear never pays for it); a CA file or path is loaded at
 * once, so that an unreadable one is reported before the analysis starts.
 * The context's own structures are allocated through cfg->mem (or a struct
 * mem of its own).
 */
#ifndef SMTPTLS_X509_H
#define SMTPTLS_X509_H

#include <stddef.h>
#include <stdint.h>

#include "dissectors/base/mem.h"
#include "dissectors/proto/cert.h"
#include "dissectors/proto/tls.h"

struct x509_cfg {
	const char *ca_file; /* PEM bundle of trust anchors, or NULL */
	const char *ca_path; /* hashed directory (c_rehash), or NULL */
	/* Neither given: the system store (X509_STORE_set_default_paths). */
	uint32_t cache_max;	  /* distinct chains cached; 0 = 1024 */
	uint32_t max_servers;	  /* servers remembered for x509_infer(); 0 = 4096 */
	struct mem *mem;	  /* allocation accounting; NULL = the context keeps its own */
	struct x509_trust *trust; /* shared trust store (borrowed), or NULL: the context
				   * loads its own from ca_file/ca_path/the system */
};

struct x509_ctx;
struct x509_trust;

/* The trust store of a run, from cfg's ca_file/ca_path or the system store.
 * NULL with a one-line message in err when a CA file or path cannot be
 * loaded or memory runs out. Thread-safe; free it after every context that
 * uses it. */
struct x509_trust *x509_trust_new(const struct x509_cfg *cfg, char *err, size_t errlen);
void x509_trust_free(struct x509_trust *t);

/* Counters of one context (monotonic). A server's leaf longer than 16 KiB
 * is not remembered for x509_infer() (server_skipped). */
struct x509_counters {
	uint64_t hits;		   /* x509_analyze() found the chain in the cache */
	uint64_t misses;	   /* ... verified it (and cached it) */
	uint64_t evictions;	   /* cache entries dropped to make room */
	uint64_t server_evictions; /* remembered servers dropped to make room */
	uint64_t server_skipped;   /* chains not remembered (leaf too long, no memory) */
	uint64_t unparsable;	   /* certificates d2i_X509() refused */
};

/* Builds a context. Returns NULL and writes a one-line message to err when
 * the CA file or path cannot be loaded or memory runs out. */
struct x509_ctx *x509_ctx_new(const struct x509_cfg *cfg, char *err, size_t errlen);
void x509_ctx_free(struct x509_ctx *c);

/* Cache hits and misses of x509_analyze() so far (either pointer may be NULL). */
void x509_ctx_stats(const struct x509_ctx *c, uint64_t *hits, uint64_t *misses);
void x509_ctx_counters(const struct x509_ctx *c, struct x509_counters *out);

/* Analyses an observed chain at capture time ts_us (microseconds since the
 * epoch) for host name `name` (NULL or "" when none; an IP literal is
 * checked against IP SANs). server_key is the 16-byte address and 2-byte
 * port of the server, or NULL; the chain is remembered for x509_infer().
 * chain->n == 0 gives out->present = 0. The DER bytes are not kept. */
void x509_analyze(struct x509_ctx *c, const struct tls_chain *chain, uint64_t ts_us,
		  const char *name, enum cert_name_src src, const uint8_t server_key[18],
		  struct cert_facts *out);

/* For a connection where no certificate was visible (TLS 1.3, resumption):
 * the chain last observed for this server, re-judged at ts_us for `name`,
 * with source = CERT_SRC_INFERRED; out->present = 0 when none is known. */
void x509_infer(struct x509_ctx *c, const uint8_t server_key[18], uint64_t ts_us, const char *name,
		enum cert_name_src src, struct cert_facts *out);

/* The validation name for an X509_V_ERR_* code ("valid" for X509_V_OK);
 * codes without a name of their own are "error_<n>" (written to buf). */
const char *x509_verr_name(int code, char *buf, size_t len);

#endif
