// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_relay.c - the relay's fd budget (relay_limits()), the
 * rate-limited logger it uses (util/ratelog.c), and which chains carry UDP
 * (relay_udp_mode(), udp_relay_addr()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include "relay/relay.h"
#include "relay/udp.h"
#include "util/ratelog.h"

#include "tap.h"

static void test_limits(void)
{
	uint64_t share = 0, slots;

	/* 20000 - 256 - 2 * 32 = 19680 fds, 7 a slot: 2811, 1405 a subject. */
	slots = relay_limits(20000, 2, &share);
	is_int(slots, 2811, "20000 fds, 2 subjects: daemon-wide slots");
	is_int(share, 1405, "20000 fds, 2 subjects: per-subject share");
	ok(share * 2 * RELAY_SLOT_FDS + RELAY_FD_RESERVE + 2 * RELAY_FD_RESERVE_SUBJECT <= 20000,
	   "the shares and the reserve fit in the limit");
	slots = relay_limits(1024, 2, &share);
	is_int(slots, 100, "1024 fds, 2 subjects: slots");
	is_int(share, 50, "1024 fds, 2 subjects: share");
	slots = relay_limits(1024, 0, &share);
	is_int(share, slots, "no subjects counts as one");
	slots = relay_limits(100, 3, &share);
	is_int(slots, RELAY_CAP_MIN, "below the reserve: the minimum");
	is_int(share, RELAY_CAP_MIN, "below the reserve: the minimum share");
	slots = relay_limits(1u << 30, 1, &share);
	is_int(slots, RELAY_MAX_CONNS, "a huge limit stops at RELAY_MAX_CONNS");
	is_int(share, RELAY_MAX_CONNS, "one subject gets all of it");
}

/* Lines ratelog_msg() wrote to stderr while @fn ran. */
static int count_lines(const char *path, char *last, size_t len)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		n++;
		snprintf(last, len, "%s", line);
	}
	fclose(f);
	return n;
}

static void test_ratelog(void)
{
	char path[] = "/tmp/test_ratelog.XXXXXX", last[1024] = "";
	struct ratelog a = {0}, b = {0};
	int fd = mkstemp(path), saved = dup(2);

	if (!ok(fd >= 0 && saved >= 0, "temp file"))
		return;
	dup2(fd, 2);
	for (int i = 0; i < 5; i++)
		ratelog_msg(&a, LOG_LVL_WARN, "kind a %d", i);
	ratelog_msg(&b, LOG_LVL_WARN, "kind b");
	fflush(stderr);
	is_int(count_lines(path, last, sizeof(last)), 2, "one line per kind within the period");
	is_int(a.held, 4, "the others are counted");
	/* The period is over: the next line says how many were held back. */
	a.next = 1;
	ratelog_msg(&a, LOG_LVL_WARN, "kind a again");
	fflush(stderr);
	dup2(saved, 2);
	is_int(count_lines(path, last, sizeof(last)), 3, "a line again after the period");
	is_str(last, "netnsp: kind a again (4 more suppressed)\n", "with the count");
	is_int(a.held, 0, "count reset");
	close(fd);
	close(saved);
	unlink(path);
}

/* A chain of @n hops of @kinds, hop i at host @hosts[i] port 1080; hop 0 resolved. */
static void chain_make(struct relay_chain *ch, size_t n, const enum proxy_kind *kinds,
		       const char *const *hosts)
{
	struct sockaddr_in *in = (struct sockaddr_in *)&ch->first;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ch->first;

	memset(ch, 0, sizeof(*ch));
	ch->n_hops = n;
	for (size_t i = 0; i < n; i++) {
		ch->hops[i].kind = kinds[i];
		(void)proxy_target_set_host(&ch->hops[i].target, hosts[i], 1080);
	}
	if (strchr(hosts[0], ':')) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(1080);
		inet_pton(AF_INET6, hosts[0], &in6->sin6_addr);
		ch->first_len = sizeof(*in6);
	} else {
		in->sin_family = AF_INET;
		in->sin_port = htons(1080);
		inet_pton(AF_INET, hosts[0], &in->sin_addr);
		ch->first_len = sizeof(*in);
	}
}

