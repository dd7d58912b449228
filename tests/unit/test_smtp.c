/* Unit tests for dissectors/proto/smtp.c: framing, multi-line replies, pipelining,
 * DATA and BDAT, AUTH, the STARTTLS boundary (whole, split at every byte,
 * refused, injected), long lines, not-SMTP, and every split of a dialogue. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dissectors/proto/smtp.h"
#include "feed.h"

/* A two-direction driver on the one test feeder (tests/lib/feed.h), which
 * behaves like the reassembler: unconsumed bytes are kept and offered again
 * with the next bytes of the same direction; past the TLS boundary (SWITCH),
 * bytes are collected as "TLS bytes". */
struct drv {
	struct smtp_cfg cfg;
	struct smtp s;
	struct feed fd;
	uint8_t tls[2][8192];
	size_t tlen[2];
};

static struct dissect_result drv_on_feed(void *ctx, int dir, const uint8_t *p, size_t n)
{
	struct drv *d = ctx;
	return smtp_feed(&d->s, dir, p, n);
}

static void drv_on_gap(void *ctx, int dir, uint64_t n)
{
	struct drv *d = ctx;
	smtp_gap(&d->s, dir, n);
}

static void drv_on_passed(void *ctx, int dir, const uint8_t *p, size_t n)
{
	struct drv *d = ctx;
	assert_true(d->tlen[dir] + n <= sizeof(d->tls[dir]));
	memcpy(d->tls[dir] + d->tlen[dir], p, n);
	d->tlen[dir] += n;
}

static const struct feed_ops drv_ops = {drv_on_feed, drv_on_gap, NULL, drv_on_passed};

/* d comes from calloc; a driver is initialised again freely. */
static void drv_init(struct drv *d, int midstream)
{
	feed_free(&d->fd);
	memset(d, 0, sizeof(*d));
	d->cfg.max_line = 1024;
	smtp_init(&d->s, &d->cfg, midstream);
	assert_int_equal(feed_init(&d->fd, &drv_ops, d, 8192), 0);
}

static void drv_free(struct drv *d)
{
	assert_int_equal(d->fd.violations, 0);
	feed_free(&d->fd);
	free(d);
}

static void drv_feed(struct drv *d, int dir, const void *data, size_t n)
{
	feed_bytes(&d->fd, dir, data, n);
}

/* The other direction's held bytes are re-offered when that direction sees
 * more data; a server reply can release client bytes held before it. */
static void drv_kick(struct drv *d, int dir)
{
	feed_offer(&d->fd, dir);
}

struct step {
	int dir;
	const char *text;
	size_t len; /* 0: strlen(text) */
};

static void run_steps(struct drv *d, const struct step *st, size_t n, size_t split)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = st[i].len ? st[i].len : strlen(st[i].text);
		if (split && split < len) {
			drv_feed(d, st[i].dir, st[i].text, split);
			drv_feed(d, st[i].dir, st[i].text + split, len - split);
		} else {
			drv_feed(d, st[i].dir, st[i].text, len);
		}
		drv_kick(d, !st[i].dir);
	}
}

static const char CH[] = "\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00"; /* a tiny record */
#define CHLEN 10

static const struct step dialogue[] = {
	{1, "220 mx1.example.net ESMTP Postfix (Debian/GNU)\r\n", 0},
	{0, "EHLO client.example.org\r\n", 0},
	{1,
	 "250-mx1.example.net\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n"
	 "250-AUTH PLAIN LOGIN\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n"
	 "250-CHUNKING\r\n250 SMTPUTF8\r\n",
	 0},
	{0,
	 "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nRCPT "
	 "TO:<c@example.net>\r\nDATA\r\n",
	 0},
	{1,
	 "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 no such user\r\n354 End data with "
	 "<CR><LF>.<CR><LF>\r\n",
	 0},
	{0, "Subject: hi\r\n\r\n.leading dot\r\nbody\r\n.\r\n", 0},
	{1, "250 2.0.0 Ok: queued as 12345\r\n", 0},
	{0, "BDAT 5\r\nhelloBDAT 3 LAST\r\nabc", 0},
	{1, "250 2.0.0 5 octets\r\n250 2.0.0 queued\r\n", 0},
	{0, "STARTTLS\r\n", 0},
	{1, "220 2.0.0 Ready to start TLS\r\n", 0},
	{0, CH, CHLEN},
	{1, "\x16\x03\x03\x00\x01\x02", 6},
};

