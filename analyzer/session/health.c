/* health.c — the names and merge rules of the engine's health counters. */
#include "analyzer/session/health.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* Every counter once, in snapshot order; the decode counters (one per enum
 * dec_counter, named by decode.c) stand where the entry with no name is. */
static const struct {
	const char *name;
	size_t offset;
	enum eng_health_merge how;
} eng_health_fields[] = {
	{"span.first_us", offsetof(struct eng_health, first_us), ENG_HEALTH_MIN_NZ},
	{"span.last_us", offsetof(struct eng_health, last_us), ENG_HEALTH_MAX},
	{"health.files", offsetof(struct eng_health, files), ENG_HEALTH_SUM},
	{"health.files_failed", offsetof(struct eng_health, files_failed), ENG_HEALTH_SUM},
	{"health.packets", offsetof(struct eng_health, packets), ENG_HEALTH_SUM},
	{"health.wire_bytes", offsetof(struct eng_health, wire_bytes), ENG_HEALTH_SUM},
	{"health.captured_bytes", offsetof(struct eng_health, captured_bytes), ENG_HEALTH_SUM},
	{"health.tcp_packets", offsetof(struct eng_health, tcp_packets), ENG_HEALTH_SUM},
	{"health.mail_packets", offsetof(struct eng_health, mail_packets), ENG_HEALTH_SUM},
	{"health.timestamps_backwards", offsetof(struct eng_health, ts_backwards), ENG_HEALTH_SUM},
	{NULL, offsetof(struct eng_health, decode), ENG_HEALTH_SUM},
	{"health.flows_evicted", offsetof(struct eng_health, flows_evicted), ENG_HEALTH_SUM},
	{"health.flows_closed_early", offsetof(struct eng_health, flows_closed_early),
	 ENG_HEALTH_SUM},
	{"health.flow_alloc_failed", offsetof(struct eng_health, flow_alloc_failed),
	 ENG_HEALTH_SUM},
	{"health.reassembly.refused_bytes", offsetof(struct eng_health, rsm_refused_bytes),
	 ENG_HEALTH_SUM},
	{"health.reassembly.peak_bytes", offsetof(struct eng_health, rsm_peak_bytes),
	 ENG_HEALTH_MAX},
#define ENG_DNS(f, how)                                                                            \
	{                                                                                          \
		"health.dns." #f, offsetof(struct eng_health, dns.f), how                          \
	}
	ENG_DNS(udp_datagrams, ENG_HEALTH_SUM),
	ENG_DNS(udp_truncated, ENG_HEALTH_SUM),
	ENG_DNS(tcp_connections, ENG_HEALTH_SUM),
	ENG_DNS(messages, ENG_HEALTH_SUM),
	ENG_DNS(malformed, ENG_HEALTH_SUM),
	{"", offsetof(struct eng_health, dns.errors), ENG_HEALTH_SUM}, /* by reason */
	ENG_DNS(tcp_gaps, ENG_HEALTH_SUM),
	ENG_DNS(answers, ENG_HEALTH_SUM),
	ENG_DNS(expired, ENG_HEALTH_SUM),
	ENG_DNS(dropped_memory, ENG_HEALTH_SUM),
	ENG_DNS(peak_bytes, ENG_HEALTH_MAX),
#undef ENG_DNS
};

#define ENG_HEALTH_NFIELDS (sizeof(eng_health_fields) / sizeof(eng_health_fields[0]))

static uint64_t *eng_health_at(struct eng_health *h, size_t offset)
{
	return (uint64_t *)(void *)((char *)h + offset);
}

static uint64_t eng_health_get(const struct eng_health *h, size_t offset)
{
	uint64_t v;
	memcpy(&v, (const char *)h + offset, sizeof(v));
	return v;
}

void eng_health_visit(struct eng_health *h,
		      void (*fn)(void *ctx, const char *name, uint64_t *v,
				 enum eng_health_merge how),
		      void *ctx)
{
	char name[96];
	for (size_t i = 0; i < ENG_HEALTH_NFIELDS; i++) {
		if (eng_health_fields[i].name && eng_health_fields[i].name[0]) {
			fn(ctx, eng_health_fields[i].name,
			   eng_health_at(h, eng_health_fields[i].offset), eng_health_fields[i].how);
			continue;
		}
		if (eng_health_fields[i].name) {
			for (int e = 1; e < DNS_E_COUNT; e++) {
				snprintf(name, sizeof(name), "health.dns.malformed_by.%s",
					 dns_err_name((enum dns_err)e));
				fn(ctx, name, &h->dns.errors[e - 1], ENG_HEALTH_SUM);
			}
			continue;
		}
		for (int c = 0; c < DEC_C_COUNT; c++) {
			snprintf(name, sizeof(name), "health.%s.%s",
				 dec_counter_is_malformed((enum dec_counter)c) ? "malformed"
									       : "skipped",
				 dec_counter_name((enum dec_counter)c));
			fn(ctx, name, &h->decode.c[c], ENG_HEALTH_SUM);
		}
	}
}

static void eng_health_merge(uint64_t *dst, uint64_t src, enum eng_health_merge how)
{
	switch (how) {
	case ENG_HEALTH_SUM: *dst += src; break;
	case ENG_HEALTH_MAX:
		if (src > *dst)
			*dst = src;
		break;
	case ENG_HEALTH_MIN_NZ:
		if (src && (!*dst || src < *dst))
			*dst = src;
		break;
	}
}

void eng_health_add(struct eng_health *into, const struct eng_health *from)
{
	for (size_t i = 0; i < ENG_HEALTH_NFIELDS; i++) {
		size_t off = eng_health_fields[i].offset;
		if (eng_health_fields[i].name && !eng_health_fields[i].name[0]) {
			for (int e = 0; e < DNS_E_COUNT - 1; e++)
				into->dns.errors[e] += from->dns.errors[e];
			continue;
		}
		if (eng_health_fields[i].name) {
			eng_health_merge(eng_health_at(into, off), eng_health_get(from, off),
					 eng_health_fields[i].how);
			continue;
		}
		for (int c = 0; c < DEC_C_COUNT; c++)
			into->decode.c[c] += from->decode.c[c];
	}
}

int eng_health_has_dns(const struct eng_health *h)
{
	static const struct eng_dns_health zero;
	return memcmp(&h->dns, &zero, sizeof(zero)) != 0;
}
