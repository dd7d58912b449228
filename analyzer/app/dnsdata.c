/* dnsdata.c — DNS data and MTA-STS policies given to a run (dnsdata.h):
 * reading the files, the policy directory, and handing the data to a view.
 * The records themselves are read by dnsdata_text.c.
 */
#include "analyzer/app/dnsdata.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyzer/app/dnsdata_int.h"

int dnsdata_perr(struct dnsdata_parse *p, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->line)
		snprintf(p->err, p->errlen, "%s:%u: %s", p->file, p->line, msg);
	else
		snprintf(p->err, p->errlen, "%s: %s", p->file, msg);
	return -1;
}

/* Makes room for one more element of size elem in *arr. */
int dnsdata_grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 64;
	if (nc > SIZE_MAX / elem)
		return -1;
	void *na = realloc(*arr, nc * elem);
	if (na == NULL)
		return -1;
	*arr = na;
	*cap = nc;
	return 0;
}

char *dnsdata_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}

static int sig_cmp(const void *a, const void *b)
{
	const struct dnsdata_sig *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : (int)x->type - (int)y->type;
}

/* Records whose RRset an RRSIG covers are secure. */
static void mark_secure(struct dnsdata_parse *p)
{
	struct dnsdata *d = p->d;
	if (p->nsigs)
		qsort(p->sigs, p->nsigs, sizeof(*p->sigs), sig_cmp);
	for (size_t i = 0; i < d->nitems; i++) {
		struct dnsdata_sig key = {d->items[i].name, d->items[i].type};
		if (p->nsigs && bsearch(&key, p->sigs, p->nsigs, sizeof(*p->sigs), sig_cmp))
			d->items[i].sec = DNSV_SEC_SECURE;
		if (d->items[i].sec == DNSV_SEC_SECURE)
			d->secure++;
	}
}

/* Reads a whole regular file of at most max bytes into *out (malloc'd,
 * NUL-terminated for jansson's sake). */
static int read_file(struct dnsdata_parse *p, const char *path, size_t max, uint8_t **out,
		     size_t *len)
{
	struct stat st;
	size_t n = 0;
	uint8_t *buf = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	p->line = 0;
	if (fd < 0)
		return dnsdata_perr(p, "%s", strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		dnsdata_perr(p, "not a regular file");
		goto fail;
	}
	if ((uint64_t)st.st_size > max) {
		dnsdata_perr(p, "larger than %zu bytes", max);
		goto fail;
	}
	buf = malloc((size_t)st.st_size + 2);
	if (buf == NULL) {
		dnsdata_perr(p, "out of memory");
		goto fail;
	}
	for (;;) {
		ssize_t r = read(fd, buf + n, (size_t)st.st_size + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			dnsdata_perr(p, "%s", strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > (size_t)st.st_size) {
			dnsdata_perr(p, "changed while being read");
			goto fail;
		}
	}
	buf[n] = '\0';
	close(fd);
	*out = buf;
	*len = n;
	return 0;
fail:
	free(buf);
	close(fd);
	return -1;
}

static int read_dns_file(struct dnsdata_parse *p, const char *path)
{
	uint8_t *buf = NULL;
	size_t n = 0, b = 0;
	p->file = path;
	if (read_file(p, path, DNSDATA_FILE_MAX, &buf, &n) != 0)
		return -1;
	while (b < n && (buf[b] == ' ' || buf[b] == '\t' || buf[b] == '\r' || buf[b] == '\n'))
		b++;
	struct cur file = cur_make(buf, n);
	int rc = b < n && buf[b] == '{' ? dnsdata_read_jsonl(p, &file) : dnsdata_read_dig(p, &file);
	free(buf);
	if (rc != 0)
		return -1;
	mark_secure(p);
	p->line = 0;
	if (p->d->nitems == 0 && p->d->nstates == 0)
		return dnsdata_perr(p,
				    "no records of the types used (A, AAAA, CNAME, MX, TXT, TLSA)");
	return 0;
}

/* By name without case, then with case: the order of the domains, and
 * names of the same domain side by side. */
static int str_cmp(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	int c = strcasecmp(x, y);
	return c ? c : strcmp(x, y);
}

/* One policy file, DIR/<domain>. */
static int read_policy(struct dnsdata_parse *p, const char *dir, const char *entry)
{
	char path[4096], domain[DNS_NAME_MAX], why[96];
	struct dnsdata_tok t = {(const uint8_t *)entry, strlen(entry), 0};
	uint8_t *buf = NULL;
	size_t n;
	unsigned bad;
	p->file = path;
	p->line = 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, entry) >= sizeof(path)) {
		p->file = entry;
		return dnsdata_perr(p, "path too long");
	}
	for (size_t i = 0; i < t.n; i++)
		if (!(entry[i] == '.' || entry[i] == '-' || (entry[i] >= '0' && entry[i] <= '9') ||
		      (entry[i] >= 'a' && entry[i] <= 'z') || (entry[i] >= 'A' && entry[i] <= 'Z')))
			return dnsdata_perr(
				p, "not a domain name (a policy file is named by its domain)");
	/* A domain of at least two labels, the file name as it is. */
	if (strchr(entry, '.') == NULL || entry[t.n - 1] == '.' ||
	    dnsdata_name(p, &t, domain, "file name") < 0)
		return dnsdata_perr(p, "not a domain name (a policy file is named by its domain)");
	/* Names differing only in case are adjacent (str_cmp). */
	if (p->d->npols && strcmp(p->d->pols[p->d->npols - 1].domain, domain) == 0)
		return dnsdata_perr(p, "a second policy for %s", domain);
	if (read_file(p, path, DNSDATA_POLICY_MAX, &buf, &n) != 0)
		return -1;
	struct dnsdata *d = p->d;
	if (dnsdata_grow((void **)&d->pols, &d->cappols, d->npols, sizeof(*d->pols)) != 0) {
		free(buf);
		return dnsdata_perr(p, "out of memory");
	}
	struct dnsdata_policy *pol = &d->pols[d->npols];
	int rc = mtasts_policy_parse(buf, n, &pol->pol, &bad, why, sizeof(why));
	free(buf);
	if (rc != 0) {
		p->line = bad;
		return dnsdata_perr(p, "%s", why);
	}
	pol->domain = dnsdata_strdup(domain);
	if (pol->domain == NULL)
		return dnsdata_perr(p, "out of memory");
	d->npols++;
	return 0;
}

