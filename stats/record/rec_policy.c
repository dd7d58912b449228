/* rec_policy.c — the names of the policy dry-run and the record's "policy"
 * object (docs/schema.md, docs/policy.md). */
#include "stats/record/rec_policy.h"

#include <stddef.h>

#include "stats/record/rec_fields.h"

const char *rec_pol_name(enum rec_pol p)
{
	static const char *const names[REC_POL_COUNT] = {
		"require-starttls", "encrypt", "verify", "dane", "mta-sts", "history",
	};
	return (unsigned)p < REC_POL_COUNT ? names[p] : "unknown";
}

const char *rec_pol_result_name(enum rec_pol_result r)
{
	static const char *const names[REC_POL_RESULT_COUNT] = {
		"not_applicable",
		"pass",
		"fail",
		"unknown",
	};
	return (unsigned)r < REC_POL_RESULT_COUNT ? names[r] : "unknown";
}

const char *rec_pol_reason_name(enum rec_pol_reason r)
{
	static const char *const names[REC_POL_R_COUNT] = {
		[REC_POL_R_NONE] = NULL,
		[REC_POL_R_STARTTLS_NOT_SUPPORTED] = "starttls-not-supported",
		[REC_POL_R_CERTIFICATE_EXPIRED] = "certificate-expired",
		[REC_POL_R_CERTIFICATE_HOST_MISMATCH] = "certificate-host-mismatch",
		[REC_POL_R_CERTIFICATE_NOT_TRUSTED] = "certificate-not-trusted",
		[REC_POL_R_VALIDATION_FAILURE] = "validation-failure",
		[REC_POL_R_TLSA_INVALID] = "tlsa-invalid",
		[REC_POL_R_DNSSEC_INVALID] = "dnssec-invalid",
		[REC_POL_R_DANE_REQUIRED] = "dane-required",
		[REC_POL_R_STS_POLICY_INVALID] = "sts-policy-invalid",
		[REC_POL_R_STS_WEBPKI_INVALID] = "sts-webpki-invalid",
		[REC_POL_R_STARTTLS_NOT_USED] = "starttls-not-used",
		[REC_POL_R_HANDSHAKE_FAILED] = "handshake-failed",
		[REC_POL_R_NO_LONGER_OFFERED] = "no-longer-offered",
		[REC_POL_R_NO_LONGER_VALID] = "no-longer-valid",
	};
	return (unsigned)r < REC_POL_R_COUNT ? names[r] : NULL;
}

const char *rec_pol_dir_name(enum rec_pol_dir d)
{
	static const char *const names[REC_POL_DIR_COUNT] = {
		"unknown", "inbound", "outbound", "internal", "external",
	};
	return (unsigned)d < REC_POL_DIR_COUNT ? names[d] : "unknown";
}

void rec_policy_fields(const struct rec_policy *p, const char *key, rec_field_fn fn, void *ctx)
{
	rec_f_emit(fn, ctx, key, REC_F_OBJECT, 0);
	rec_f_text(fn, ctx, "direction", rec_pol_dir_name((enum rec_pol_dir)p->direction), SIZE_MAX,
		   REC_BAD_NULL);
	for (int i = 0; i < REC_POL_COUNT; i++) {
		const char *why = rec_pol_reason_name((enum rec_pol_reason)p->reason[i]);
		rec_f_emit(fn, ctx, rec_pol_name((enum rec_pol)i), REC_F_OBJECT, 0);
		rec_f_text(fn, ctx, "result",
			   rec_pol_result_name((enum rec_pol_result)p->result[i]), SIZE_MAX,
			   REC_BAD_NULL);
		if (why)
			rec_f_text(fn, ctx, "reason", why, SIZE_MAX, REC_BAD_NULL);
		else
			rec_f_emit(fn, ctx, "reason", REC_F_NULL, 0);
		rec_f_emit(fn, ctx, NULL, REC_F_END, 0);
	}
	rec_f_emit(fn, ctx, NULL, REC_F_END, 0);
}
