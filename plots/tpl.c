/* tpl.c — the page template: values, parsing and rendering (see tpl.h). */
#include "plots/tpl.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum tpl_kind { TPL_TEXT, TPL_MARKUP, TPL_FLAG, TPL_LIST };

struct tpl_entry {
	char *name;
	enum tpl_kind kind;
	char *text; /* TPL_TEXT, TPL_MARKUP */
	size_t len;
	int on;			 /* TPL_FLAG */
	struct tpl_scope **rows; /* TPL_LIST */
	size_t nrows, caprows;
};

struct tpl_scope {
	struct tpl_data *data;
	struct tpl_entry *e;
	size_t n, cap;
};

struct tpl_data {
	struct tpl_scope root;
	int oom; /* an allocation failed: rendering is refused */
};

/* ---- values ------------------------------------------------------------ */

struct tpl_data *tpl_data_new(void)
{
	struct tpl_data *d = calloc(1, sizeof(*d));
	if (d)
		d->root.data = d;
	return d;
}

static void tpl_scope_clear(struct tpl_scope *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct tpl_entry *e = &s->e[i];
		for (size_t r = 0; r < e->nrows; r++) {
			tpl_scope_clear(e->rows[r]);
			free(e->rows[r]);
		}
		free(e->rows);
		free(e->text);
		free(e->name);
	}
	free(s->e);
	s->e = NULL;
	s->n = s->cap = 0;
}

void tpl_data_free(struct tpl_data *d)
{
	if (!d)
		return;
	tpl_scope_clear(&d->root);
	free(d);
}

struct tpl_scope *tpl_root(struct tpl_data *d)
{
	return d ? &d->root : NULL;
}

/* The entry `name` of s, created (as an unset flag) when missing; its old
 * value is dropped when kind differs or is a value. NULL when out of memory. */
static struct tpl_entry *tpl_entry(struct tpl_scope *s, const char *name, enum tpl_kind kind)
{
	for (size_t i = 0; i < s->n; i++) {
		struct tpl_entry *e = &s->e[i];
		if (strcmp(e->name, name) != 0)
			continue;
		if (e->kind == TPL_LIST && kind == TPL_LIST)
			return e;
		free(e->text);
		e->text = NULL;
		for (size_t r = 0; r < e->nrows; r++) {
			tpl_scope_clear(e->rows[r]);
			free(e->rows[r]);
		}
		free(e->rows);
		e->rows = NULL;
		e->nrows = e->caprows = 0;
		e->kind = kind;
		return e;
	}
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 16;
		struct tpl_entry *ne = realloc(s->e, ncap * sizeof(*ne));
		if (!ne)
			goto fail;
		s->e = ne;
		s->cap = ncap;
	}
	struct tpl_entry *e = &s->e[s->n];
	memset(e, 0, sizeof(*e));
	e->name = strdup(name);
	if (!e->name)
		goto fail;
	e->kind = kind;
	s->n++;
	return e;
fail:
	s->data->oom = 1;
	return NULL;
}

static void tpl_set_bytes(struct tpl_scope *s, const char *name, enum tpl_kind kind,
			  const char *bytes, size_t len)
{
	if (!s)
		return;
	struct tpl_entry *e = tpl_entry(s, name, kind);
	if (!e)
		return;
	e->text = malloc(len + 1);
	if (!e->text) {
		s->data->oom = 1;
		e->len = 0;
		return;
	}
	memcpy(e->text, bytes, len);
	e->text[len] = '\0';
	e->len = len;
}

void tpl_set(struct tpl_scope *s, const char *name, const char *text)
{
	tpl_set_bytes(s, name, TPL_TEXT, text, strlen(text));
}

void tpl_setf(struct tpl_scope *s, const char *name, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		if (s)
			s->data->oom = 1;
		return;
	}
	tpl_set_bytes(s, name, TPL_TEXT, buf, (size_t)n);
}

void tpl_set_markup(struct tpl_scope *s, const char *name, const char *markup, size_t len)
{
	tpl_set_bytes(s, name, TPL_MARKUP, markup, len);
}

void tpl_flag(struct tpl_scope *s, const char *name, int on)
{
	struct tpl_entry *e = s ? tpl_entry(s, name, TPL_FLAG) : NULL;
	if (e)
		e->on = on != 0;
}

