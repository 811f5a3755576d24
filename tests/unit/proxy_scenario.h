/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * proxy_scenario.h - the scenarios of the proxy handshake tests (test_proxy.c,
 * test_proxy_http.c): every request compared byte for byte, every reply fed
 * whole, one byte at a time and in every 2-way split; and the byte strings of
 * the addresses and SOCKS5 messages they share.
 */
#ifndef NETNSP_TEST_PROXY_SCENARIO_H
#define NETNSP_TEST_PROXY_SCENARIO_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "proxy/proxy.h"
#include "bytes.h"
#include "tap.h"

#define MISMATCH (-100000)   /* a request differed from the expected bytes */
#define SHORT_TAKE (-100001) /* feed returned 0 without taking everything */
#define BYTEWISE ((size_t)-1)

struct step {
	struct bytes req; /* what the handshake must send */
	struct bytes rep; /* what the proxy answers */
};

struct scenario {
	const char *name;
	enum proxy_kind kind;
	const char *user, *pass;
	const char *host; /* for proxy_target_set_host() */
	uint16_t port;
	struct step steps[3];
	int want;	      /* proxy_hs_feed() result at the end */
	size_t want_consumed; /* of the last reply, when want == 1 */
	int want_code;	      /* reply_code at the end */
};

/* Feed @rep in chunks: all at once, one byte at a time, or split after @split. */
static int feed_reply(struct proxy_hs *hs, struct bytes rep, size_t split, size_t *total)
{
	const uint8_t *p = rep.p;
	size_t pos = 0, c, chunk;
	int r;

	*total = 0;
	while (pos < rep.n) {
		if (split == 0)
			chunk = rep.n - pos;
		else if (split == BYTEWISE)
			chunk = 1;
		else
			chunk = pos == 0 && split < rep.n ? split : rep.n - pos;
		r = proxy_hs_feed(hs, p + pos, chunk, &c);
		*total += c;
		if (r != 0)
			return r;
		if (c != chunk)
			return SHORT_TAKE;
		pos += chunk;
	}
	return 0;
}

static int run(const struct scenario *sc, size_t split, size_t *consumed, int *code)
{
	struct proxy_target t;
	struct proxy_hs hs;
	const uint8_t *out;
	size_t n, i;
	int r;

	if (proxy_target_set_host(&t, sc->host, sc->port) < 0)
		return MISMATCH;
	r = proxy_hs_init(&hs, sc->kind, sc->user, sc->pass, &t);
	if (r < 0)
		return r;
	for (i = 0; i < 3 && sc->steps[i].req.p; i++) {
		out = proxy_hs_output(&hs, &n);
		if (n != sc->steps[i].req.n || memcmp(out, sc->steps[i].req.p, n) != 0)
			return MISMATCH;
		proxy_hs_sent(&hs, n);
		r = feed_reply(&hs, sc->steps[i].rep, split, consumed);
		if (r != 0)
			break;
	}
	*code = hs.reply_code;
	return r;
}

static size_t max_reply(const struct scenario *sc)
{
	size_t m = 0;

	for (size_t i = 0; i < 3 && sc->steps[i].req.p; i++)
		if (sc->steps[i].rep.n > m)
			m = sc->steps[i].rep.n;
	return m;
}

static int check_one(const struct scenario *sc, size_t split)
{
	size_t consumed = 0;
	int code = -1, r;

	r = run(sc, split, &consumed, &code);
	if (r != sc->want || code != sc->want_code) {
		printf("#   %s split %zu: got %d code %d, want %d code %d\n", sc->name, split, r,
		       code, sc->want, sc->want_code);
		return 0;
	}
	if (r == 1 && consumed != sc->want_consumed) {
		printf("#   %s split %zu: consumed %zu, want %zu\n", sc->name, split, consumed,
		       sc->want_consumed);
		return 0;
	}
	return 1;
}

static inline void check_scenario(const struct scenario *sc)
{
	int all = 1;

	ok(check_one(sc, 0), "%s: whole", sc->name);
	ok(check_one(sc, BYTEWISE), "%s: byte by byte", sc->name);
	for (size_t k = 1; k < max_reply(sc); k++)
		all &= check_one(sc, k);
	ok(all, "%s: every 2-way split", sc->name);
}

/* 198.51.100.7:443, 2001:db8::1 port 80, example.com:8080 */
#define V4 0xc6, 0x33, 0x64, 0x07
#define V6 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01
#define NAME 0x0b, 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c', 'o', 'm'
#define ALICE 0x01, 0x05, 'a', 'l', 'i', 'c', 'e', 0x06, 's', 'e', 'c', 'r', 'e', 't'
#define GREET_NOAUTH RAW(0x05, 0x01, 0x00)
#define GREET_AUTH RAW(0x05, 0x02, 0x00, 0x02)
#define CONNECT_V4 RAW(0x05, 0x01, 0x00, 0x01, V4, 0x01, 0xbb)
#define REP_V4(rep) RAW(0x05, rep, 0x00, 0x01, 0, 0, 0, 0, 0, 0)

#endif
