/* plot.c — runs gnuplot on the embedded chart scripts (see plot.h). */
#include "plots/plot.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* One embedded script: its file name and bytes (not NUL-terminated). */
struct plot_script {
	const char *name;
	const unsigned char *text;
	size_t len;
};

/* Generated at build time from the plots/charts scripts (plots/embed_scripts.cmake). */
#include "plot_scripts.h"

#define PLOT_NSCRIPTS (sizeof(plot_scripts) / sizeof(plot_scripts[0]))

/* A growable string for the -e expression; the texts are short, so a failed
 * allocation simply fails the chart. */
struct plot_buf {
	char *p;
	size_t len, cap;
	int err;
};

static void plot_buf_add(struct plot_buf *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->err = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void plot_buf_str(struct plot_buf *b, const char *s)
{
	plot_buf_add(b, s, strlen(s));
}

/* name='value'; — in a gnuplot single-quoted string nothing is substituted
 * (no backquotes, no macros, no escapes) and a quote is written twice. Line
 * breaks would end the command, so they become spaces. */
static void plot_buf_var(struct plot_buf *b, const char *name, const char *value)
{
	plot_buf_str(b, name);
	plot_buf_str(b, "='");
	for (const char *c = value; *c; c++) {
		if (*c == '\'')
			plot_buf_str(b, "''");
		else if (*c == '\n' || *c == '\r' || *c == '\t')
			plot_buf_str(b, " ");
		else
			plot_buf_add(b, c, 1);
	}
	plot_buf_str(b, "'; ");
}

const char *plot_format_name(enum plot_format f)
{
	switch (f) {
	case PLOT_SVG: return "svg";
	case PLOT_PNG: return "png";
	case PLOT_PDF: return "pdf";
	}
	return "svg";
}

int plot_format_parse(const char *s, enum plot_format *f)
{
	if (strcmp(s, "svg") == 0)
		*f = PLOT_SVG;
	else if (strcmp(s, "png") == 0)
		*f = PLOT_PNG;
	else if (strcmp(s, "pdf") == 0)
		*f = PLOT_PDF;
	else
		return -1;
	return 0;
}

int plot_has_script(const char *stem)
{
	size_t n = strlen(stem);
	for (size_t i = 0; i < PLOT_NSCRIPTS; i++)
		if (strncmp(plot_scripts[i].name, stem, n) == 0 &&
		    strcmp(plot_scripts[i].name + n, ".gp") == 0)
			return 1;
	return 0;
}

int plot_write_scripts(const char *dir, char *err, size_t errlen)
{
	char path[4096];
	for (size_t i = 0; i < PLOT_NSCRIPTS; i++) {
		int n = snprintf(path, sizeof(path), "%s/%s", dir, plot_scripts[i].name);
		if (n < 0 || (size_t)n >= sizeof(path)) {
			snprintf(err, errlen, "%s: path too long", dir);
			return -1;
		}
		FILE *fp = fopen(path, "wb");
		if (!fp) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		size_t w = fwrite(plot_scripts[i].text, 1, plot_scripts[i].len, fp);
		if (fclose(fp) != 0 || w != plot_scripts[i].len) {
			snprintf(err, errlen, "%s: write failed", path);
			return -1;
		}
	}
	return 0;
}

/* The environment of the child: ours, with GNUPLOT_LIB pointing at the
 * scripts so that `load 'common.gp'` finds them from any directory. The
 * strings are borrowed from environ except the one in lib. */
static char **plot_child_env(char *lib)
{
	size_t n = 0;
	while (environ && environ[n])
		n++;
	char **envp = calloc(n + 2, sizeof(*envp));
	if (!envp)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "GNUPLOT_LIB=", 12) != 0)
			envp[k++] = environ[i];
	envp[k++] = lib;
	envp[k] = NULL;
	return envp;
}

/* The first non-empty line gnuplot wrote to stderr, for the error message. */
static void plot_first_error(const char *errpath, char *out, size_t outlen)
{
	out[0] = '\0';
	FILE *fp = fopen(errpath, "r");
	if (!fp)
		return;
	char line[512];
	while (fgets(line, sizeof(line), fp)) {
		size_t l = strcspn(line, "\r\n");
		line[l] = '\0';
		const char *s = line;
		while (*s == ' ' || *s == '\t' || *s == '^')
			s++;
		if (*s) {
			snprintf(out, outlen, "%.300s", s);
			break;
		}
	}
	fclose(fp);
}

static long plot_elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (long)(t1.tv_sec - t0->tv_sec) * 1000L + (t1.tv_nsec - t0->tv_nsec) / 1000000L;
}

/* The -e expression of a job: the variables its script reads. */
static void plot_expr(struct plot_buf *expr, const struct plot_job *job)
{
	plot_buf_var(expr, "datafile", job->datafile);
	plot_buf_var(expr, "outfile", job->outfile);
	plot_buf_var(expr, "term", plot_format_name(job->format));
	plot_buf_var(expr, "charttitle", job->title ? job->title : "");
	plot_buf_var(expr, "note", job->note ? job->note : "");
	if (job->xtitle)
		plot_buf_var(expr, "xtitle", job->xtitle);
	if (job->message)
		plot_buf_var(expr, "message", job->message);
	char size[32];
	if (job->width > 0) {
		snprintf(size, sizeof(size), "width=%d; ", job->width);
		plot_buf_str(expr, size);
	}
	if (job->height > 0) {
		snprintf(size, sizeof(size), "height=%d; ", job->height);
		plot_buf_str(expr, size);
	}
}