void tpl_list(struct tpl_scope *s, const char *name)
{
	if (s)
		tpl_entry(s, name, TPL_LIST);
}

struct tpl_scope *tpl_row(struct tpl_scope *s, const char *name)
{
	struct tpl_entry *e = s ? tpl_entry(s, name, TPL_LIST) : NULL;
	if (!e)
		return NULL;
	if (e->nrows == e->caprows) {
		size_t ncap = e->caprows ? e->caprows * 2 : 8;
		struct tpl_scope **nr = realloc(e->rows, ncap * sizeof(*nr));
		if (!nr)
			goto fail;
		e->rows = nr;
		e->caprows = ncap;
	}
	struct tpl_scope *row = calloc(1, sizeof(*row));
	if (!row)
		goto fail;
	row->data = s->data;
	e->rows[e->nrows++] = row;
	return row;
fail:
	s->data->oom = 1;
	return NULL;
}

/* ---- parsing ------------------------------------------------------------ */

enum tpl_tok { TOK_TEXT, TOK_VALUE, TOK_MARKUP, TOK_SECTION, TOK_INVERTED, TOK_CLOSE };

struct tpl_token {
	enum tpl_tok kind;
	const char *p; /* the text, or the name */
	size_t len;
	size_t end;    /* TOK_SECTION, TOK_INVERTED: index of the closing token */
	unsigned line; /* line of the tag in the template */
};

struct tpl_parse {
	const char *t;
	size_t len;
	struct tpl_token *tok;
	size_t n, cap;
	size_t open[TPL_MAX_DEPTH]; /* indexes of the sections still open */
	size_t depth;
	char *err;
	size_t errlen;
};

static int tpl_push(struct tpl_parse *ps, enum tpl_tok kind, const char *p, size_t len,
		    unsigned line)
{
	if (kind == TOK_TEXT && len == 0)
		return 0;
	if (ps->n == ps->cap) {
		size_t ncap = ps->cap ? ps->cap * 2 : 256;
		struct tpl_token *nt = realloc(ps->tok, ncap * sizeof(*nt));
		if (!nt) {
			snprintf(ps->err, ps->errlen, "out of memory");
			return -1;
		}
		ps->tok = nt;
		ps->cap = ncap;
	}
	struct tpl_token *k = &ps->tok[ps->n++];
	k->kind = kind;
	k->p = p;
	k->len = len;
	k->end = 0;
	k->line = line;
	return 0;
}

static int tpl_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int tpl_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* Checks and records the tag between `{{` and `}}` (body, len bytes). */
static int tpl_tag(struct tpl_parse *ps, const char *body, size_t len, unsigned line)
{
	char sigil = len ? body[0] : '\0';
	enum tpl_tok kind = TOK_VALUE;
	switch (sigil) {
	case '!': return 0;
	case '&': kind = TOK_MARKUP; break;
	case '#': kind = TOK_SECTION; break;
	case '^': kind = TOK_INVERTED; break;
	case '/': kind = TOK_CLOSE; break;
	default: break;
	}
	size_t a = kind == TOK_VALUE ? 0 : 1, b = len;
	while (a < b && tpl_blank(body[a]))
		a++;
	while (b > a && tpl_blank(body[b - 1]))
		b--;
	if (a == b) {
		snprintf(ps->err, ps->errlen, "template line %u: a tag without a name", line);
		return -1;
	}
	for (size_t i = a; i < b; i++) {
		if (!tpl_name_char(body[i])) {
			snprintf(ps->err, ps->errlen, "template line %u: bad name in {{%.*s}}",
				 line, (int)(len > 60 ? 60 : len), body);
			return -1;
		}
	}
	const char *name = body + a;
	size_t nlen = b - a;
	if (kind == TOK_CLOSE) {
		if (ps->depth == 0) {
			snprintf(ps->err, ps->errlen, "template line %u: {{/%.*s}} closes nothing",
				 line, (int)nlen, name);
			return -1;
		}
		struct tpl_token *o = &ps->tok[ps->open[ps->depth - 1]];
		if (o->len != nlen || memcmp(o->p, name, nlen) != 0) {
			snprintf(ps->err, ps->errlen,
				 "template line %u: {{/%.*s}} closes {{%c%.*s}} of line %u", line,
				 (int)nlen, name, o->kind == TOK_SECTION ? '#' : '^', (int)o->len,
				 o->p, o->line);
			return -1;
		}
		o->end = ps->n;
		ps->depth--;
	} else if (kind == TOK_SECTION || kind == TOK_INVERTED) {
		if (ps->depth == TPL_MAX_DEPTH) {
			snprintf(ps->err, ps->errlen, "template line %u: sections nested too deep",
				 line);
			return -1;
		}
		ps->open[ps->depth++] = ps->n;
	}
	return tpl_push(ps, kind, name, nlen, line);
}

