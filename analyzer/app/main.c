/* main.c — the smtptls command: dispatch to the commands. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <pcap/pcap.h>

#include "analyzer/app/cli.h"
#include "analyzer/app/cmd.h"
#include "analyzer/app/live.h"
#include "analyzer/app/pipeline.h"
#include "dissectors/proto/anon.h"
#include "plots/report.h"

static void main_usage(FILE *out)
{
	fprintf(out, "Usage: smtptls COMMAND [OPTIONS] ...\n"
		     "\n"
		     "A passive SMTP TLS traffic analyzer: follows every SMTP connection in\n"
		     "packet captures and reports how it was (or was not) encrypted.\n"
		     "\n"
		     "Commands:\n"
		     "  analyze PCAP|DIR...   analyse capture files\n"
		     "  merge SNAPSHOT...     add statistics snapshots of shards together\n"
		     "  live -i IFACE         sniff an interface, alert on stripped STARTTLS\n"
		     "  history FILE          what a history file knows about each server\n"
		     "  report STATS.json -o FILE  the HTML report (charts, tables)\n"
		     "  tlsrpt RECORDS... -o DIR  RFC 8460 TLS reports of outbound mail\n"
		     "  cluster slurm ...     analyse a corpus on a Slurm cluster\n"
		     "  keygen FILE           a new key for --anonymize (32 random bytes)\n"
		     "  help [COMMAND]        show help\n"
		     "\n"
		     "Options:\n"
		     "  -h, --help            show this help\n"
		     "  -V, --version         show the version\n"
		     "  --list-options        every option of every command, one a line\n"
		     "                        (name, short name, value or flag, commands, roles)\n"
		     "  --list-inputs PATH... the capture files the inputs expand to, in the\n"
		     "                        order analyze reads them\n"
		     "\n"
		     "Run 'smtptls analyze --help' for the options of a command.\n");
}

/* `smtptls cluster ...`: runs smtptls-cluster (docs/cluster.md), found beside
 * this binary (build tree) or in SMTPTLS_LIBEXECDIR, with SMTPTLS_BIN set. */
static int main_cluster(char **argv) /* argv[0] == "cluster" */
{
	char self[PATH_MAX], script[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		fprintf(stderr, "smtptls cluster: cannot find the smtptls binary: %s\n",
			strerror(errno));
		return 2;
	}
	self[n] = '\0';
	const char *slash = strrchr(self, '/');
	snprintf(script, sizeof(script), "%.*s/smtptls-cluster", (int)(slash ? slash - self : 0),
		 self);
	if (access(script, X_OK) != 0)
		snprintf(script, sizeof(script), "%s/smtptls-cluster", SMTPTLS_LIBEXECDIR);
	setenv("SMTPTLS_BIN", self, 0); /* a wrapper given by the caller wins */
	argv[0] = script;
	execv(script, argv);
	fprintf(stderr, "smtptls cluster: %s: %s\n", script, strerror(errno));
	return 2;
}

/* `smtptls keygen FILE`: the key of --anonymize (dissectors/proto/anon.h). */
static int main_keygen(int argc, char **argv) /* argv[0] == "keygen" */
{
	char err[512];
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(argc == 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr,
			"Usage: smtptls keygen FILE\n"
			"Writes a new anonymisation key (32 random bytes, mode 0600) to FILE,\n"
			"which must not exist. Keep it: the same key gives the same mapping.\n");
		return argc == 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
	}
	if (anon_keygen(argv[1], err, sizeof(err)) != 0) {
		fprintf(stderr, "smtptls keygen: %s\n", err);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		main_usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
		main_usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
		printf("smtptls %s (%s, jansson %s)\n", SMTPTLS_VERSION, pcap_lib_version(),
		       JANSSON_VERSION);
		return 0;
	}
	if (strcmp(cmd, "--list-options") == 0) {
		cli_list_options(stdout);
		return fflush(stdout) == 0 ? 0 : 2;
	}
	if (strcmp(cmd, "--list-inputs") == 0) {
		int first = argc > 2 && strcmp(argv[2], "--") == 0 ? 3 : 2;
		return pipeline_list_inputs(argc - first, argv + first, stdout, stderr);
	}
	if (strcmp(cmd, "help") == 0) {
		static const struct {
			const char *name;
			unsigned cmd;
		} helps[] = {{"analyze", CLI_ANALYZE},
			     {"live", CLI_LIVE},
			     {"merge", CLI_MERGE},
			     {"history", CLI_HISTORY},
			     {"tlsrpt", CLI_TLSRPT}};
		unsigned which = 0;
		for (size_t i = 0; argc > 2 && i < sizeof(helps) / sizeof(helps[0]); i++)
			if (strcmp(argv[2], helps[i].name) == 0)
				which = helps[i].cmd;
		if (which)
			cli_usage(which, stdout);
		else
			main_usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "analyze") == 0)
		return cmd_analyze(argc - 1, argv + 1);
	if (strcmp(cmd, "merge") == 0)
		return cmd_merge(argc - 1, argv + 1);
	if (strcmp(cmd, "live") == 0)
		return live_main(argc - 1, argv + 1);
	if (strcmp(cmd, "history") == 0)
		return cmd_history(argc - 1, argv + 1);
	if (strcmp(cmd, "report") == 0)
		return report_main(argc - 1, argv + 1);
	if (strcmp(cmd, "tlsrpt") == 0)
		return cmd_tlsrpt(argc - 1, argv + 1);
	if (strcmp(cmd, "cluster") == 0)
		return main_cluster(argv + 1);
	if (strcmp(cmd, "keygen") == 0)
		return main_keygen(argc - 1, argv + 1);
	fprintf(stderr, "smtptls: unknown command '%s'\n", cmd);
	main_usage(stderr);
	return 2;
}
