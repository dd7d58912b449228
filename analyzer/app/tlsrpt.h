/* tlsrpt.h — `smtptls tlsrpt`: SMTP TLS Reporting (RFC 8460) aggregate
 * reports from connection records, for a sending organisation whose MTA
 * cannot write them itself (docs/tlsrpt.md).
 *
 * Reads connection records (JSON Lines, as `smtptls analyze --sessions`
 * writes them), keeps the outbound connections to the MX hosts of a policy
 * domain (the record's `dns` facts), judges each under the policies that
 * applied to it (DANE TLSA, MTA-STS, or none found) and writes one report
 * per policy domain and UTC day into a folder, in RFC 8460 §4.4's JSON,
 * gzip-compressed and named as §5.1 says, with DIR/index.json listing each
 * domain's reports and the `rua` it publishes.
 *
 * The output is a function of the records alone: the report-id and the
 * file's unique-id are derived from the report's content, the gzip header
 * carries no time and no file name.
 *
 * Memory: plain malloc and jansson (a command over files, not the analysis
 * path); everything is freed before tlsrpt_run returns.
 */
#ifndef SMTPTLS_TLSRPT_H
#define SMTPTLS_TLSRPT_H

#include <stddef.h>
#include <stdio.h>

struct tlsrpt_cfg {
	const char *org;     /* organization-name */
	const char *contact; /* contact-info: an e-mail address; its domain names the files */
	const char *outdir;  /* the folder written (created when missing) */
};

/* Reads the record files (a path, or "-" for standard input) and writes the
 * reports. Messages go to err. Returns 0, 1 when an input could not be read
 * fully (a line that is not a JSON object; the reports of the rest are
 * written), or 2 for a usage or output error. */
int tlsrpt_run(const struct tlsrpt_cfg *cfg, char *const *inputs, int ninputs, FILE *err);

/* The domain of an address such as "tlsrpt@example.com" ("example.com"),
 * checked to be a host name (letters, digits, '-', '.', '_'; no empty
 * label), or NULL. The result points into addr. */
const char *tlsrpt_contact_domain(const char *addr);

/* gzip (RFC 1952) of len bytes: no file name, modification time 0, so the
 * same input always gives the same bytes. Returns 0 with *out (malloc'd,
 * the caller frees) and *outlen set, or -1. */
int tlsrpt_gzip(const void *in, size_t len, unsigned char **out, size_t *outlen);

#endif