static void check_dialogue(const struct drv *d)
{
	const struct smtp_facts *f = &d->s.f;
	assert_true(f->greeting_seen);
	assert_int_equal(f->greeting_code, 220);
	assert_string_equal(f->banner, "mx1.example.net ESMTP Postfix (Debian/GNU)");
	assert_string_equal(f->server_name, "mx1.example.net");
	assert_string_equal(f->helo, "client.example.org");
	assert_int_equal(f->helo_verb, SMTP_V_EHLO + 1);
	assert_int_equal(f->ehlo_reply, 250);
	assert_int_equal(f->ncaps, 8);
	assert_string_equal(f->caps[0], "PIPELINING");
	assert_string_equal(f->caps[1], "SIZE 10240000");
	assert_string_equal(f->caps[3], "AUTH PLAIN LOGIN");
	assert_string_equal(f->caps[7], "SMTPUTF8");
	assert_true(f->starttls_offered);
	assert_true(f->starttls_requested);
	assert_int_equal(f->starttls_reply, 220);
	assert_true(f->upgraded);
	assert_int_equal(f->recipients, 1);
	assert_int_equal(f->messages, 2);
	assert_int_equal(f->messages_accepted, 2);
	assert_int_equal(f->message_bytes,
			 strlen("Subject: hi\r\n\r\n.leading dot\r\nbody\r\n") + 8);
	assert_int_equal(f->commands[SMTP_V_RCPT], 2);
	assert_int_equal(f->commands[SMTP_V_BDAT], 2);
	assert_int_equal(f->commands[SMTP_V_STARTTLS], 1);
	assert_int_equal(f->last_txn_reply, 250);
	assert_int_equal(f->last_reply, 220);
	assert_int_equal(f->injected_bytes[0], 0);
	assert_int_equal(f->injected_bytes[1], 0);
	assert_int_equal(f->unmatched_replies, 0);
	assert_string_equal(smtp_server_software(f), "Postfix");
	/* TLS starts exactly at the first byte after the boundary */
	assert_int_equal(d->tlen[0], CHLEN);
	assert_memory_equal(d->tls[0], CH, CHLEN);
	assert_int_equal(d->tlen[1], 6);
	assert_memory_equal(d->tls[1], "\x16\x03\x03", 3);
}

static void test_dialogue_whole_and_every_split(void **state)
{
	(void)state;
	struct drv *d = calloc(1, sizeof(*d));
	for (size_t split = 0; split < 200; split++) {
		drv_init(d, 0);
		run_steps(d, dialogue, sizeof(dialogue) / sizeof(dialogue[0]), split);
		check_dialogue(d);
	}
	/* byte by byte */
	drv_init(d, 0);
	for (size_t i = 0; i < sizeof(dialogue) / sizeof(dialogue[0]); i++) {
		size_t len = dialogue[i].len ? dialogue[i].len : strlen(dialogue[i].text);
		for (size_t k = 0; k < len; k++)
			drv_feed(d, dialogue[i].dir, dialogue[i].text + k, 1);
		drv_kick(d, !dialogue[i].dir);
	}
	check_dialogue(d);
	drv_free(d);
}

static void test_boundary_in_one_segment(void **state)
{
	(void)state;
	struct drv *d = calloc(1, sizeof(*d));
	drv_init(d, 0);
	static const struct step st[] = {
		{1, "220 mx ESMTP\r\n", 0},
		{0, "EHLO c\r\n", 0},
		{1, "250-mx\r\n250 STARTTLS\r\n", 0},
		{0, "STARTTLS\r\n", 0},
		/* the 220 and the first TLS bytes of the server in one segment
		 * cannot happen (the server waits for the ClientHello); the
		 * client's ClientHello right behind the 220 is normal */
		{1, "220 go ahead\r\n", 0},
		{0, "\x16\x03\x01\x00\x01\x01", 6},
	};
	run_steps(d, st, 6, 0);
	assert_true(d->s.f.upgraded);
	assert_int_equal(d->tlen[0], 6);
	assert_int_equal(d->s.f.injected_bytes[0], 0);
	drv_free(d);
}

static void test_command_injection(void **state)
{
	(void)state;
	struct drv *d = calloc(1, sizeof(*d));
	drv_init(d, 0);
	static const struct step st[] = {
		{1, "220 mx ESMTP\r\n", 0},
		{0, "EHLO c\r\n", 0},
		{1, "250-mx\r\n250 STARTTLS\r\n", 0},
		/* the NO STARTTLS attack: a command behind STARTTLS */
		{0, "STARTTLS\r\nMAIL FROM:<evil@example.org>\r\n", 0},
		{1, "220 go ahead\r\n", 0},
		{0, "\x16\x03\x01\x00\x01\x01", 6},
	};
	run_steps(d, st, 6, 0);
	assert_true(d->s.f.upgraded);
	/* The held command is the first thing past the client's boundary:
	 * the session counts it as injected (sess.c keeps the boundary). */
	assert_int_equal(d->s.f.commands[SMTP_V_MAIL], 0); /* never parsed as a command */
	size_t inj = strlen("MAIL FROM:<evil@example.org>\r\n");
	assert_int_equal(d->tlen[0], inj + 6);
	assert_memory_equal(d->tls[0], "MAIL FROM:", 10);
	assert_memory_equal(d->tls[0] + inj, "\x16\x03\x01", 3);
	drv_free(d);
}

