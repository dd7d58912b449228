/* live.h — `smtptls live`: sniffing an interface, with alerts as they
 * happen, periodic statistics and Prometheus metrics. */
#ifndef SMTPTLS_LIVE_H
#define SMTPTLS_LIVE_H

/* Runs the live command (argv[0] is "live"); returns the exit status. */
int live_main(int argc, char **argv);

#endif
