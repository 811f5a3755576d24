/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_nft.c - the subject's nft ruleset text (pure, no root).
 */
#include <errno.h>
#include <string.h>

#include "netlink/nl.h"
#include "nft/nft.h"
#include "tap.h"

static bool has(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

/* Index of the line containing @needle, -1 if none (to check rule order). */
static long line_of(const char *text, const char *needle)
{
	const char *p = strstr(text, needle);
	long n = 0;

	if (!p)
		return -1;
	for (const char *q = text; q < p; q++)
		n += *q == '\n';
	return n;
}

static void test_ipv6_on(void)
{
	struct nft_subject c = {.tcp_port = 40123, .fwmark = NETNSP_FWMARK, .ipv6 = true};
	char buf[4096];
	int n = nft_subject_ruleset(&c, buf, sizeof(buf));

	ok(n > 0 && (size_t)n == strlen(buf), "ruleset length %d matches text", n);
	ok(strncmp(buf, "table inet netnsp {\n", 20) == 0, "starts with table inet netnsp");
	ok(has(buf, "meta mark set 0x00004e53"), "marks with NETNSP_FWMARK");
	ok(has(buf, "meta mark != 0x00004e53 accept"), "prerouting skips unmarked");
	ok(has(buf, "meta mark 0x00004e53 accept"), "output accepts marked");
	ok(has(buf, "tproxy ip to 127.0.0.1:40123 accept"), "IPv4 tproxy to the port");
	ok(has(buf, "tproxy ip6 to [::1]:40123 accept"), "IPv6 tproxy to the port");
	ok(has(buf, "reject with tcp reset"), "TCP not taken is reset");
	ok(has(buf, "type route hook output priority mangle"), "route chain re-routes marks");
	ok(has(buf, "type filter hook prerouting priority mangle"), "prerouting chain");
	ok(!has(buf, "meta nfproto ipv6 reject"), "ipv6 on: IPv6 not rejected");
	ok(has(buf, "meta l4proto udp reject"), "UDP rejected in output");
	/* Local destinations must be accepted before marking / rejecting. */
	ok(line_of(buf, "fib daddr type local accept") >= 0 &&
		   line_of(buf, "fib daddr type local accept") < line_of(buf, "meta mark set"),
	   "local accepted before mark");
	ok(line_of(buf, "\t\tmeta l4proto udp reject") <
		   line_of(buf, "\t\tmeta mark 0x00004e53 accept"),
	   "UDP rejected before marked accept");
}

/* out_mark marks TCP only; UDP passes only if the liveness table marked it. */
static void test_out_mark(void)
{
	struct nft_subject c = {.tcp_port = 1,
				.fwmark = NETNSP_FWMARK,
				.ipv6 = true,
				.dns_port = 53,
				.udp_port = 1};
	char buf[4096];
	const char *mark;
	long tcp, udp_ok, udp_rej, end;

	ok(nft_subject_ruleset(&c, buf, sizeof(buf)) > 0, "udp on: ruleset built");
	mark = strstr(buf, "chain out_mark");
	ok(mark != NULL, "has out_mark");
	if (!mark)
		return;
	tcp = line_of(mark, "meta l4proto tcp meta mark set 0x00004e53 accept");
	udp_ok = line_of(mark, "meta l4proto udp meta mark 0x00004e53 accept");
	udp_rej = line_of(mark, "meta l4proto udp reject");
	end = line_of(mark, "\t}");
	ok(tcp > line_of(mark, "fib daddr type local accept"), "out_mark: local before TCP mark");
	ok(tcp > 0 && tcp < end, "out_mark: TCP marked");
	ok(udp_ok > 0 && udp_ok < udp_rej && udp_rej < end,
	   "out_mark: marked UDP accepted, then unmarked UDP rejected (no daemon)");
	ok(!has(buf, "udp meta mark set") && !has(buf, "{ tcp, udp } meta mark set"),
	   "the subject's table never marks UDP itself");
	ok(!has(buf, "netnsp_live"), "the liveness table is not in the subject's table");
}

static void test_live(void)
{
	char buf[1024], small[32];
	long local, udp;
	int n = nft_live_ruleset(NETNSP_FWMARK, buf, sizeof(buf));

	ok(n > 0 && (size_t)n == strlen(buf), "live: length %d matches text", n);
	ok(strncmp(buf, "table inet netnsp_live {\n", 25) == 0, "live: table inet netnsp_live");
	ok(has(buf, "\tflags owner\n"), "live: owned by the daemon's socket");
	ok(has(buf, "type route hook output priority mangle - 1;"),
	   "live: a route chain just before out_mark");
	local = line_of(buf, "fib daddr type local accept");
	udp = line_of(buf, "meta l4proto udp meta mark set 0x00004e53\n");
	ok(local > 0 && local < udp, "live: local destinations pass before UDP is marked");
	ok(!has(buf, "tcp"), "live: TCP is not its business");
	is_int(nft_live_ruleset(NETNSP_FWMARK, small, sizeof(small)), -ENOSPC,
	       "live: small buffer: -ENOSPC");
	is_int(small[0], '\0', "live: small buffer left empty");
}

static void test_ipv6_off(void)
{
	struct nft_subject c = {.tcp_port = 1, .fwmark = 0x1, .ipv6 = false};
	char buf[4096];
	long local_filter, v6;
	const char *filter;

	ok(nft_subject_ruleset(&c, buf, sizeof(buf)) > 0, "ipv6 off: ruleset built");
	ok(has(buf, "meta nfproto ipv6 reject\n"), "ipv6 off: IPv6 rejected");
	ok(has(buf, "tproxy ip to 127.0.0.1:1 accept"), "port 1");
	ok(has(buf, "meta mark set 0x00000001"), "mark 0x1");
	filter = strstr(buf, "chain out_filter");
	ok(filter != NULL, "has out_filter");
	if (!filter)
		return;
	local_filter = line_of(filter, "fib daddr type local accept");
	v6 = line_of(filter, "meta nfproto ipv6 reject\n");
	ok(local_filter >= 0 && local_filter < v6, "ipv6 off: ::1 still accepted (local first)");
	ok(v6 < line_of(filter, "meta mark 0x00000001 accept"),
	   "ipv6 rejected before marked accept");
}

static void test_nospace(void)
{
	struct nft_subject c = {.tcp_port = 40123, .fwmark = NETNSP_FWMARK, .ipv6 = true};
	char big[4096], small[64];
	int n = nft_subject_ruleset(&c, big, sizeof(big));

	is_int(nft_subject_ruleset(&c, small, sizeof(small)), -ENOSPC, "small buffer: -ENOSPC");
	is_int(nft_subject_ruleset(&c, big, (size_t)n), -ENOSPC, "no room for NUL: -ENOSPC");
	is_int(nft_subject_ruleset(&c, big, (size_t)n + 1), n, "exact fit");
}

int main(void)
{
	test_ipv6_on();
	test_ipv6_off();
	test_out_mark();
	test_live();
	test_nospace();
	return tap_done();
}