static void test_starttls_refused(void **state)
{
	(void)state;
	struct drv *d = calloc(1, sizeof(*d));
	drv_init(d, 0);
	static const struct step st[] = {
		{1, "220 mx ESMTP\r\n", 0},
		{0, "EHLO c\r\n", 0},
		{1, "250-mx\r\n250 STARTTLS\r\n", 0},
		{0, "STARTTLS\r\n", 0},
		{1, "454 4.7.0 TLS not available due to local problem\r\n", 0},
		{0, "MAIL FROM:<a@example.org>\r\n", 0},
		{1, "250 ok\r\n", 0},
		{0, "QUIT\r\n", 0},
		{1, "221 bye\r\n", 0},
	};
	run_steps(d, st, 9, 0);
	assert_false(d->s.f.upgraded);
	assert_int_equal(d->s.f.starttls_reply, 454);
	assert_int_equal(d->s.f.commands[SMTP_V_MAIL], 1);
	assert_int_equal(d->s.f.commands[SMTP_V_QUIT], 1);
	assert_int_equal(d->s.f.last_reply, 221);
	assert_int_equal(d->tlen[0], 0);
	drv_free(d);
}

static void test_auth_exchange_and_helo(void **state)
{
	(void)state;
	struct drv *d = calloc(1, sizeof(*d));
	drv_init(d, 0);
	static const struct step st[] = {
		{1, "220 mail.example.com Microsoft ESMTP MAIL Service ready\r\n", 0},
		{0, "HELO c\r\n", 0},
		{1, "250 mail.example.com Hello\r\n", 0},
		{0, "auth login\r\n", 0},
		{1, "334 VXNlcm5hbWU6\r\n", 0},
		{0, "dXNlcg==\r\n", 0},
		{1, "334 UGFzc3dvcmQ6\r\n", 0},
		{0, "cGFzcw==\r\n", 0},
		{1, "235 2.7.0 Authentication successful\r\n", 0},
		{0, "RSET\r\n", 0},
		{1, "250 ok\r\n", 0},
	};
	run_steps(d, st, 11, 0);
	const struct smtp_facts *f = &d->s.f;
	assert_string_equal(f->auth_mech, "LOGIN");
	assert_true(f->auth_before_tls);
	assert_int_equal(f->auth_reply, 235);
	assert_int_equal(f->commands[SMTP_V_OTHER], 0); /* credentials are not commands */
	assert_int_equal(f->commands[SMTP_V_RSET], 1);
	assert_int_equal(f->helo_verb, SMTP_V_HELO + 1);
	assert_int_equal(f->helo_reply, 250);
	assert_false(f->starttls_offered);
	assert_string_equal(smtp_server_software(f), "Microsoft Exchange");
	drv_free(d);
}

static void test_long_lines_and_bare_lf(void **state)
{
	(void)state;
	struct drv *d = calloc(1, sizeof(*d));
	drv_init(d, 0);
	d->cfg.max_line = 64;
	drv_feed(d, 1, "220 mx\n", 7); /* bare LF tolerated */
	char big[300];
	memset(big, 'A', sizeof(big));
	drv_feed(d, 0, big, sizeof(big)); /* no LF, past the limit: skipped */
	drv_feed(d, 0, "AAAA\r\nEHLO c\r\n", 14);
	drv_feed(d, 1, "250 mx\n", 7);
	assert_int_equal(d->s.f.long_lines[0], 1);
	assert_string_equal(d->s.f.helo, "c");
	assert_int_equal(d->s.f.ehlo_reply, 250);
	drv_free(d);
}

static void test_not_smtp_and_implicit_tls(void **state)
{
	(void)state;
	struct drv *d = calloc(1, sizeof(*d));
	drv_init(d, 0);
	drv_feed(d, 1, "SSH-2.0-OpenSSH_9.2\r\n", 21);
	assert_true(d->s.f.not_smtp);
	assert_true(smtp_dir_is_dead(&d->s, 1));

	/* the client speaks TLS first (implicit TLS on a port not configured) */
	drv_init(d, 0);
	drv_feed(d, 0, "\x16\x03\x01\x00\x01\x01", 6);
	assert_true(d->s.f.client_implicit_tls);
	assert_true(smtp_dir_is_tls(&d->s, 0));
	assert_true(smtp_dir_is_tls(&d->s, 1));
	assert_int_equal(d->tlen[0], 6);

	/* mid-stream pickup: a reply with no greeting is not "not SMTP" */
	drv_init(d, 1);
	drv_feed(d, 1, "250 2.0.0 Ok\r\n", 14);
	drv_feed(d, 0, "QUIT\r\n", 6);
	drv_feed(d, 1, "221 bye\r\n", 9);
	assert_false(d->s.f.not_smtp);
	assert_int_equal(d->s.f.last_reply, 221);
	drv_free(d);
}