/* Whether the tag at [i, j) stands alone on its line; then *from is where its
 * line starts and *to is past its line break. */
static int tpl_standalone(const struct tpl_parse *ps, size_t i, size_t j, size_t *from, size_t *to)
{
	const char *t = ps->t;
	char sigil = t[i + 2];
	if (sigil != '#' && sigil != '^' && sigil != '/' && sigil != '!')
		return 0;
	size_t a = i, b = j;
	while (a > 0 && tpl_blank(t[a - 1]))
		a--;
	if (a > 0 && t[a - 1] != '\n')
		return 0;
	while (b < ps->len && tpl_blank(t[b]))
		b++;
	if (b < ps->len && t[b] == '\r' && b + 1 < ps->len && t[b + 1] == '\n')
		b++;
	if (b < ps->len && t[b] != '\n')
		return 0;
	*from = a;
	*to = b < ps->len ? b + 1 : b;
	return 1;
}

static int tpl_parse(struct tpl_parse *ps)
{
	size_t pos = 0;
	unsigned line = 1;
	const char *t = ps->t;
	while (pos < ps->len) {
		const char *open = NULL;
		for (size_t i = pos; i + 1 < ps->len; i++) {
			if (t[i] == '{' && t[i + 1] == '{') {
				open = t + i;
				break;
			}
		}
		if (!open) {
			if (tpl_push(ps, TOK_TEXT, t + pos, ps->len - pos, line) != 0)
				return -1;
			break;
		}
		size_t i = (size_t)(open - t);
		for (size_t k = pos; k < i; k++)
			line += t[k] == '\n';
		/* Only a comment may span lines. */
		int comment = i + 2 < ps->len && t[i + 2] == '!';
		const char *close = NULL;
		for (size_t k = i + 2; k + 1 < ps->len && (comment || t[k] != '\n'); k++) {
			if (t[k] == '}' && t[k + 1] == '}') {
				close = t + k;
				break;
			}
		}
		if (!close) {
			snprintf(ps->err, ps->errlen, "template line %u: {{ without }}", line);
			return -1;
		}
		size_t j = (size_t)(close - t) + 2, from = i, to = j;
		tpl_standalone(ps, i, j, &from, &to);
		if (tpl_push(ps, TOK_TEXT, t + pos, from - pos, line) != 0 ||
		    tpl_tag(ps, open + 2, (size_t)(close - open) - 2, line) != 0)
			return -1;
		for (size_t k = i; k < to; k++)
			line += t[k] == '\n';
		pos = to;
	}
	if (ps->depth) {
		const struct tpl_token *o = &ps->tok[ps->open[ps->depth - 1]];
		snprintf(ps->err, ps->errlen, "template line %u: {{%c%.*s}} is never closed",
			 o->line, o->kind == TOK_SECTION ? '#' : '^', (int)o->len, o->p);
		return -1;
	}
	return 0;
}

/* ---- rendering ------------------------------------------------------------ */

struct tpl_run {
	const struct tpl_token *tok;
	const struct tpl_scope *scope[TPL_MAX_DEPTH + 1]; /* innermost last */
	size_t depth;
	FILE *out;
	int plain; /* text values go out unescaped (tpl_render_text) */
	char *err;
	size_t errlen;
};

static const struct tpl_entry *tpl_lookup(const struct tpl_run *r, const struct tpl_token *k)
{
	for (size_t d = r->depth; d-- > 0;) {
		const struct tpl_scope *s = r->scope[d];
		for (size_t i = 0; i < s->n; i++)
			if (strlen(s->e[i].name) == k->len &&
			    memcmp(s->e[i].name, k->p, k->len) == 0)
				return &s->e[i];
	}
	return NULL;
}

