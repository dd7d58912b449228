/* run.c — units of work over capture files, threads, in-order assembly. */
#include "analyzer/app/run.h"

#include "analyzer/app/pipeline.h"
#include "analyzer/app/split.h"
#include "stats/record/rec_json.h"
#include "stats/record/recdump.h"
#include "stats/sinks/policy.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

struct run_unit {
	const char **paths; /* borrowed */
	size_t npaths;
	FILE *recs; /* temporary file of its records (see run_keep_record) */
	int write_failed;
	int json;	   /* session lines are written: keep each record's JSON head */
	struct jsonw head; /* the worker's buffer for it (owned) */
	struct eng_health health;
	size_t failed; /* inputs that failed */
	char *errors;  /* error lines, in order (owned) */
	size_t errlen;
	int setup_failed;
	int done;
	struct src_progress prog;
};

struct run_shared {
	const struct cli_analyze *a;
	struct run_unit *units;
	size_t nunits;
	size_t next;	     /* next unit to take */
	size_t files_done;   /* for the progress line */
	uint64_t bytes_read; /* of the units already put together */
	uint64_t conns_done;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* --jobs 1: the one worker sends records straight to the sinks (and
	 * adds each unit's health itself); the main thread only shows progress */
	struct run_sinks *direct;
	int worker_json; /* session lines are written: workers make the JSON heads */
};

/* Workers keep records as they are (struct rec holds plain values and
 * pointers to static strings only), for the main thread to put in order.
 * When session lines are written, each record is followed by its JSON head
 * (rec_json_head: everything but the anomalies, which only the detectors
 * complete): a uint32 length and the bytes. The worker threads thus do most
 * of the JSON work; the main thread runs the detectors, appends the
 * anomalies and writes. */
static void run_keep_record(void *ctx, const struct rec *r)
{
	struct run_unit *u = ctx;
	/* the dump encoding: a record is mostly empty text, collapsed */
	if (recdump_record(u->recs, r) != 0)
		u->write_failed = 1;
	if (!u->json)
		return;
	jsonw_reset(&u->head);
	uint32_t n = rec_json_head(&u->head, r) == 0 && u->head.len < RUN_HEAD_FAILED
			     ? (uint32_t)u->head.len
			     : RUN_HEAD_FAILED;
	if (fwrite(&n, sizeof(n), 1, u->recs) != 1 ||
	    (n != RUN_HEAD_FAILED && fwrite(u->head.buf, 1, n, u->recs) != n))
		u->write_failed = 1;
}

/* run_emit(), where head says what s->line holds: 0 nothing yet (the line
 * is written here from the start), 1 the record's JSON head (made by a
 * worker), -1 the worker could not make it. */
const struct rec *run_anon_view(struct run_sinks *s, const struct rec *r)
{
	if (!s->anon)
		return r;
	if (r->anon_key[0]) {
		if (strcmp(r->anon_key, s->anon->anon->key_id) != 0) {
			if (!s->anon_mismatch)
				fprintf(stderr,
					"smtptls: records anonymised with another key (%s, not "
					"%s): "
					"not mixed\n",
					r->anon_key, s->anon->anon->key_id);
			s->anon_mismatch = 1;
			s->failed = 1;
		}
		return r;
	}
	struct rec *x = s->scratch;
	*x = *r;
	geo_carry(s->geo, x);
	const struct rec_anon_keep keep = {s->anon_keep_local && x->client.local,
					   s->anon_keep_local && x->server.local};
	rec_anon_apply(s->anon, x, &keep);
	return x;
}

static void run_emit_line(struct run_sinks *s, const struct rec *r, int head)
{
	struct rec_verdict v;
	struct rec_policy pol;
	const struct rec *real = r;
	r = run_anon_view(s, r);
	if (r != real)
		head = 0; /* a worker's JSON head shows the real record */
	if (s->dump && recdump_record(s->dump, r) != 0)
		s->failed = 1;
	if (s->anom) {
		/* the dry-run's history is what was known before r: judged
		 * before the detectors record r */
		policy_judge(s->geo, s->anom, r, &pol);
		anom_judge(s->anom, r, &v);
		v.policy = pol;
	} else {
		rec_verdict_init(&v, r);
	}
	if (s->alerts)
		alert_final(s->alerts, r, &v);
	if (s->sessions || s->session_lines) {
		/* one buffer, one write; the record goes straight to JSON text
		 * (what json_dumps() would give for the same values) */
		struct jsonw *w = &s->line;
		int rc = head < 0 ? -1 : 0;
		if (head == 0) {
			jsonw_reset(w);
			rc = rec_json_head(w, r);
		}
		if (rc == 0)
			rc = rec_json_anomalies(w, r, &v);
		if (rc == 0) {
			JSONW_LIT(w, "\n");
			rc = w->failed ? -1 : 0;
		}
		if (rc != 0)
			s->failed = 1;
		else if (s->session_lines)
			out_lines_write(s->session_lines, w->buf, w->len);
		else if (fwrite(w->buf, 1, w->len, s->sessions) != w->len)
			s->failed = 1;
	}
	if (s->agg)
		agg_record(s->agg, r, &v);
}

void run_emit(struct run_sinks *s, const struct rec *r)
{
	run_emit_line(s, r, 0);
}

void run_emit_head(struct run_sinks *s, const struct rec *r, int head)
{
	run_emit_line(s, r, head);
}

static void run_direct_record(void *ctx, const struct rec *r)
{
	struct run_shared *sh = ctx;
	run_emit(sh->direct, r);
}

static void run_error(struct run_unit *u, const char *msg)
{
	size_t n = strlen(msg);
	char *e = realloc(u->errors, u->errlen + n + 12);
	if (!e)
		return;
	u->errors = e;
	memcpy(u->errors + u->errlen, "smtptls: ", 9);
	memcpy(u->errors + u->errlen + 9, msg, n);
	u->errlen += n + 9;
	u->errors[u->errlen++] = '\n';
	u->errors[u->errlen] = '\0';
}

/* Runs one unit: a fresh engine over its files. */
static void run_unit_work(struct run_shared *sh, struct run_unit *u)
{
	const struct cli_analyze *a = sh->a;
	struct engine *e = malloc(sizeof(*e));
	if (!e || eng_init(e, &a->cfg) != 0) {
		u->setup_failed = 1;
		free(e);
		return;
	}
	if (sh->direct) {
		eng_add_sink(e, run_direct_record, sh);
	} else {
		u->json = sh->worker_json;
		u->recs = tmpfile();
		if (!u->recs || recdump_begin(u->recs, sizeof(struct eng_health)) != 0) {
			u->setup_failed = 1;
			eng_free(e);
			free(e);
			return;
		}
		eng_add_sink(e, run_keep_record, u);
	}
	struct src_opts opts = {a->bpf, &u->prog, 1};
	struct src_sink source;
	pipeline_engine_source(&source, e);
	char err[512];
	for (size_t i = 0; i < u->npaths; i++) {
		opts.end_input = !a->merge_files || i + 1 == u->npaths;
		if (src_read_file(&source, u->paths[i], &opts, err, sizeof(err)) != 0) {
			run_error(u, err);
			u->failed++;
		}
		pthread_mutex_lock(&sh->lock);
		sh->files_done++;
		pthread_mutex_unlock(&sh->lock);
	}
	eng_end_input(e);
	u->health = e->health;
	u->health.files_failed = u->failed;
	if (sh->direct && sh->direct->agg)
		agg_add_health(sh->direct->agg, &u->health);
	eng_free(e);
	free(e);
	jsonw_free(&u->head);
}

static void *run_worker(void *arg)
{
	struct run_shared *sh = arg;
	for (;;) {
		pthread_mutex_lock(&sh->lock);
		size_t i = sh->next < sh->nunits ? sh->next++ : SIZE_MAX;
		pthread_mutex_unlock(&sh->lock);
		if (i == SIZE_MAX)
			return NULL;
		run_unit_work(sh, &sh->units[i]);
		pthread_mutex_lock(&sh->lock);
		sh->units[i].done = 1;
		pthread_cond_broadcast(&sh->cond);
		pthread_mutex_unlock(&sh->lock);
	}
}

/* The capture time of a file's first packet (0 when unreadable), to order a
 * rotated set. */
static uint64_t run_first_ts(const char *path)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_t *p =
		pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
	if (!p)
		return 0;
	struct pcap_pkthdr *h;
	const u_char *d;
	uint64_t ts = 0;
	if (pcap_next_ex(p, &h, &d) == 1)
		ts = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
	pcap_close(p);
	return ts;
}

