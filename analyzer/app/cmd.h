/* cmd.h — the commands analyze, merge, history and tlsrpt (live: live.h). Each
 * takes its arguments (argv[0] is the command's name) and returns the exit
 * status: 0 success, 1 an input could not be read (fully), 2 usage or
 * output error. */
#ifndef SMTPTLS_CMD_H
#define SMTPTLS_CMD_H

/* `smtptls analyze`: capture files (or record dumps) through the pipeline. */
int cmd_analyze(int argc, char **argv);

/* `smtptls merge`: statistics snapshots added into one. */
int cmd_merge(int argc, char **argv);

/* `smtptls history`: what a history file knows about each server. */
int cmd_history(int argc, char **argv);

/* `smtptls tlsrpt`: RFC 8460 reports from connection records (tlsrpt.h). */
int cmd_tlsrpt(int argc, char **argv);

#endif