/* Every file of the directory but those whose name starts with '.', in
 * the order of their names. */
static int read_policy_dir(struct dnsdata_parse *p, const char *dir)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = -1;
	struct dirent *e;
	DIR *dh = opendir(dir);
	p->file = dir;
	p->line = 0;
	if (dh == NULL)
		return dnsdata_perr(p, "%s", strerror(errno));
	while ((e = readdir(dh)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (dnsdata_grow((void **)&names, &cap, n, sizeof(*names)) != 0 ||
		    (names[n] = dnsdata_strdup(e->d_name)) == NULL) {
			dnsdata_perr(p, "out of memory");
			goto done;
		}
		n++;
	}
	if (n)
		qsort(names, n, sizeof(*names), str_cmp);
	rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = read_policy(p, dir, names[i]);
	if (rc == 0 && n == 0) {
		p->file = dir;
		rc = dnsdata_perr(p, "no policy files");
	}
done:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(dh);
	return rc;
}

struct dnsdata *dnsdata_load(const char *dns_file, const char *policy_dir, char *err, size_t errlen)
{
	struct dnsdata_parse p;
	memset(&p, 0, sizeof(p));
	p.err = err;
	p.errlen = errlen;
	p.file = dns_file ? dns_file : "";
	if (errlen)
		err[0] = '\0';
	p.d = calloc(1, sizeof(*p.d));
	p.tok = malloc(DNSDATA_MAX_TOKENS * sizeof(*p.tok));
	p.buf = malloc(DNSDATA_RDATA_MAX);
	if (p.d == NULL || p.tok == NULL || p.buf == NULL) {
		dnsdata_perr(&p, "out of memory");
		goto fail;
	}
	if (dns_file && read_dns_file(&p, dns_file) != 0)
		goto fail;
	if (policy_dir && read_policy_dir(&p, policy_dir) != 0)
		goto fail;
	goto done;
fail:
	dnsdata_free(p.d);
	p.d = NULL;
done:
	for (size_t i = 0; i < p.nsigs; i++)
		free(p.sigs[i].name);
	free(p.sigs);
	free(p.tok);
	free(p.buf);
	return p.d;
}