struct run_ts {
	const char *path;
	uint64_t ts;
	size_t i;
};

static int run_ts_cmp(const void *x, const void *y)
{
	const struct run_ts *a = x, *b = y;
	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

/* Reads a unit's records (and their JSON heads when json) back, in the
 * order they ended, into the sinks. */
static int run_replay(FILE *from, int json, struct run_sinks *s)
{
	struct rec *r = malloc(sizeof(*r));
	if (!r)
		return -1;
	rewind(from);
	char err[256];
	int rc = recdump_open(from, sizeof(struct eng_health), err, sizeof(err));
	while (rc == 0) {
		struct eng_health none; /* never written to these files */
		int k = recdump_next(from, r, &none, sizeof(none), err, sizeof(err));
		if (k != 1) {
			rc = k < 0 ? -1 : 0;
			break;
		}
		int head = 0;
		if (json) {
			uint32_t n;
			if (fread(&n, sizeof(n), 1, from) != 1) {
				rc = -1;
				break;
			}
			head = -1;
			if (n != RUN_HEAD_FAILED) {
				/* read straight into the line buffer */
				jsonw_reset(&s->line);
				if (jsonw_grow(&s->line, n) != 0 ||
				    fread(s->line.buf, 1, n, from) != n) {
					rc = -1;
					break;
				}
				s->line.len = n;
				head = 1;
			}
		}
		run_emit_line(s, r, head);
	}
	if (ferror(from))
		rc = -1;
	free(r);
	return rc;
}

/* The progress line: files done, bytes read, rate, connections seen. */
static void run_progress(struct run_shared *sh, size_t from, size_t nfiles, double elapsed)
{
	uint64_t bytes = sh->bytes_read, conns = sh->conns_done;
	for (size_t i = from; i < sh->nunits; i++) {
		bytes += atomic_load_explicit(&sh->units[i].prog.bytes_read, memory_order_relaxed);
		conns += atomic_load_explicit(&sh->units[i].prog.connections, memory_order_relaxed);
	}
	fprintf(stderr, "\r%zu/%zu files, %.1f MB read, %.1f MB/s, %llu connections   ",
		sh->files_done, nfiles, (double)bytes / 1e6,
		elapsed > 0 ? (double)bytes / 1e6 / elapsed : 0.0, (unsigned long long)conns);
	fflush(stderr);
}

static double run_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --records: shards' record dumps, replayed in order through the sinks. */
static long run_dumps(const struct src_list *files, struct run_sinks *sinks)
{
	long failed = 0;
	struct rec *r = malloc(sizeof(*r));
	struct eng_health *h = malloc(sizeof(*h));
	if (!r || !h) {
		free(r);
		free(h);
		return -1;
	}
	char err[256];
	for (size_t i = 0; i < files->n; i++) {
		FILE *in = fopen(files->paths[i], "rb");
		if (!in) {
			fprintf(stderr, "smtptls: %s: %s\n", files->paths[i], strerror(errno));
			failed++;
			continue;
		}
		int rc = recdump_open(in, sizeof(struct eng_health), err, sizeof(err));
		while (rc == 0) {
			int k = recdump_next(in, r, h, sizeof(*h), err, sizeof(err));
			if (k == 1) {
				run_emit(sinks, r);
			} else if (k == 2) {
				if (sinks->agg)
					agg_add_health(sinks->agg, h);
			} else {
				rc = k;
				break;
			}
		}
		if (rc < 0) {
			fprintf(stderr, "smtptls: %s: %s\n", files->paths[i], err);
			failed++;
		}
		fclose(in);
	}
	free(r);
	free(h);
	return sinks->failed ? -1 : failed;
}

/* The files in the order they are read: as listed, or with --merge-files
 * by their first packet. NULL when out of memory; the caller frees. */
static const char **run_paths(const struct cli_analyze *a, const struct src_list *files)
{
	const char **paths = malloc((files->n ? files->n : 1) * sizeof(*paths));
	if (!paths || !a->merge_files) {
		for (size_t i = 0; paths && i < files->n; i++)
			paths[i] = files->paths[i];
		return paths;
	}
	struct run_ts *t = malloc((files->n ? files->n : 1) * sizeof(*t));
	if (!t) {
		free(paths);
		return NULL;
	}
	for (size_t i = 0; i < files->n; i++) {
		t[i].path = files->paths[i];
		t[i].ts = run_first_ts(files->paths[i]);
		t[i].i = i;
	}
	qsort(t, files->n, sizeof(*t), run_ts_cmp);
	for (size_t i = 0; i < files->n; i++)
		paths[i] = t[i].path;
	free(t);
	return paths;
}

long run_files(const struct cli_analyze *a, const struct src_list *files, struct run_sinks *sinks)
{
	if (a->records_in)
		return run_dumps(files, sinks);
	if (a->jobs > 1 && files->n == 1 && !a->merge_files)
		return split_file(a, files->paths[0], sinks);
	struct run_shared sh;
	memset(&sh, 0, sizeof(sh));
	sh.a = a;
	/* anonymised records are written from the anonymised copy, by the
	 * main thread */
	sh.worker_json = sinks->sessions != NULL && !sinks->anon;
	const char **paths = run_paths(a, files);
	if (!paths)
		return -1;
	sh.nunits = a->merge_files ? (files->n ? 1 : 0) : files->n;
	sh.units = calloc(sh.nunits ? sh.nunits : 1, sizeof(*sh.units));
	if (!sh.units) {
		free(paths);
		return -1;
	}
	for (size_t i = 0; i < sh.nunits; i++) {
		struct run_unit *u = &sh.units[i];
		u->paths = a->merge_files ? paths : paths + i;
		u->npaths = a->merge_files ? files->n : 1;
	}
	pthread_mutex_init(&sh.lock, NULL);
	pthread_cond_init(&sh.cond, NULL);

	unsigned jobs = a->jobs ? a->jobs : 1;
	if (jobs == 1) {
		sh.direct = sinks;
	}
	if (jobs > sh.nunits)
		jobs = sh.nunits ? (unsigned)sh.nunits : 1;
	int progress = !a->quiet && isatty(STDERR_FILENO);
	pthread_t tid[64];
	unsigned started = 0;
	/* One job without a progress line works on this thread: a second
	 * thread would only wait, and its own malloc arena would hold freed
	 * memory apart from this one's (a high connection rate showed 114 MiB
	 * against 74 MiB). */
	unsigned threads = jobs == 1 && !progress ? 0 : jobs;
	for (; started < threads && started < 64; started++)
		if (pthread_create(&tid[started], NULL, run_worker, &sh) != 0)
			break;
	if (started == 0) /* one job, or no thread could start: work here */
		run_worker(&sh);

	int shown = 0;
	double t0 = run_now(), last = t0;
	long failed = 0;
	int broken = 0;
	for (size_t i = 0; i < sh.nunits; i++) {
		struct run_unit *u = &sh.units[i];
		pthread_mutex_lock(&sh.lock);
		while (!u->done) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += 1;
			pthread_cond_timedwait(&sh.cond, &sh.lock, &until);
			double now = run_now();
			if (progress && now - last >= 1.0) {
				/* wall-clock time paces the progress line only */
				last = now;
				shown = 1;
				run_progress(&sh, i, files->n, now - t0);
			}
		}
		pthread_mutex_unlock(&sh.lock);
		if (shown && (u->errors || i + 1 == sh.nunits)) {
			fprintf(stderr, "\r%*s\r", 79, "");
			shown = 0;
		}
		if (u->errors)
			fputs(u->errors, stderr);
		if (u->setup_failed) {
			fprintf(stderr,
				"smtptls: out of memory setting up (try a smaller --max-flows)\n");
			broken = 1;
		}
		if (u->write_failed)
			broken = 1;
		if (u->recs && !broken && run_replay(u->recs, u->json, sinks) != 0)
			broken = 1;
		if (sinks->failed)
			broken = 1;
		failed += (long)u->failed;
		sh.bytes_read += atomic_load(&u->prog.bytes_read);
		sh.conns_done += atomic_load(&u->prog.connections);
		if (sinks->agg && !sh.direct)
			agg_add_health(sinks->agg, &u->health);
		if (u->recs)
			fclose(u->recs);
		free(u->errors);
	}
	for (unsigned i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	pthread_mutex_destroy(&sh.lock);
	pthread_cond_destroy(&sh.cond);
	free(sh.units);
	free(paths);
	return broken || sinks->failed ? -1 : failed;
}
