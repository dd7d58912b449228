/* policy.c — the policy dry-run of one connection (policy.h; every rule is
 * stated in docs/policy.md). */
#include "stats/sinks/policy.h"

#include <string.h>

#include "analyzer/session/dane.h"

enum rec_pol_dir policy_direction(const struct geo *g, const struct rec *r)
{
	if (!g || g->nnets == 0)
		return REC_POL_DIR_UNKNOWN;
	switch (geo_direction(g, r)) {
	case GEO_DIR_INBOUND: return REC_POL_DIR_INBOUND;
	case GEO_DIR_OUTBOUND: return REC_POL_DIR_OUTBOUND;
	case GEO_DIR_INTERNAL: return REC_POL_DIR_INTERNAL;
	case GEO_DIR_EXTERNAL: return REC_POL_DIR_EXTERNAL;
	}
	return REC_POL_DIR_UNKNOWN;
}

static void policy_set(struct rec_policy *p, enum rec_pol pol, enum rec_pol_result res,
		       enum rec_pol_reason why)
{
	p->result[pol] = (uint8_t)res;
	p->reason[pol] = (uint8_t)(res == REC_POL_FAIL ? why : REC_POL_R_NONE);
}

/* Whether TLS was established: pass, fail (why says how it was not), or
 * unknown (no SMTP and no TLS seen: nothing to judge). */
static enum rec_pol_result policy_tls(const struct rec *r, enum rec_pol_reason *why)
{
	const struct smtp_facts *m = &r->smtp;
	*why = REC_POL_R_NONE;
	switch ((enum rec_enc)r->encryption) {
	case REC_ENC_STARTTLS:
	case REC_ENC_TLS_UNKNOWN_START: return REC_POL_PASS;
	case REC_ENC_IMPLICIT_TLS:
		if (r->tls_valid && !r->tls.established) {
			*why = REC_POL_R_HANDSHAKE_FAILED;
			return REC_POL_FAIL;
		}
		return REC_POL_PASS;
	case REC_ENC_STARTTLS_REFUSED:
	case REC_ENC_STARTTLS_FAILED: *why = REC_POL_R_HANDSHAKE_FAILED; return REC_POL_FAIL;
	case REC_ENC_PLAINTEXT:
		/* a head-only record shows plain text, not whether STARTTLS was
		 * offered: the failure has no reason then */
		if (r->head_only)
			*why = REC_POL_R_NONE;
		else
			*why = r->smtp_valid && m->starttls_offered
				       ? REC_POL_R_STARTTLS_NOT_USED
				       : REC_POL_R_STARTTLS_NOT_SUPPORTED;
		return REC_POL_FAIL;
	case REC_ENC_UNKNOWN:
	case REC_ENC_COUNT: break;
	}
	return REC_POL_UNKNOWN;
}

/* The WebPKI check of a verifying MTA: the chain under the trust store,
 * then the name (the SNI, else the MX host the DNS view names). */
static enum rec_pol_result policy_webpki(const struct rec *r, enum rec_pol_reason *why)
{
	const struct cert_facts *c = &r->cert;
	const struct rec_dns *d = &r->dns;
	*why = REC_POL_R_NONE;
	if (!c->present)
		return REC_POL_UNKNOWN; /* TLS 1.3 hid it, and none could be inferred */
	if (strcmp(c->validation, "valid") != 0) {
		static const char *const untrusted[] = {
			"self_signed", "self_signed_in_chain",	"unable_to_get_issuer",
			"untrusted",   "unable_to_verify_leaf",
		};
		*why = REC_POL_R_VALIDATION_FAILURE;
		if (strcmp(c->validation, "expired") == 0)
			*why = REC_POL_R_CERTIFICATE_EXPIRED;
		for (size_t i = 0; i < sizeof(untrusted) / sizeof(untrusted[0]); i++)
			if (strcmp(c->validation, untrusted[i]) == 0)
				*why = REC_POL_R_CERTIFICATE_NOT_TRUSTED;
		return REC_POL_FAIL;
	}
	int match = -1;
	if (c->hostname_source == CERT_NAME_SNI)
		match = c->hostname_match;
	else if (d->present && d->mx_src == REC_MX_DNS && d->mx_host[0])
		match = dane_name_in_cert(c->san, c->subject, d->mx_host);
	if (match < 0)
		return REC_POL_UNKNOWN; /* no name a sending MTA would have checked */
	if (match == 0) {
		*why = REC_POL_R_CERTIFICATE_HOST_MISMATCH;
		return REC_POL_FAIL;
	}
	return REC_POL_PASS;
}

