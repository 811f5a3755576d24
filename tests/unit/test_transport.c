/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_transport.c - what the daemon makes of a managed child's log pipe
 * (transport_feed()): lines cut anywhere by read(), i2pd's colour codes,
 * control bytes, overlong lines, and tor's bootstrap progress.
 */
#include <stdio.h>
#include <string.h>

#include "daemon/transport.h"
#include "tap.h"
#include "util/log.h"

static char got[8][TRANSPORT_LINE_MAX];
static size_t n_got;

static void record(struct transport *t, const char *msg)
{
	(void)t;
	if (n_got < 8)
		snprintf(got[n_got], sizeof(got[0]), "%s", msg);
	n_got++;
}

static void reset(struct transport *t, struct transport_ops *ops, const struct transport_ops *k,
		  bool keep_parser)
{
	*ops = *k;
	if (!keep_parser)
		ops->log_line = record;
	memset(t, 0, sizeof(*t));
	t->ops = ops;
	t->bootstrap = -1;
	n_got = 0;
}

static void feed(struct transport *t, const char *s)
{
	transport_feed(t, s, strlen(s));
}

int main(void)
{
	static struct transport t;
	struct transport_ops ops;
	char big[3000];

	log_set_level(LOG_LVL_ERR);
	reset(&t, &ops, &i2p_ops, false);
	feed(&t, "18:25:58@305/\033[1;33mwa");
	is_int(n_got, 0, "no line before its newline");
	feed(&t, "rn\033[0m - I2PService: Remote destination not found: x.i2p\nnext");
	is_int(n_got, 1, "a line cut in two by read() is one line");
	is_str(got[0], "18:25:58@305/warn - I2PService: Remote destination not found: x.i2p",
	       "colour codes stripped");
	is_int(t.line_len, 4, "the rest waits for its newline");
	feed(&t, "\a\r\x7f tail\n");
	is_str(got[1], "next??? tail", "other control bytes become '?'");

	reset(&t, &ops, &i2p_ops, false);
	memset(big, 'a', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	feed(&t, big);
	is_int(n_got, 3, "a 2998-byte line is logged in 1023-byte parts");
	is_int(strlen(got[0]), TRANSPORT_LINE_MAX - 1, "first part full");
	is_int(strlen(got[2]), 2998 - 2 * (TRANSPORT_LINE_MAX - 1), "last part the rest");

	reset(&t, &ops, &tor_ops, true);
	feed(&t, "Dec 04 15:00:00.000 [notice] Bootstrapped 45% (loading_descriptors): x\n");
	is_int(t.bootstrap, 45, "tor: Bootstrapped 45%%");
	is_int(t.state, TRANSPORT_STOPPED, "tor: not ready below 100%%");
	is_str(t.phase, "Bootstrapped 45% (loading_descriptors): x", "tor: phase is the line");
	feed(&t, "Dec 04 15:00:01.000 [notice] Bootstrapped 101% (bogus)\n");
	is_int(t.bootstrap, 45, "tor: 101%% is ignored");
	t.backoff = 8;
	t.state = TRANSPORT_STARTING;
	feed(&t, "Dec 04 15:00:02.000 [notice] Bootstrapped 100% (done): Done\n");
	is_int(t.bootstrap, 100, "tor: 100%%");
	is_int(t.state, TRANSPORT_RUNNING, "tor: bootstrapped, starting -> running");
	is_int(t.backoff, 0, "tor: bootstrapped, the backoff starts afresh");
	return tap_done();
}