static void test_gap_resynchronises(void **state)
{
	(void)state;
	struct drv *d = calloc(1, sizeof(*d));
	drv_init(d, 0);
	drv_feed(d, 1, "220 mx\r\n", 8);
	drv_feed(d, 0, "EHLO cli", 8);
	smtp_gap(&d->s, 0, 100);
	d->fd.len[0] = 0; /* the reassembler drops the pending tail with a gap */
	drv_feed(d, 0, "ent\r\nMAIL FROM:<a@example.org>\r\n", 32);
	assert_int_equal(d->s.f.commands[SMTP_V_MAIL], 1);
	assert_int_equal(d->s.f.commands[SMTP_V_EHLO], 0);
	assert_int_equal(d->s.f.gap_bytes[0], 100);
	drv_free(d);
}

/* Each event provoked on its own and counted; the answers keep the contract. */
static void test_events(void **state)
{
	(void)state;
	struct drv *d = calloc(1, sizeof(*d));
	char big[1100];
	memset(big, 'A', sizeof(big));
	big[sizeof(big) - 1] = '\n';

	drv_init(d, 0);
	drv_feed(d, 1, "220 mx\r\n", 8);
	drv_feed(d, 0, big, sizeof(big)); /* over max_line (1024) */
	assert_int_equal(smtp_event_count(&d->s, SMTP_EV_LINE_TOO_LONG), 1);
	for (int i = 0; i < SMTP_MAX_PENDING + 3; i++)
		drv_feed(d, 0, "NOOP\r\n", 6); /* a client that never waits */
	/* the over-long line was parsed (cut) as a command too: 1 + 35 sent */
	assert_int_equal(smtp_event_count(&d->s, SMTP_EV_PENDING_FULL), 4);
	drv_feed(d, 0, "BDAT many LAST\r\n", 16);
	assert_int_equal(smtp_event_count(&d->s, SMTP_EV_BAD_BDAT), 1);
	drv_feed(d, 1, "hello there\r\n", 13);
	assert_int_equal(smtp_event_count(&d->s, SMTP_EV_NOT_REPLY), 1);
	smtp_gap(&d->s, 0, 10);
	assert_int_equal(smtp_event_count(&d->s, SMTP_EV_GAP), 1);
	assert_int_equal(smtp_event_count(&d->s, SMTP_EV_UNMATCHED_REPLY), 0);

	drv_init(d, 1); /* mid-stream: a reply nobody asked for */
	drv_feed(d, 1, "250 ok\r\n", 8);
	assert_int_equal(smtp_event_count(&d->s, SMTP_EV_UNMATCHED_REPLY), 1);
	assert_int_equal(smtp_event_count(&d->s, SMTP_EV_NOT_SMTP), 0);

	drv_init(d, 0);
	struct dissect_result r = smtp_feed(&d->s, 1, (const uint8_t *)"SSH-2.0-x\r\n", 11);
	assert_int_equal(r.status, DISSECT_INVALID);
	assert_int_equal(r.consumed, 11);
	assert_int_equal(smtp_event_count(&d->s, SMTP_EV_NOT_SMTP), 1);

	/* a partial line asks for more than it was given */
	drv_init(d, 0);
	r = smtp_feed(&d->s, 1, (const uint8_t *)"220 mx", 6);
	assert_int_equal(r.status, DISSECT_NEED_MORE);
	assert_int_equal(r.consumed, 0);
	assert_false(dissect_violation(&r, 6));
	for (int e = 0; e < SMTP_EV_COUNT; e++) {
		assert_non_null(smtp_event_name((enum smtp_event)e));
		for (int k = 0; k < e; k++)
			assert_string_not_equal(smtp_event_name((enum smtp_event)e),
						smtp_event_name((enum smtp_event)k));
	}
	drv_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dialogue_whole_and_every_split),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_boundary_in_one_segment),
		cmocka_unit_test(test_command_injection),
		cmocka_unit_test(test_starttls_refused),
		cmocka_unit_test(test_auth_exchange_and_helo),
		cmocka_unit_test(test_long_lines_and_bare_lf),
		cmocka_unit_test(test_not_smtp_and_implicit_tls),
		cmocka_unit_test(test_gap_resynchronises),
	};
	return cmocka_run_group_tests_name("smtp", tests, NULL, NULL);
}
