/* prom.h — Prometheus metrics in the node-exporter textfile format. */
#ifndef SMTPTLS_PROM_H
#define SMTPTLS_PROM_H

#include <stdint.h>
#include <stdio.h>

#include "stats/sinks/agg.h"

/* Counters of a live capture that are not in the statistics. */
struct prom_live {
	uint64_t pcap_received; /* packets the kernel delivered (pcap_stats) */
	uint64_t pcap_dropped;	/* dropped for lack of buffer space */
	uint64_t pcap_if_dropped;
	uint64_t flows_open;
	uint64_t alerts;
	uint64_t records_lost; /* record lines that could not be written */
	uint64_t alerts_lost;  /* alert lines that could not be written */
};

/* Writes every metric. Returns 0, or -1 on a write error. */
int prom_write(FILE *out, const struct agg *a, const struct prom_live *live);

#endif
