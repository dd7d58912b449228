/* plot.h — drawing one chart with gnuplot.
 *
 * The chart definitions are the gnuplot scripts of plots/charts/, embedded in
 * the binary at build time. plot_write_scripts() puts them in a working
 * folder; plot_run() runs gnuplot on one of them with a data file the caller
 * wrote, as a child process with a time limit (never through a shell).
 */
#ifndef SMTPTLS_PLOT_H
#define SMTPTLS_PLOT_H

#include <stddef.h>

enum plot_format {
	PLOT_SVG,
	PLOT_PNG,
	PLOT_PDF,
};

enum plot_status {
	PLOT_OK = 0,
	PLOT_NO_GNUPLOT = -1, /* the gnuplot program could not be started */
	PLOT_FAILED = -2,     /* gnuplot ran and failed, or wrote nothing */
	PLOT_TIMEOUT = -3,    /* gnuplot was killed at the time limit */
	PLOT_ERROR = -4,      /* a local error (out of memory, cannot write) */
};

/* How gnuplot is run; the same for every chart of a report. */
struct plot_env {
	const char *gnuplot; /* program name or path (PATH is searched) */
	const char *dir;     /* working folder holding the scripts */
	unsigned timeout_ms; /* time limit per chart */
};

/* One chart to draw. Strings are the caller's; quotes and backslashes in the
 * texts are replaced, so any text is safe to pass. */
struct plot_job {
	const char *script;   /* script stem, e.g. "tls_versions" */
	const char *datafile; /* tab-separated data */
	const char *outfile;  /* the chart to write */
	enum plot_format format;
	const char *title;   /* drawn above the chart, "" for none */
	const char *note;    /* second title line (the denominator), "" for none */
	const char *xtitle;  /* axis title for the scripts that take one, or NULL */
	const char *message; /* the text of the "empty" script, or NULL */
	int width, height;   /* pixels at 96 dpi, 0 for the script's default */
};

/* Writes every embedded script into dir. Returns 0, or -1 with a message. */
int plot_write_scripts(const char *dir, char *err, size_t errlen);

/* Whether a script of that stem is embedded. */
int plot_has_script(const char *stem);

/* Runs gnuplot for one chart. Returns PLOT_OK when gnuplot exited 0 and the
 * output file is not empty; otherwise a plot_status with a one-line message
 * in err (gnuplot's first error line when it printed one). */
int plot_run(const struct plot_env *env, const struct plot_job *job, char *err, size_t errlen);

/* "svg", "png" or "pdf". */
const char *plot_format_name(enum plot_format f);

/* Parses "svg", "png" or "pdf". Returns 0, or -1 for anything else. */
int plot_format_parse(const char *s, enum plot_format *f);

#endif