/* Waits for gnuplot, killing it at the time limit. Returns PLOT_OK with its
 * wait status, PLOT_TIMEOUT, or PLOT_ERROR; a message in err when not OK. */
static int plot_wait(const struct plot_env *env, const struct plot_job *job, pid_t pid, int *status,
		     char *err, size_t errlen)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return PLOT_OK;
		if (r < 0 && errno != EINTR) {
			snprintf(err, errlen, "waiting for gnuplot: %s", strerror(errno));
			return PLOT_ERROR;
		}
		if (plot_elapsed_ms(&t0) > (long)env->timeout_ms) {
			kill(pid, SIGKILL);
			while (waitpid(pid, status, 0) < 0 && errno == EINTR)
				;
			snprintf(err, errlen,
				 "gnuplot took longer than %u ms on %s.gp and was stopped",
				 env->timeout_ms, job->script);
			return PLOT_TIMEOUT;
		}
		struct timespec nap = {0, 5 * 1000 * 1000};
		nanosleep(&nap, NULL);
	}
}

int plot_run(const struct plot_env *env, const struct plot_job *job, char *err, size_t errlen)
{
	char script[4096], errpath[4096], lib[4200], prog[1024];
	char opt_e[] = "-e";
	int rc = PLOT_ERROR;
	struct plot_buf expr = {0};
	char **envp = NULL;
	int actions_ready = 0;
	posix_spawn_file_actions_t fa;

	int n1 = snprintf(script, sizeof(script), "%s/%s.gp", env->dir, job->script);
	int n2 = snprintf(errpath, sizeof(errpath), "%s/%s.err", env->dir, job->script);
	int n3 = snprintf(lib, sizeof(lib), "GNUPLOT_LIB=%s", env->dir);
	int n4 = snprintf(prog, sizeof(prog), "%s", env->gnuplot);
	if (n1 < 0 || (size_t)n1 >= sizeof(script) || n2 < 0 || (size_t)n2 >= sizeof(errpath) ||
	    n3 < 0 || (size_t)n3 >= sizeof(lib) || n4 < 0 || (size_t)n4 >= sizeof(prog)) {
		snprintf(err, errlen, "path too long");
		return PLOT_ERROR;
	}

	plot_expr(&expr, job);
	envp = plot_child_env(lib);
	if (expr.err || !expr.p || !envp) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}

	/* A stale output must not pass for this run's. */
	unlink(job->outfile);

	if (posix_spawn_file_actions_init(&fa) != 0) {
		snprintf(err, errlen, "cannot prepare the gnuplot process");
		goto fail;
	}
	actions_ready = 1;
	if (posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0) != 0 ||
	    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0) != 0 ||
	    posix_spawn_file_actions_addopen(&fa, 2, errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600) !=
		    0) {
		snprintf(err, errlen, "cannot prepare the gnuplot process");
		goto fail;
	}

	char *argv[] = {prog, opt_e, expr.p, script, NULL};
	pid_t pid;
	int e = posix_spawnp(&pid, prog, &fa, NULL, argv, envp);
	if (e != 0) {
		if (e == ENOENT || e == EACCES || e == ENOEXEC || e == ENOTDIR) {
			snprintf(err, errlen, "cannot run %s: %s", prog, strerror(e));
			rc = PLOT_NO_GNUPLOT;
		} else {
			snprintf(err, errlen, "cannot start %s: %s", prog, strerror(e));
		}
		goto fail;
	}

	int status = 0;
	rc = plot_wait(env, job, pid, &status, err, errlen);
	if (rc != PLOT_OK)
		goto fail;
	rc = PLOT_ERROR;

	struct stat st;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char first[400];
		plot_first_error(errpath, first, sizeof(first));
		if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
			snprintf(err, errlen, "cannot run %s", prog);
		else if (WIFSIGNALED(status))
			snprintf(err, errlen, "gnuplot was killed by signal %d on %s.gp",
				 WTERMSIG(status), job->script);
		else
			snprintf(err, errlen, "gnuplot failed on %s.gp (exit %d)%s%s", job->script,
				 WIFEXITED(status) ? WEXITSTATUS(status) : -1, first[0] ? ": " : "",
				 first);
		rc = PLOT_FAILED;
		goto fail;
	}
	if (stat(job->outfile, &st) != 0 || st.st_size == 0) {
		snprintf(err, errlen, "gnuplot wrote nothing for %s.gp", job->script);
		rc = PLOT_FAILED;
		goto fail;
	}
	rc = PLOT_OK;
fail:
	if (actions_ready)
		posix_spawn_file_actions_destroy(&fa);
	unlink(errpath);
	free(envp);
	free(expr.p);
	return rc;
}