static int tpl_fail(struct tpl_run *r, const struct tpl_token *k, const char *why)
{
	snprintf(r->err, r->errlen, "template line %u: %.*s: %s", k->line, (int)k->len, k->p, why);
	return -1;
}

void tpl_escape(FILE *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		switch (s[i]) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default: fputc(s[i], out);
		}
	}
}

static int tpl_run_range(struct tpl_run *r, size_t a, size_t b);

static int tpl_run_section(struct tpl_run *r, size_t at)
{
	const struct tpl_token *k = &r->tok[at];
	const struct tpl_entry *e = tpl_lookup(r, k);
	if (!e)
		return tpl_fail(r, k, "not set");
	if (e->kind == TPL_TEXT || e->kind == TPL_MARKUP)
		return tpl_fail(r, k, "a value, not a flag or a list");
	int inverted = k->kind == TOK_INVERTED;
	if (e->kind == TPL_FLAG) {
		if (e->on == inverted)
			return 0;
		return tpl_run_range(r, at + 1, k->end);
	}
	if (inverted)
		return e->nrows ? 0 : tpl_run_range(r, at + 1, k->end);
	for (size_t i = 0; i < e->nrows; i++) {
		r->scope[r->depth++] = e->rows[i];
		int rc = tpl_run_range(r, at + 1, k->end);
		r->depth--;
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int tpl_run_range(struct tpl_run *r, size_t a, size_t b)
{
	for (size_t i = a; i < b; i++) {
		const struct tpl_token *k = &r->tok[i];
		const struct tpl_entry *e;
		switch (k->kind) {
		case TOK_TEXT: fwrite(k->p, 1, k->len, r->out); break;
		case TOK_VALUE:
		case TOK_MARKUP:
			e = tpl_lookup(r, k);
			if (!e)
				return tpl_fail(r, k, "not set");
			if (e->kind == TPL_MARKUP && k->kind == TOK_MARKUP)
				fwrite(e->text, 1, e->len, r->out);
			else if (e->kind == TPL_TEXT && k->kind == TOK_VALUE && r->plain)
				fwrite(e->text, 1, e->len, r->out);
			else if (e->kind == TPL_TEXT && k->kind == TOK_VALUE)
				tpl_escape(r->out, e->text, e->len);
			else if (e->kind == TPL_TEXT || e->kind == TPL_MARKUP)
				return tpl_fail(r, k,
						k->kind == TOK_MARKUP
							? "text, not markup: write {{name}}"
							: "markup, not text: write {{&name}}");
			else
				return tpl_fail(r, k, "a flag or a list, not a value");
			break;
		case TOK_SECTION:
		case TOK_INVERTED:
			if (tpl_run_section(r, i) != 0)
				return -1;
			i = k->end;
			break;
		case TOK_CLOSE: break;
		}
	}
	return 0;
}

static int tpl_render_mode(const char *tmpl, size_t len, const struct tpl_data *d, FILE *out,
			   int plain, char *err, size_t errlen)
{
	struct tpl_parse ps;
	memset(&ps, 0, sizeof(ps));
	ps.t = tmpl;
	ps.len = len;
	ps.err = err;
	ps.errlen = errlen;
	int rc = -1;
	if (!d || d->oom) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (tpl_parse(&ps) != 0)
		goto fail;
	struct tpl_run r;
	memset(&r, 0, sizeof(r));
	r.tok = ps.tok;
	r.scope[0] = &d->root;
	r.depth = 1;
	r.out = out;
	r.plain = plain;
	r.err = err;
	r.errlen = errlen;
	rc = tpl_run_range(&r, 0, ps.n);
fail:
	free(ps.tok);
	return rc;
}

int tpl_render(const char *tmpl, size_t len, const struct tpl_data *d, FILE *out, char *err,
	       size_t errlen)
{
	return tpl_render_mode(tmpl, len, d, out, 0, err, errlen);
}

int tpl_render_text(const char *tmpl, size_t len, const struct tpl_data *d, FILE *out, char *err,
		    size_t errlen)
{
	return tpl_render_mode(tmpl, len, d, out, 1, err, errlen);
}
