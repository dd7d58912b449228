/* source.c — capture files (libpcap: pcap and pcapng) and directory walking. */
#include "analyzer/capture/source.h"

#include <dirent.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* stdio buffer for reading captures. */
#define SRC_READ_BUFFER (1u << 20)

/* Directories deeper than this are not walked (and reported). */
#define SRC_MAX_DEPTH 64

static int src_push(struct src_list *l, const char *path)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		char **p = realloc(l->paths, cap * sizeof(*p));
		if (!p)
			return -1;
		l->paths = p;
		l->cap = cap;
	}
	l->paths[l->n] = strdup(path);
	if (!l->paths[l->n])
		return -1;
	l->n++;
	return 0;
}

static int src_has_capture_ext(const char *name)
{
	static const char *const exts[] = {".pcap", ".pcapng", ".cap"};
	size_t n = strlen(name);
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		size_t k = strlen(exts[i]);
		if (n > k && strcasecmp(name + n - k, exts[i]) == 0)
			return 1;
	}
	return 0;
}

static int src_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int src_walk(struct src_list *l, const char *dir, int depth, FILE *err_out)
{
	if (depth > SRC_MAX_DEPTH) {
		fprintf(err_out, "smtptls: %s: directory nesting too deep, not walked\n", dir);
		l->failed++;
		return 0;
	}
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(err_out, "smtptls: %s: cannot read directory: %s\n", dir, strerror(errno));
		l->failed++;
		return 0;
	}
	int rc = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue; /* ".", "..", and hidden files */
		size_t n = strlen(dir) + strlen(de->d_name) + 2;
		char *path = malloc(n);
		if (!path) {
			rc = -1;
			break;
		}
		snprintf(path, n, "%s/%s", dir, de->d_name);
		struct stat st;
		if (stat(path, &st) != 0) {
			fprintf(err_out, "smtptls: %s: %s\n", path, strerror(errno));
			l->failed++;
		} else if (S_ISDIR(st.st_mode)) {
			rc = src_walk(l, path, depth + 1, err_out);
		} else if (S_ISREG(st.st_mode) && src_has_capture_ext(de->d_name)) {
			rc = src_push(l, path);
		}
		free(path);
		if (rc)
			break;
	}
	closedir(d);
	return rc;
}

int src_expand(struct src_list *l, const char *input, FILE *err_out)
{
	struct stat st;
	if (stat(input, &st) != 0) {
		fprintf(err_out, "smtptls: %s: %s\n", input, strerror(errno));
		l->failed++;
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		return src_push(l, input);
	size_t first = l->n;
	size_t len = strlen(input);
	char *dir = strdup(input);
	if (!dir)
		return -1;
	while (len > 1 && dir[len - 1] == '/')
		dir[--len] = '\0';
	int rc = src_walk(l, dir, 0, err_out);
	free(dir);
	if (rc == 0 && l->n > first)
		qsort(l->paths + first, l->n - first, sizeof(*l->paths), src_cmp);
	if (rc == 0 && l->n == first)
		fprintf(err_out, "smtptls: %s: no capture files (*.pcap, *.pcapng, *.cap) found\n",
			input);
	return rc;
}

void src_list_free(struct src_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->paths[i]);
	free(l->paths);
	memset(l, 0, sizeof(*l));
}

int src_check_bpf(const char *expr, char *err, size_t errlen)
{
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
	if (!p) {
		snprintf(err, errlen, "cannot check the filter");
		return -1;
	}
	struct bpf_program prog;
	int rc = 0;
	if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		snprintf(err, errlen, "invalid --bpf expression \"%s\": %s", expr, pcap_geterr(p));
		rc = -1;
	} else {
		pcap_freecode(&prog);
	}
	pcap_close(p);
	return rc;
}

int src_read_file(const struct src_sink *sink, const char *path, const struct src_opts *o,
		  char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	int rc = 0;
	/* The file is opened here, with a large stdio buffer, so reading costs
	 * a system call per megabyte instead of per few kilobytes; libpcap
	 * owns the FILE from then on (pcap_close closes it). */
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	setvbuf(fp, NULL, _IOFBF, SRC_READ_BUFFER);
	pcap_t *p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
	if (!p) {
		fclose(fp);
		/* libpcap says "unknown file format" for a file that is not a
		 * capture; keep its words, prefixed with the file name. */
		snprintf(err, errlen, "%s: cannot read as pcap or pcapng: %s", path, ebuf);
		return -1;
	}
	int dlt = pcap_datalink(p);
	if (!sink->link_ok(sink->ctx, dlt)) {
		const char *name = pcap_datalink_val_to_name(dlt);
		snprintf(err, errlen, "%s: unsupported link type %d (%s)", path, dlt,
			 name ? name : "unknown");
		pcap_close(p);
		return -1;
	}
	if (o->bpf) {
		struct bpf_program prog;
		if (pcap_compile(p, &prog, o->bpf, 1, PCAP_NETMASK_UNKNOWN) != 0 ||
		    pcap_setfilter(p, &prog) != 0) {
			snprintf(err, errlen, "%s: filter: %s", path, pcap_geterr(p));
			pcap_close(p);
			return -1;
		}
		pcap_freecode(&prog);
	}
	sink->begin(sink->ctx);
	if (sink->snaplen) {
		int snap = pcap_snapshot(p);
		sink->snaplen(sink->ctx, snap > 0 ? (uint32_t)snap : 0);
	}
	struct pcap_pkthdr *hdr;
	const u_char *data;
	uint64_t n = 0, bytes = 0;
	for (;;) {
		int r = pcap_next_ex(p, &hdr, &data);
		if (r == PCAP_ERROR_BREAK)
			break;
		if (r == PCAP_ERROR) {
			/* Typically "truncated dump file": the last record is partial. */
			snprintf(err, errlen,
				 "%s: capture ends in a broken record after %llu packets: %s", path,
				 (unsigned long long)n, pcap_geterr(p));
			rc = -1;
			break;
		}
		if (r != 1)
			continue;
		n++;
		uint64_t ts = (uint64_t)hdr->ts.tv_sec * 1000000u + (uint64_t)hdr->ts.tv_usec;
		sink->packet(sink->ctx, dlt, ts, data, hdr->caplen, hdr->len);
		bytes += hdr->caplen + 16u;
		if (o->progress && (n & 0xfff) == 0) {
			atomic_fetch_add_explicit(&o->progress->bytes_read, bytes,
						  memory_order_relaxed);
			atomic_fetch_add_explicit(&o->progress->packets, 4096,
						  memory_order_relaxed);
			atomic_store_explicit(&o->progress->connections,
					      sink->connections(sink->ctx), memory_order_relaxed);
			bytes = 0;
		}
	}
	if (o->progress) {
		atomic_fetch_add_explicit(&o->progress->bytes_read, bytes, memory_order_relaxed);
		atomic_fetch_add_explicit(&o->progress->packets, n & 0xfff, memory_order_relaxed);
		atomic_store_explicit(&o->progress->connections, sink->connections(sink->ctx),
				      memory_order_relaxed);
	}
	pcap_close(p);
	if (o->end_input)
		sink->end(sink->ctx);
	return rc;
}
