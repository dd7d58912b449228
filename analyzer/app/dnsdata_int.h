/* dnsdata_int.h — what the two files of the dnsdata module share: the
 * loaded data (dnsdata.c owns it) and the reader of the dig and JSON Lines
 * forms (dnsdata_text.c). Not an interface of the module: dnsdata.h is. */
#ifndef SMTPTLS_DNSDATA_INT_H
#define SMTPTLS_DNSDATA_INT_H

#include <stddef.h>
#include <stdint.h>

#include "analyzer/app/dnsdata.h"
#include "dissectors/base/cur.h"

#define DNSDATA_MAX_TOKENS 4096	  /* fields of one record (rdata split in chunks) */
#define DNSDATA_RDATA_MAX  65535u /* RFC 1035 §3.2.1 RDLENGTH */
#define DNSDATA_RAW	   2	  /* a field taken as it is, without escapes */

struct dnsdata_item {
	char *name;
	uint16_t type;
	uint16_t rdlength;
	uint8_t sec; /* enum dnsv_sec */
	uint32_t ttl;
	union {
		uint8_t addr[16];
		struct {
			uint16_t pref;
			char *host;
		} mx;
		char *target;
		struct dns_tlsa tlsa;
		struct {
			char *text;
			uint16_t len;
			uint8_t truncated;
		} txt;
	} u;
};

struct dnsdata_state {
	char *name;
	uint16_t type;
	uint8_t st, sec;
};

struct dnsdata_policy {
	char *domain;
	struct mtasts_policy pol;
};

struct dnsdata_sig {
	char *name;
	uint16_t type;
};

struct dnsdata {
	struct dnsdata_item *items;
	size_t nitems, capitems;
	struct dnsdata_state *states;
	size_t nstates, capstates;
	struct dnsdata_policy *pols;
	size_t npols, cappols;
	size_t skipped, secure;
};

/* A field of a record: a slice of the file, quoted or bare. */
struct dnsdata_tok {
	const uint8_t *p;
	size_t n;
	uint8_t quoted; /* 0 bare, 1 quoted, DNSDATA_RAW */
};

/* The state of one load. */
struct dnsdata_parse {
	struct dnsdata *d;
	const char *file;
	unsigned line; /* of the record being read */
	char *err;
	size_t errlen;
	struct dnsdata_tok *tok;
	size_t ntok;
	struct dnsdata_sig *sigs;
	size_t nsigs, capsigs;
	uint8_t *buf; /* DNSDATA_RDATA_MAX bytes: TLSA data, a TXT string */
};

/* "FILE:LINE: message" (or "FILE: message" when p->line is 0) into p->err;
 * returns -1. */
int dnsdata_perr(struct dnsdata_parse *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Makes room for one more element of size elem in *arr (capacity *cap,
 * n used). Returns 0 or -1. */
int dnsdata_grow(void **arr, size_t *cap, size_t n, size_t elem);

char *dnsdata_strdup(const char *s);

/* A domain name in presentation form, in the form of dns.h into out.
 * Returns its wire length, or -1 with the error set (what names it). */
int dnsdata_name(struct dnsdata_parse *p, const struct dnsdata_tok *t, char out[DNS_NAME_MAX],
		 const char *what);

/* The records of a file in the dig form / in JSON Lines, added to p->d;
 * RRSIGs collected in p->sigs. Return 0, or -1 with the error set. */
int dnsdata_read_dig(struct dnsdata_parse *p, struct cur *file);
int dnsdata_read_jsonl(struct dnsdata_parse *p, struct cur *file);

#endif
