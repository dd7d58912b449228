/* tpl.h — a small, strict HTML template: the words and the markup of a page
 * live in the template, the program only supplies values.
 *
 * Syntax (a subset of Mustache, with stricter rules):
 *
 *   {{name}}             the text value `name`, HTML-escaped (& < > " ')
 *   {{&name}}            the markup value `name` as is; only a value set with
 *                        tpl_set_markup() may be inserted this way
 *   {{#name}}...{{/name}} a section: a flag shows its body once when on; a
 *                        list repeats its body once per row, with the row's
 *                        values in scope
 *   {{^name}}...{{/name}} the inverse: shown when the flag is off or the
 *                        list has no rows
 *   {{! words }}         a comment, not copied; the only tag that may span
 *                        lines
 *
 * Names are letters, digits and '_'. A name is looked up in the innermost
 * row first, then in the rows around it, then at the top. A line holding
 * nothing but one section, closing or comment tag (and blanks) is left out
 * of the output together with its line break, so tags may sit on their own
 * lines without adding blank lines to the page.
 *
 * Strictness: a template that does not parse (an unclosed tag, a bad name, a
 * section closed by another name or not at all, nesting deeper than
 * TPL_MAX_DEPTH) is refused before anything is written. While rendering, a
 * name that is not set, a text used as a section, or a flag or list used as
 * a value is an error, never an empty string. Names inside a hidden section
 * are not looked up, so a value that only a shown section needs may be left
 * unset.
 *
 * Ownership: struct tpl_data owns every value and row put into it (strings
 * are copied); a struct tpl_scope pointer is borrowed from its tpl_data and
 * valid until tpl_data_free(). Allocation failures are remembered in the
 * tpl_data and make tpl_render() fail, so the setters need no checks.
 */
#ifndef SMTPTLS_TPL_H
#define SMTPTLS_TPL_H

#include <stddef.h>
#include <stdio.h>

#define TPL_MAX_DEPTH 16

struct tpl_data;
struct tpl_scope;

/* A new, empty set of values; NULL when out of memory. */
struct tpl_data *tpl_data_new(void);

void tpl_data_free(struct tpl_data *d);

/* The top-level scope of d. */
struct tpl_scope *tpl_root(struct tpl_data *d);

/* Sets a text value (escaped when rendered); replaces an earlier value. */
void tpl_set(struct tpl_scope *s, const char *name, const char *text);

/* tpl_set() with a printf format. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
void tpl_setf(struct tpl_scope *s, const char *name, const char *fmt, ...);

/* Sets a markup value of len bytes, for {{&name}} (the caller vouches that
 * it is well-formed markup built from escaped text). */
void tpl_set_markup(struct tpl_scope *s, const char *name, const char *markup, size_t len);

/* Sets a flag (on when on != 0). */
void tpl_flag(struct tpl_scope *s, const char *name, int on);

/* Declares the list `name` with no rows, so that a list that stays empty can
 * still be tested with {{^name}}; adding rows declares it too. */
void tpl_list(struct tpl_scope *s, const char *name);

/* Appends a row to the list `name` and returns the row's scope, or NULL when
 * out of memory (later setters on NULL are ignored). */
struct tpl_scope *tpl_row(struct tpl_scope *s, const char *name);

/* Writes len bytes of text HTML-escaped, as {{name}} does: for markup values
 * that carry text. */
void tpl_escape(FILE *out, const char *s, size_t len);

/* Renders the template (len bytes, not NUL-terminated) with d's values into
 * out. Returns 0, or -1 with a message in err naming the offending tag and
 * its line; on an error during rendering part of the page may have been
 * written, so the caller discards it. */
int tpl_render(const char *tmpl, size_t len, const struct tpl_data *d, FILE *out, char *err,
	       size_t errlen);

/* tpl_render() for plain text rather than HTML (e.g. a chart title drawn by
 * gnuplot): {{name}} goes out unescaped. */
int tpl_render_text(const char *tmpl, size_t len, const struct tpl_data *d, FILE *out, char *err,
		    size_t errlen);

#endif