/* RFC 7672: mandatory where secure TLSA records exist, usable or not. */
static void policy_dane(const struct rec *r, enum rec_pol_result tls, struct rec_policy *p)
{
	const struct rec_dns *d = &r->dns;
	if (!d->present || !d->mx_host[0]) {
		policy_set(p, REC_POL_DANE, REC_POL_UNKNOWN, REC_POL_R_NONE);
		return;
	}
	switch ((enum rec_dane)d->dane) {
	case REC_DANE_NONE:
		/* no TLSA records known: absent is opportunistic TLS, unseen
		 * is a lookup the view never saw */
		policy_set(p, REC_POL_DANE,
			   d->tlsa_state == REC_TLSA_ABSENT ? REC_POL_NA : REC_POL_UNKNOWN,
			   REC_POL_R_NONE);
		return;
	case REC_DANE_INSECURE: policy_set(p, REC_POL_DANE, REC_POL_NA, REC_POL_R_NONE); return;
	case REC_DANE_BOGUS:
		policy_set(p, REC_POL_DANE, REC_POL_FAIL, REC_POL_R_DNSSEC_INVALID);
		return;
	case REC_DANE_MATCH:
	case REC_DANE_MISMATCH:
	case REC_DANE_UNUSABLE:
	case REC_DANE_UNKNOWN:
	case REC_DANE_NO_TLS: break;
	case REC_DANE_COUNT:
	default: policy_set(p, REC_POL_DANE, REC_POL_UNKNOWN, REC_POL_R_NONE); return;
	}
	if (tls == REC_POL_UNKNOWN)
		policy_set(p, REC_POL_DANE, REC_POL_UNKNOWN, REC_POL_R_NONE);
	else if (tls == REC_POL_FAIL || d->dane == REC_DANE_NO_TLS)
		policy_set(p, REC_POL_DANE, REC_POL_FAIL, REC_POL_R_DANE_REQUIRED);
	else if (d->dane == REC_DANE_MISMATCH)
		policy_set(p, REC_POL_DANE, REC_POL_FAIL, REC_POL_R_TLSA_INVALID);
	else if (d->dane == REC_DANE_UNKNOWN)
		policy_set(p, REC_POL_DANE, REC_POL_UNKNOWN, REC_POL_R_NONE);
	else /* a match; or no usable record: TLS is all that is required */
		policy_set(p, REC_POL_DANE, REC_POL_PASS, REC_POL_R_NONE);
}

/* RFC 8461, enforce-mode policies only (testing mode refuses nothing). */
static void policy_sts(const struct rec *r, enum rec_pol_reason tls_why, struct rec_policy *p)
{
	const struct rec_dns *d = &r->dns;
	enum rec_pol_result res = REC_POL_UNKNOWN;
	enum rec_pol_reason why = REC_POL_R_NONE;
	if (!d->present || !d->mx_host[0]) {
		policy_set(p, REC_POL_MTA_STS, res, why);
		return;
	}
	if (d->sts == REC_STS_NONE)
		res = REC_POL_NA;
	else if (!d->sts_policy_known)
		res = REC_POL_UNKNOWN; /* announced, policy not given */
	else if (d->sts_policy.mode != MTASTS_MODE_ENFORCE)
		res = REC_POL_NA;
	else if (d->sts == REC_STS_PASS)
		res = REC_POL_PASS;
	else if (d->sts == REC_STS_FAIL) {
		res = REC_POL_FAIL;
		switch ((enum rec_sts_why)d->sts_why) {
		case REC_STS_WHY_MX_MISMATCH: why = REC_POL_R_STS_POLICY_INVALID; break;
		/* The MX's certificate failing the policy's checks is a
		 * negotiation failure (RFC 8460 §4.3.1); sts-webpki-invalid
		 * is for the policy fetch itself (§4.3.2), never seen here. */
		case REC_STS_WHY_CHAIN: why = REC_POL_R_CERTIFICATE_NOT_TRUSTED; break;
		case REC_STS_WHY_NAME: why = REC_POL_R_CERTIFICATE_HOST_MISMATCH; break;
		case REC_STS_WHY_EXPIRED: why = REC_POL_R_CERTIFICATE_EXPIRED; break;
		case REC_STS_WHY_NO_TLS:
			why = tls_why != REC_POL_R_NONE ? tls_why
			      : r->head_only		? REC_POL_R_NONE
							: REC_POL_R_STARTTLS_NOT_SUPPORTED;
			break;
		case REC_STS_WHY_NONE:
		case REC_STS_WHY_COUNT:
		default: why = REC_POL_R_VALIDATION_FAILURE; break;
		}
	}
	policy_set(p, REC_POL_MTA_STS, res, why);
}