/* Item i as the view takes it. */
static void item_rr(const struct dnsdata_item *it, struct dns_rr *rr)
{
	memset(rr, 0, sizeof(*rr));
	rr->section = DNS_SEC_ANSWER;
	snprintf(rr->name, sizeof(rr->name), "%s", it->name);
	rr->type = it->type;
	rr->cls = 1;
	rr->ttl = it->ttl;
	rr->rdlength = it->rdlength;
	switch (it->type) {
	case DNS_T_A:
	case DNS_T_AAAA: memcpy(rr->u.addr, it->u.addr, sizeof(rr->u.addr)); break;
	case DNS_T_MX:
		rr->u.mx.pref = it->u.mx.pref;
		snprintf(rr->u.mx.host, sizeof(rr->u.mx.host), "%s", it->u.mx.host);
		break;
	case DNS_T_CNAME: snprintf(rr->u.target, sizeof(rr->u.target), "%s", it->u.target); break;
	case DNS_T_TLSA: rr->u.tlsa = it->u.tlsa; break;
	case DNS_T_TXT:
		snprintf(rr->u.txt.text, sizeof(rr->u.txt.text), "%s", it->u.txt.text);
		rr->u.txt.len = it->u.txt.len;
		rr->u.txt.truncated = it->u.txt.truncated;
		break;
	default: break;
	}
}

int dnsdata_apply(const struct dnsdata *d, struct dnsview *v)
{
	struct dns_rr rr;
	for (size_t i = 0; i < d->nitems; i++) {
		item_rr(&d->items[i], &rr);
		if (dnsview_put(v, &rr, (enum dnsv_sec)d->items[i].sec) != 0)
			return -1;
	}
	for (size_t i = 0; i < d->nstates; i++) {
		const struct dnsdata_state *s = &d->states[i];
		if (dnsview_put_state(v, s->name, s->type, (enum dnsv_state)s->st,
				      (enum dnsv_sec)s->sec) != 0)
			return -1;
	}
	for (size_t i = 0; i < d->npols; i++)
		if (dnsview_put_policy(v, d->pols[i].domain, &d->pols[i].pol) != 0)
			return -1;
	return 0;
}

size_t dnsdata_count(const struct dnsdata *d, enum dnsdata_what w)
{
	switch (w) {
	case DNSDATA_RECORDS: return d->nitems;
	case DNSDATA_SECURE: return d->secure;
	case DNSDATA_SKIPPED: return d->skipped;
	case DNSDATA_STATES: return d->nstates;
	case DNSDATA_POLICIES: return d->npols;
	}
	return 0;
}

int dnsdata_record(const struct dnsdata *d, size_t i, struct dns_rr *rr, enum dnsv_sec *sec)
{
	if (i >= d->nitems)
		return -1;
	item_rr(&d->items[i], rr);
	*sec = (enum dnsv_sec)d->items[i].sec;
	return 0;
}

int dnsdata_state(const struct dnsdata *d, size_t i, const char **name, uint16_t *type,
		  enum dnsv_state *st, enum dnsv_sec *sec)
{
	if (i >= d->nstates)
		return -1;
	*name = d->states[i].name;
	*type = d->states[i].type;
	*st = (enum dnsv_state)d->states[i].st;
	*sec = (enum dnsv_sec)d->states[i].sec;
	return 0;
}

const struct mtasts_policy *dnsdata_policy(const struct dnsdata *d, size_t i, const char **domain)
{
	if (i >= d->npols)
		return NULL;
	*domain = d->pols[i].domain;
	return &d->pols[i].pol;
}

void dnsdata_free(struct dnsdata *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->nitems; i++) {
		struct dnsdata_item *it = &d->items[i];
		free(it->name);
		if (it->type == DNS_T_MX)
			free(it->u.mx.host);
		else if (it->type == DNS_T_CNAME)
			free(it->u.target);
		else if (it->type == DNS_T_TXT)
			free(it->u.txt.text);
	}
	for (size_t i = 0; i < d->nstates; i++)
		free(d->states[i].name);
	for (size_t i = 0; i < d->npols; i++)
		free(d->pols[i].domain);
	free(d->items);
	free(d->states);
	free(d->pols);
	free(d);
}
