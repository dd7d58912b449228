/* report.h — `smtptls report`: a statistics snapshot as one self-contained
 * HTML page (headline figures, charts, tables), and the charts as files.
 *
 *   smtptls report STATS.json -o report.html
 *   smtptls report STATS.json --plots DIR [--format svg|png|pdf]
 *
 * The charts are drawn by gnuplot (run as a child process, with a time
 * limit) from the chart scripts embedded in the binary. Without gnuplot the
 * page is still written, with its tables and a note where each chart would
 * be. See docs/report.md.
 */
#ifndef SMTPTLS_REPORT_H
#define SMTPTLS_REPORT_H

/* Runs the report command; argv[0] is "report". Returns the exit status: 0
 * done (also when gnuplot is missing and the page was written without
 * charts), 1 a chart could not be drawn or written, 2 bad usage or a
 * snapshot that cannot be read. */
int report_main(int argc, char **argv);

#endif
