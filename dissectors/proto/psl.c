/* psl.c — Public Suffix List rules in a sorted table, looked up by each
 * suffix of a name from the longest. */
#include "dissectors/proto/psl.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct psl {
	char **rules; /* lower case; "!x.y" exceptions and "*.y" wildcards as written */
	size_t n, cap;
};

static int psl_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static int psl_add(struct psl *p, const char *rule, size_t len)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 1024;
		char **r = realloc(p->rules, cap * sizeof(*r));
		if (!r)
			return -1;
		p->rules = r;
		p->cap = cap;
	}
	char *s = malloc(len + 1);
	if (!s)
		return -1;
	for (size_t i = 0; i < len; i++)
		s[i] = (char)tolower((unsigned char)rule[i]);
	s[len] = '\0';
	p->rules[p->n++] = s;
	return 0;
}

/* One line of the list: its first word is a rule, unless it is a comment. */
static int psl_line(struct psl *p, const char *line)
{
	while (*line == ' ' || *line == '\t')
		line++;
	if (line[0] == '\0' || line[0] == '\n' || line[0] == '\r' ||
	    (line[0] == '/' && line[1] == '/'))
		return 0;
	size_t len = strcspn(line, " \t\r\n");
	return len ? psl_add(p, line, len) : 0;
}

struct psl *psl_load(const char *path, char *err, size_t errlen)
{
	struct psl *p = calloc(1, sizeof(*p));
	FILE *f = fopen(path, "r");
	char line[1024];
	if (!p || !f) {
		snprintf(err, errlen, "%s: %s", path, p ? strerror(errno) : "out of memory");
		goto fail;
	}
	while (fgets(line, sizeof(line), f)) {
		if (psl_line(p, line) != 0) {
			snprintf(err, errlen, "%s: out of memory", path);
			goto fail;
		}
	}
	if (ferror(f) || p->n == 0) {
		snprintf(err, errlen, "%s: not a public suffix list", path);
		goto fail;
	}
	fclose(f);
	qsort(p->rules, p->n, sizeof(*p->rules), psl_cmp);
	return p;
fail:
	if (f)
		fclose(f);
	psl_free(p);
	return NULL;
}

void psl_free(struct psl *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->rules[i]);
	free(p->rules);
	free(p);
}

/* Whether the list holds prefix followed by text (lower-cased). */
static int psl_has(const struct psl *p, const char *prefix, const char *text)
{
	char key[300];
	int k = snprintf(key, sizeof(key), "%s%s", prefix, text);
	if (k < 0 || (size_t)k >= sizeof(key))
		return 0;
	for (char *c = key; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	const char *kp = key;
	return bsearch(&kp, p->rules, p->n, sizeof(*p->rules), psl_cmp) != NULL;
}

const char *psl_registrable(const struct psl *p, const char *name)
{
	size_t len = strlen(name);
	if (len == 0 || len > 253 || name[0] == '.' || name[len - 1] == '.' || strstr(name, ".."))
		return NULL;
	/* label starts, left to right */
	const char *starts[128];
	size_t n = 0;
	starts[n++] = name;
	for (const char *c = name; *c && n < 128; c++)
		if (*c == '.')
			starts[n++] = c + 1;
	/* the public suffix begins at label ps: the longest matching rule, an
	 * exception first; "*" (the last label) when none matches */
	size_t ps = n - 1;
	for (size_t i = 0; i < n; i++) {
		if (psl_has(p, "!", starts[i])) {
			ps = i + 1;
			break;
		}
		if (psl_has(p, "", starts[i]) || (i + 1 < n && psl_has(p, "*.", starts[i + 1]))) {
			ps = i;
			break;
		}
	}
	return ps >= 1 && ps <= n ? starts[ps - 1] : NULL;
}
