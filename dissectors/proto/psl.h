/* psl.h — the Public Suffix List (publicsuffix.org; Debian's publicsuffix
 * package installs it as /usr/share/publicsuffix/public_suffix_list.dat):
 * which part of a host name is its registrable domain, the public suffix
 * and one label more ("mx1.mail.example.co.uk" -> "example.co.uk").
 *
 * The rules of the list are applied as its format says: the matching rule
 * with the most labels wins, an exception rule ("!www.ck") wins over the
 * wildcard it excepts, and a name no rule matches has its last label as
 * its public suffix ("*"). Names are compared in ASCII lower case; rules in
 * Unicode (IDN) never match a name seen on the wire in A-label form.
 *
 * Ownership: psl_load() returns a list the caller frees with psl_free(). */
#ifndef SMTPTLS_PSL_H
#define SMTPTLS_PSL_H

#include <stddef.h>

#define PSL_DEFAULT_PATH "/usr/share/publicsuffix/public_suffix_list.dat"

struct psl;

/* Reads a list. NULL with a message in err when it cannot be read or holds
 * no rule. */
struct psl *psl_load(const char *path, char *err, size_t errlen);

void psl_free(struct psl *p);

/* The registrable domain of name: a pointer into name (a suffix of it), or
 * NULL when name is a public suffix itself, or has an empty label. */
const char *psl_registrable(const struct psl *p, const char *name);

#endif