/* A server that offered STARTTLS, or showed a valid chain, before must do
 * so again. */
static void policy_history(const struct rec *r, enum rec_pol_result tls,
			   enum rec_pol_reason tls_why, const struct anom_past *past,
			   struct rec_policy *p)
{
	if (!past || (!past->connections && !past->key_known)) {
		policy_set(p, REC_POL_HISTORY, REC_POL_NA, REC_POL_R_NONE); /* first contact */
		return;
	}
	if (tls == REC_POL_UNKNOWN) {
		policy_set(p, REC_POL_HISTORY, REC_POL_UNKNOWN, REC_POL_R_NONE);
		return;
	}
	if (tls == REC_POL_FAIL && past->starttls_offered) {
		int offered_now = r->smtp_valid && r->smtp.starttls_offered;
		policy_set(p, REC_POL_HISTORY, REC_POL_FAIL,
			   offered_now ? tls_why : REC_POL_R_NO_LONGER_OFFERED);
		return;
	}
	if (tls == REC_POL_PASS && past->key_valid) {
		if (!r->cert.present) {
			policy_set(p, REC_POL_HISTORY, REC_POL_UNKNOWN, REC_POL_R_NONE);
			return;
		}
		if (strcmp(r->cert.validation, "valid") != 0) {
			policy_set(p, REC_POL_HISTORY, REC_POL_FAIL, REC_POL_R_NO_LONGER_VALID);
			return;
		}
	}
	policy_set(p, REC_POL_HISTORY, REC_POL_PASS, REC_POL_R_NONE);
}

void policy_judge_with(const struct rec *r, enum rec_pol_dir dir, const struct anom_past *past,
		       struct rec_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->judged = 1;
	p->direction = (uint8_t)dir;
	/* the inbound policy where the server is local, the outbound ones
	 * where the client is; every one when the direction is unknown */
	int in = dir == REC_POL_DIR_UNKNOWN || dir == REC_POL_DIR_INBOUND ||
		 dir == REC_POL_DIR_INTERNAL;
	int out = dir == REC_POL_DIR_UNKNOWN || dir == REC_POL_DIR_OUTBOUND ||
		  dir == REC_POL_DIR_INTERNAL;
	enum rec_pol_reason why;
	enum rec_pol_result tls = policy_tls(r, &why);
	if (in)
		policy_set(p, REC_POL_REQUIRE_STARTTLS, tls, why);
	if (!out)
		return;
	policy_set(p, REC_POL_ENCRYPT, tls, why);
	if (tls == REC_POL_PASS) {
		enum rec_pol_reason cw;
		enum rec_pol_result cr = policy_webpki(r, &cw);
		policy_set(p, REC_POL_VERIFY, cr, cw);
	} else {
		policy_set(p, REC_POL_VERIFY, tls, why);
	}
	policy_dane(r, tls, p);
	policy_sts(r, why, p);
	policy_history(r, tls, why, past, p);
}

void policy_judge(const struct geo *g, struct anom *a, const struct rec *r, struct rec_policy *out)
{
	struct anom_past past;
	anom_past(a, r, &past);
	policy_judge_with(r, policy_direction(g, r), &past, out);
}