static void test_udp_mode(void)
{
	static const enum proxy_kind s5s5[] = {PROXY_SOCKS5, PROXY_SOCKS5H},
				     s5http[] = {PROXY_SOCKS5, PROXY_HTTP}, http[] = {PROXY_HTTP},
				     s4[] = {PROXY_SOCKS4A};
	static const char *const hosts[] = {"198.51.100.2", "198.51.100.66"};
	struct relay_chain ch;
	char why[128];

	chain_make(&ch, 2, s5s5, hosts);
	is_int(relay_udp_mode(&ch, true, why, sizeof(why)), RELAY_UDP_ASSOCIATE,
	       "socks5 -> socks5h: UDP ASSOCIATE with the last hop");
	is_str(why, "SOCKS5 UDP ASSOCIATE via socks5h://198.51.100.66:1080", "... says which hop");
	is_int(relay_udp_mode(&ch, false, why, sizeof(why)), RELAY_UDP_REFUSED,
	       "udp = off refuses");
	is_str(why, "udp = off", "... and says so");
	ch.hops[0].managed = true;
	snprintf(ch.hops[0].target.name, sizeof(ch.hops[0].target.name), "tor");
	is_int(relay_udp_mode(&ch, true, why, sizeof(why)), RELAY_UDP_REFUSED,
	       "a managed tor before the last hop: refused");
	is_str(why, "UDP would go to the last hop beside managed 'tor'", "... says why");
	chain_make(&ch, 2, s5http, hosts);
	is_int(relay_udp_mode(&ch, true, why, sizeof(why)), RELAY_UDP_REFUSED,
	       "socks5 -> http: refused");
	is_str(why, "the chain's last hop: an HTTP proxy cannot carry UDP", "... says why");
	chain_make(&ch, 1, http, hosts);
	relay_udp_mode(&ch, true, why, sizeof(why));
	is_str(why, "an HTTP proxy cannot carry UDP", "one HTTP hop: refused");
	chain_make(&ch, 1, s4, hosts);
	is_int(relay_udp_mode(&ch, true, why, sizeof(why)), RELAY_UDP_REFUSED, "SOCKS4a: refused");
	ch.n_hops = 0;
	is_int(relay_udp_mode(&ch, true, why, sizeof(why)), RELAY_UDP_REFUSED, "no chain: refused");
	memset(&ch, 0, sizeof(ch));
	ch.n_hops = 1;
	ch.hops[0].kind = PROXY_DIRECT;
	ch.direct = true;
	snprintf(ch.egress_ns, sizeof(ch.egress_ns), "vpn");
	is_int(relay_udp_mode(&ch, true, why, sizeof(why)), RELAY_UDP_DIRECT,
	       "direct + netns: sent from the egress namespace");
}

/* udp_relay_addr() as "ADDR PORT", or the errno's name. */
static const char *relay_addr_text(const struct relay_chain *ch, const char *bnd, uint16_t port)
{
	static char buf[INET6_ADDRSTRLEN + 8];
	struct sockaddr_storage ss;
	struct proxy_target b;
	char a[INET6_ADDRSTRLEN];
	int r;

	(void)proxy_target_set_host(&b, bnd, port);
	r = udp_relay_addr(ch, &b, &ss);
	if (r < 0)
		return r == -EADDRNOTAVAIL ? "EADDRNOTAVAIL" : "other error";
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, a, sizeof(a));
	else
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, a, sizeof(a));
	snprintf(buf, sizeof(buf), "%s %u", a,
		 ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					       : ((struct sockaddr_in6 *)&ss)->sin6_port));
	return buf;
}

static void test_udp_relay_addr(void)
{
	static const enum proxy_kind s5[] = {PROXY_SOCKS5, PROXY_SOCKS5};
	static const char *const two[] = {"198.51.100.2", "198.51.100.66"},
				 *named[] = {"198.51.100.2", "proxy2.example"},
				 *v6[] = {"2001:db8::2"};
	struct sockaddr_un *sun;
	struct relay_chain ch;

	chain_make(&ch, 1, s5, two);
	is_str(relay_addr_text(&ch, "203.0.113.9", 4000), "203.0.113.9 4000",
	       "BND.ADDR given: used as it is");
	is_str(relay_addr_text(&ch, "0.0.0.0", 4000), "198.51.100.2 4000",
	       "one hop, BND 0.0.0.0: the address the control connection reached");
	is_str(relay_addr_text(&ch, "0.0.0.0", 0), "EADDRNOTAVAIL", "BND.PORT 0: unusable");
	is_str(relay_addr_text(&ch, "relay.example", 4000), "EADDRNOTAVAIL",
	       "BND.ADDR a name: unusable");
	chain_make(&ch, 2, s5, two);
	is_str(relay_addr_text(&ch, "0.0.0.0", 4000), "198.51.100.66 4000",
	       "two hops, BND 0.0.0.0: the last hop's configured address");
	is_str(relay_addr_text(&ch, "198.51.100.70", 4000), "198.51.100.70 4000",
	       "two hops, BND given: used as it is");
	chain_make(&ch, 2, s5, named);
	is_str(relay_addr_text(&ch, "0.0.0.0", 4000), "EADDRNOTAVAIL",
	       "two hops, BND 0.0.0.0, last hop a name: unusable (only hop 1 resolves it)");
	chain_make(&ch, 1, s5, v6);
	is_str(relay_addr_text(&ch, "::", 4000), "2001:db8::2 4000",
	       "one IPv6 hop, BND ::: the hop's address");
	sun = (struct sockaddr_un *)&ch.first;
	memset(&ch.first, 0, sizeof(ch.first));
	sun->sun_family = AF_UNIX;
	is_str(relay_addr_text(&ch, "0.0.0.0", 4000), "EADDRNOTAVAIL",
	       "a managed tor's unix socket, BND 0.0.0.0: unusable");
}

int main(void)
{
	test_limits();
	test_ratelog();
	test_udp_mode();
	test_udp_relay_addr();
	return tap_done();
}
