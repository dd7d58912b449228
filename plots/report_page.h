/* report_page.h — the page of `smtptls report`: the figures of a snapshot
 * put into the page template.
 *
 * The words and the markup are in plots/template.html (embedded in the
 * binary at build time); this module only computes the values the template
 * names: counts, shares, dates, flags saying which sentence or table
 * applies, and the table rows. Chart texts (title, caption, denominator)
 * come from report_charts_prepare(), which renders them, and the labels of
 * the charts' data files, from the same template through the functions at
 * the end of this header.
 */
#ifndef SMTPTLS_REPORT_PAGE_H
#define SMTPTLS_REPORT_PAGE_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "plots/report_charts.h"

/* What the page is made from; everything is borrowed. */
struct report_page {
	json_t *snap;
	const char *title;		   /* --title, or NULL for the default from the span */
	const char *input;		   /* the snapshot's path; the footer names its file */
	const struct report_chart *charts; /* REPORT_NCHARTS, in page order */
	const char *const *svg;		   /* per chart the drawn SVG file, or NULL */
	int no_gnuplot;			   /* gnuplot could not be started */
};

/* Writes the page into out. Returns 0, or -1 with a message in err (out of
 * memory, or a template that does not fit the values). */
int report_page_write(const struct report_page *p, FILE *out, char *err, size_t errlen);

struct tpl_data;
struct tpl_scope;

/* Sets n with thousands separators as `name`, and the flag `name`_one (n is
 * 1), the way the template expects every count. */
void report_page_num(struct tpl_scope *s, const char *name, long long n);

/* Renders one chart text (the chart_text section of the template; the flags
 * in d say which chart and which text) as plain text into buf, without its
 * final line break. Returns 0, or -1 with a message in err. */
int report_page_chart_text(struct tpl_data *d, char *buf, size_t len, char *err, size_t errlen);

/* The labels of the charts' data files (the chart_labels section of the
 * template): key[i] is shown as label[i]. Ownership: all strings point into
 * text, which the struct owns. */
struct report_labels {
	char *text;
	char **key, **label;
	size_t n;
};

/* Renders and splits the labels. Returns 0, or -1 with a message in err. */
int report_page_labels(struct report_labels *l, char *err, size_t errlen);

/* The label of key, or NULL when the template has none. */
const char *report_page_label(const struct report_labels *l, const char *key);

void report_page_labels_free(struct report_labels *l);

#endif
