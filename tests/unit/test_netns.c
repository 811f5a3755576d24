/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_netns.c - namespaces, netlink and nft against the real kernel (root).
 *
 *   root netns (this test)                 nsptest-PID-a
 *   ----------------------                 ---------------------------------------
 *   sockets made in "a" via netns_socket   lo up; nsp-up0 <-veth-> nsp-up1 (both in a)
 *   are driven from here                   198.51.100.1/32, 2001:db8:1::1/128 on nsp-up0
 *                                          default dev nsp-up0; fwmark -> table -> lo
 *                                          udp/icmp -> table 20052: unreachable default
 *                                          table inet netnsp: tproxy to 127.0.0.1/::1:PORT
 *
 * Only loopback inside the throwaway namespace carries traffic: the
 * destinations 203.0.113.7 and 2001:db8::7 are never reached, tproxy takes
 * the packets at lo.  Every exit path (return, exit, SIGTERM/SIGINT from
 * meson's timeout) deletes the namespaces this run created.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <linux/fib_rules.h>

#include "netlink/nl-internal.h"
#include "netlink/nl.h"
#include "netns/netns.h"
#include "netns_probe.h"
#include "nft/nft.h"
#include <nftables/libnftables.h>
#include "tap.h"

static char ns_a[64], ns_junk[64];

static void cleanup(void)
{
	char path[128];

	if (ns_a[0])
		(void)netns_delete_named(ns_a);
	if (ns_junk[0]) {
		snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, ns_junk);
		(void)unlink(path);
	}
}

static void on_signal(int sig)
{
	cleanup();
	_exit(128 + sig);
}

struct inspect {
	size_t addrs, link_local, rules4, rules6, refuse4, refuse6;
	int uplink;
	bool broken_extra; /* in: add a stale address and a duplicate rule */
};

static size_t count_ours(const struct nl_rule *r, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += r[i].prio == NETNSP_RULE_PRIO || r[i].table == NETNSP_RT_TABLE;
	return k;
}

static size_t count_refuse(const struct nl_rule *r, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += r[i].prio == NETNSP_RULE_PRIO_REFUSE || r[i].table == NETNSP_RT_TABLE_REFUSE;
	return k;
}

static int inspect_in(void *arg)
{
	struct inspect *in = arg;
	struct nl_sock s;
	struct nl_addr a[NL_MAX_ADDRS];
	struct nl_rule ru[NL_MAX_RULES];
	size_t n, i;
	int r;

	if ((r = nl_sock_open(&s)) < 0)
		return r;
	in->uplink = nl_link_index(&s, UPLINK_DEV);
	in->addrs = in->link_local = 0;
	if (in->uplink > 0 && nl_addr_dump(&s, in->uplink, a, &n) == 0)
		for (i = 0; i < n; i++) {
			bool ll = a[i].family == AF_INET6 && IN6_IS_ADDR_LINKLOCAL(&a[i].a.v6);

			in->link_local += ll;
			in->addrs += !ll;
		}
	r = nl_rule_dump(&s, AF_INET, ru, &n);
	in->rules4 = r == 0 ? count_ours(ru, n) : 99;
	in->refuse4 = r == 0 ? count_refuse(ru, n) : 99;
	r = nl_rule_dump(&s, AF_INET6, ru, &n);
	in->rules6 = r == 0 ? count_ours(ru, n) : 99;
	in->refuse6 = r == 0 ? count_refuse(ru, n) : 99;
	nl_sock_close(&s);
	return 0;
}

static int break_in(void *arg)
{
	const struct nl_rule dup = {AF_INET,	 NETNSP_RULE_PRIO, NETNSP_FWMARK,
				    0xffffffffu, NETNSP_RT_TABLE,  FR_ACT_TO_TBL};
	const struct nl_rule other = {AF_INET6, NETNSP_RULE_PRIO, 0, 0, 254, FR_ACT_TO_TBL};
	const struct nl_rule dup_icmp = {.family = AF_INET,
					 .prio = NETNSP_RULE_PRIO_REFUSE,
					 .table = NETNSP_RT_TABLE_REFUSE,
					 .action = FR_ACT_TO_TBL,
					 .ip_proto = IPPROTO_ICMP};
	const struct nl_rule stale_dns = {.family = AF_INET6,
					  .prio = NETNSP_RULE_PRIO_REFUSE,
					  .table = NETNSP_RT_TABLE_REFUSE,
					  .action = FR_ACT_TO_TBL,
					  .ip_proto = IPPROTO_UDP,
					  .dport_start = 54,
					  .dport_end = 65534};
	struct nl_addr stale = {.family = AF_INET, .prefixlen = 24};
	struct nl_sock s;
	int r;

	if ((r = nl_sock_open(&s)) < 0)
		return r;
	stale.index = nl_link_index(&s, UPLINK_DEV);
	inet_pton(AF_INET, "198.51.100.99", &stale.a.v4);
	r = nl_addr_add(&s, &stale);
	if (r == 0)
		r = nl_rule_add(&s, &dup);
	if (r == 0)
		r = nl_rule_add(&s, &other);
	if (r == 0)
		r = nl_rule_add(&s, &dup_icmp);
	if (r == 0)
		r = nl_rule_add(&s, &stale_dns);
	nl_sock_close(&s);
	return r;
}

static int delete_veth_in(void *arg)
{
	struct nl_sock s;
	int r, idx;

	if ((r = nl_sock_open(&s)) < 0)
		return r;
	idx = nl_link_index(&s, *(const char **)arg);
	r = idx < 0 ? idx : nl_link_del(&s, idx);
	nl_sock_close(&s);
	return r;
}

/* Replace the uplink by a veth whose peer has another name. */
static int foreign_veth_in(void *arg)
{
	const char *uplink = UPLINK_DEV;
	struct nl_sock s;
	int r = delete_veth_in(&uplink);

	(void)arg;
	if (r < 0 || (r = nl_sock_open(&s)) < 0)
		return r;
	r = nl_link_add_veth(&s, UPLINK_DEV, "nsptest-x");
	nl_sock_close(&s);
	return r;
}

static int link_exists_in(void *arg)
{
	struct nl_sock s;
	int r;

	if ((r = nl_sock_open(&s)) < 0)
		return r;
	r = nl_link_index(&s, arg);
	nl_sock_close(&s);
	return r;
}

/* `nft flush table inet netnsp` by hand: chains stay, rules go. */
static int nft_flush_in(void *arg)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	int r;

	if (!ctx)
		return -ENOMEM;
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	r = nft_run_cmd_from_buffer(ctx, "flush table inet netnsp\n") == 0 ? 0 : -EIO;
	nft_ctx_free(ctx);
	return r;
}

/* Delete the refusal rules (arg NULL) or the unreachable routes (arg non-NULL) by hand. */
static int unrefuse_in(void *arg)
{
	struct nl_rule ru[NL_MAX_RULES];
	struct nl_sock s;
	size_t n, i;
	int r, fam;

	if ((r = nl_sock_open(&s)) < 0)
		return r;
	for (fam = 0; r == 0 && fam < 2; fam++) {
		const struct nl_route rt = {fam ? AF_INET6 : AF_INET, NETNSP_RT_TABLE_REFUSE,
					    RTN_UNREACHABLE, RT_SCOPE_UNIVERSE, 0};

		if (arg) {
			r = nl_route_del(&s, &rt);
			continue;
		}
		r = nl_rule_dump(&s, rt.family, ru, &n);
		for (i = 0; r == 0 && i < n; i++)
			if (ru[i].prio == NETNSP_RULE_PRIO_REFUSE)
				r = nl_rule_del(&s, &ru[i]);
	}
	nl_sock_close(&s);
	return r;
}

/* Add `ipproto udp` (no port range) at the refusal priority, after what is there. */
static int add_plain_udp_in(void *arg)
{
	const struct nl_rule plain = {.family = AF_INET,
				      .prio = NETNSP_RULE_PRIO_REFUSE,
				      .table = NETNSP_RT_TABLE_REFUSE,
				      .action = FR_ACT_TO_TBL,
				      .ip_proto = IPPROTO_UDP};
	struct nl_sock s;
	int r;

	if ((r = nl_sock_open(&s)) < 0)
		return r;
	r = nl_rule_add(&s, &plain);
	nl_sock_close(&s);
	return r;
}

static void check_state(int nsfd, const char *when)
{
	struct inspect in = {0};

	is_int(netns_run_in(nsfd, inspect_in, &in), 0, "%s: inspect", when);
	ok(in.uplink > 0, "%s: %s exists", when, UPLINK_DEV);
	is_int(in.addrs, 2, "%s: exactly the two uplink addresses", when);
	is_int(in.rules4, 1, "%s: exactly one IPv4 fwmark rule", when);
	is_int(in.rules6, 1, "%s: exactly one IPv6 fwmark rule", when);
	is_int(in.refuse4, 2, "%s: exactly two IPv4 refusal rules (udp, icmp)", when);
	is_int(in.refuse6, 2, "%s: exactly two IPv6 refusal rules (udp, ipv6-icmp)", when);
}

static int converge_net(int nsfd, unsigned int allow, const char *when)
{
	struct subject_net net = {.allow = allow};
	char err[256] = "";
	int r;

	inet_pton(AF_INET, "198.51.100.1", &net.v4);
	inet_pton(AF_INET6, "2001:db8:1::1", &net.v6);
	r = nl_subject_converge(nsfd, &net, err, sizeof(err));
	is_int(r, 0, "%s: nl_subject_converge (%s)", when, err);
	return r;
}

static int converge_all(int nsfd, uint16_t port, bool ipv6, const char *when)
{
	struct subject_net net = {0};
	struct nft_subject c = {.tcp_port = port, .fwmark = NETNSP_FWMARK, .ipv6 = ipv6};
	char err[256] = "";
	int r;

	inet_pton(AF_INET, "198.51.100.1", &net.v4);
	inet_pton(AF_INET6, "2001:db8:1::1", &net.v6);
	r = nl_subject_converge(nsfd, &net, err, sizeof(err));
	is_int(r, 0, "%s: nl_subject_converge (%s)", when, err);
	if (r == 0) {
		r = nft_subject_converge(nsfd, &c, err, sizeof(err));
		is_int(r, 0, "%s: nft_subject_converge (%s)", when, err);
	}
	return r;
}

/* A failing request: the kernel's errno and its extended-ack text come back. */
static int extack_in(void *arg)
{
	struct nl_addr bad = {.family = AF_INET, .index = 0x7ffffff0, .prefixlen = 32};
	char *text = arg;
	struct nl_sock s;
	int r;

	inet_pton(AF_INET, "198.51.100.77", &bad.a.v4);
	if ((r = nl_sock_open(&s)) < 0)
		return r;
	r = nl_addr_add(&s, &bad);
	snprintf(text, 160, "%s", s.ext);
	nl_sock_close(&s);
	return r;
}

static void test_errors(int nsfd)
{
	struct subject_net net = {0};
	struct nft_subject c = {.tcp_port = 1, .fwmark = 1};
	char text[160] = "", err[160] = "";
	int notns = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	is_int(netns_run_in(nsfd, extack_in, text), -ENODEV, "address on a missing link: -ENODEV");
	ok(text[0] != '\0', "extack text kept: \"%s\"", text);
	is_int(nl_subject_converge(notns, &net, err, sizeof(err)), -EINVAL,
	       "converge into a non-namespace fd: -EINVAL from setns");
	is_int(nft_subject_converge(notns, &c, err, sizeof(err)), -EINVAL, "nft likewise");
	is_int(netns_run_in(-1, extack_in, text), -EBADF, "run_in(-1): -EBADF");
	is_int(netns_ident_fd(notns, &(struct ns_ident){0}), -EINVAL,
	       "ident of a directory: -EINVAL");
	close(notns);
}

static void test_names(void)
{
	is_int(netns_open_named("../etc"), -EINVAL, "open refuses ../etc");
	is_int(netns_open_named(".hidden"), -EINVAL, "open refuses a leading dot");
}

static int test_create(void)
{
	char path[128];
	struct stat st;
	int fd, fd2, r;

	fd = netns_create_named(ns_a, nl_lo_up);
	ok(fd >= 0, "create %s (%s)", ns_a, fd < 0 ? strerror(-fd) : "ok");
	if (fd < 0)
		return fd;
	snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, ns_a);
	ok(stat(path, &st) == 0, "%s exists", path);
	is_int(netns_create_named(ns_a, nl_lo_up), -EEXIST, "create again: -EEXIST");
	fd2 = netns_open_named(ns_a);
	ok(fd2 >= 0, "netns_open_named works");
	if (fd2 >= 0)
		close(fd2);
	is_int(netns_open_named("nsptest-none-zz"), -ENOENT, "open absent: -ENOENT");
	snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, ns_junk);
	r = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	if (r >= 0)
		close(r);
	is_int(netns_open_named(ns_junk), -EINVAL, "open a plain file: -EINVAL (not nsfs)");
	unlink(path);
	return fd;
}

static void test_ident(int nsfd)
{
	struct ns_ident a1, a2, self, selfp;
	int fd2 = netns_open_named(ns_a), pfd;

	is_int(netns_ident_fd(nsfd, &a1), 0, "ident of created fd");
	is_int(fd2 >= 0 ? netns_ident_fd(fd2, &a2) : fd2, 0, "ident of a second open");
	ok(a1.cookie != 0, "cookie non-zero (%llu)", (unsigned long long)a1.cookie);
	ok(netns_ident_equal(&a1, &a2), "two opens: equal identity");
	is_int(netns_ident_self(&self), 0, "ident of self");
	ok(self.cookie != 0 && self.cookie != a1.cookie, "cookie differs from root's");
	ok(!netns_ident_equal(&a1, &self), "namespace differs from root");
	pfd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	is_int(netns_ident_fd(pfd, &selfp), 0, "ident of /proc/self/ns/net");
	ok(netns_ident_equal(&self, &selfp), "/proc/self/ns/net == self");
	close(pfd);
	if (fd2 >= 0)
		close(fd2);
}

/* Break what converge made, by hand, and converge again. */
static void test_repair(int nsfd, uint16_t port, int l4)
{
	const char *peer = UPLINK_PEER, *dev = UPLINK_DEV;

	is_int(netns_run_in(nsfd, break_in, NULL), 0, "add a stale address and extra rules");
	converge_all(nsfd, port, true, "after stale address");
	check_state(nsfd, "stale address and rules removed");
	is_int(netns_run_in(nsfd, delete_veth_in, &peer), 0, "delete %s by hand", peer);
	is_int(nft_subject_teardown(nsfd), 0, "delete the table by hand (nft teardown)");
	/* No uplink, so no route: fails closed with ENETUNREACH, never leaves. */
	is_int(ns_connect(nsfd, "203.0.113.7", 80, 1000, NULL), -ENETUNREACH,
	       "broken: connect fails with ENETUNREACH");
	converge_all(nsfd, port, true, "repair");
	check_state(nsfd, "repaired");
	check_tproxied(nsfd, l4, "203.0.113.7", 80, "203.0.113.7:80");
	is_int(netns_run_in(nsfd, delete_veth_in, &dev), 0, "delete %s by hand", dev);
	is_int(netns_run_in(nsfd, nft_flush_in, NULL), 0, "flush table inet netnsp by hand");
	converge_all(nsfd, port, true, "repair 2");
	check_tproxied(nsfd, l4, "203.0.113.7", 80, "203.0.113.7:80");
	is_int(netns_run_in(nsfd, foreign_veth_in, NULL), 0, "veth %s with a foreign peer", dev);
	converge_all(nsfd, port, true, "repair 3");
	check_state(nsfd, "foreign veth replaced");
	is_int(netns_run_in(nsfd, link_exists_in, "nsptest-x"), -ENODEV, "foreign peer gone");
	check_tproxied(nsfd, l4, "203.0.113.7", 80, "203.0.113.7:80");
}

/* The send is still rejected by nft's out_filter (EPERM) when routing lets it through. */
static void check_udp_nft_rejects(int nsfd, const char *ip)
{
	long ms = 0;
	int r = ns_dgram(nsfd, SOCK_DGRAM, 0, ip, 53, &ms);

	is_int(r, -EPERM, "defence in depth: without the refusal, nft still rejects UDP to %s", ip);
}

/* The refusal exceptions (NL_ALLOW_*), then back to the default. */
static void test_refuse_allow(int nsfd)
{
	struct inspect in = {0};
	long ms;

	converge_net(nsfd, NL_ALLOW_DNS, "allow DNS");
	check_udp_routed(nsfd, "203.0.113.7", 53, "allow DNS");
	check_udp_routed(nsfd, "2001:db8::7", 53, "allow DNS");
	check_udp_refused(nsfd, "203.0.113.7", 52);
	check_udp_refused(nsfd, "203.0.113.7", 54);
	check_udp_refused(nsfd, "2001:db8::7", 65534);
	/* The kernel cannot select port 65535 (fib_rule_port_range_valid()): nft's job. */
	check_udp_routed(nsfd, "2001:db8::7", 65535, "allow DNS, port 65535");
	check_udp_refused(nsfd, "2001:db8::7", 1);
	check_icmp_refused(nsfd, "203.0.113.7");
	/* A broader stale rule after the two ranges: deleting it by its attributes
	 * hits a range rule first (rule_find()); converge must still end exact. */
	is_int(netns_run_in(nsfd, add_plain_udp_in, NULL), 0, "add a plain udp rule by hand");
	converge_net(nsfd, NL_ALLOW_DNS, "allow DNS again");
	is_int(netns_run_in(nsfd, inspect_in, &in), 0, "inspect allow DNS");
	ok(in.refuse4 == 3 && in.refuse6 == 3, "allow DNS: 3 refusal rules each (%zu, %zu)",
	   in.refuse4, in.refuse6);
	check_udp_routed(nsfd, "203.0.113.7", 53, "allow DNS again");
	check_udp_refused(nsfd, "203.0.113.7", 54);
	check_udp_refused(nsfd, "203.0.113.7", 52);
	converge_net(nsfd, NL_ALLOW_UDP | NL_ALLOW_ICMP, "allow UDP and ICMP");
	check_udp_routed(nsfd, "203.0.113.7", 9999, "allow UDP");
	check_udp_routed(nsfd, "2001:db8::7", 9999, "allow UDP");
	is_int(netns_run_in(nsfd, inspect_in, &in), 0, "inspect allow all");
	ok(in.refuse4 == 0 && in.refuse6 == 0, "allow UDP and ICMP: no refusal rules");
	ok(ns_dgram(nsfd, SOCK_RAW, IPPROTO_ICMP, "203.0.113.7", 0, &ms) != -EHOSTUNREACH,
	   "allow ICMP: echo not refused by routing");
	converge_net(nsfd, 0, "refuse again");
	check_state(nsfd, "refuse again");
	check_udp_refused(nsfd, "203.0.113.7", 53);
}

/* Hand-made damage to the refusal: rules gone, routes gone; converge repairs. */
static void test_refuse_repair(int nsfd, uint16_t port)
{
	is_int(netns_run_in(nsfd, unrefuse_in, NULL), 0, "delete the refusal rules by hand");
	check_udp_routed(nsfd, "203.0.113.7", 53, "rules deleted");
	check_udp_nft_rejects(nsfd, "203.0.113.7");
	check_udp_nft_rejects(nsfd, "2001:db8::7");
	converge_all(nsfd, port, true, "restore rules");
	check_state(nsfd, "rules restored");
	check_udp_refused(nsfd, "203.0.113.7", 53);
	check_udp_refused(nsfd, "2001:db8::7", 53);
	is_int(netns_run_in(nsfd, unrefuse_in, "routes"), 0, "delete the unreachable routes");
	check_udp_routed(nsfd, "203.0.113.7", 53, "routes deleted");
	check_udp_routed(nsfd, "2001:db8::7", 53, "routes deleted");
	converge_all(nsfd, port, true, "restore routes");
	check_udp_refused(nsfd, "203.0.113.7", 53);
	check_udp_refused(nsfd, "2001:db8::7", 53);
	check_icmp_refused(nsfd, "203.0.113.7");
	check_icmp_refused(nsfd, "2001:db8::7");
}

/* What a Pid subject's trust rule reads: owner, /run/netns path, links. */
static void test_trust(int nsfd)
{
	char name[64];
	bool initial = false;
	uint32_t uid = 1;
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

	is_int(netns_owner(nsfd, &uid, &initial), 0, "owner of %s", ns_a);
	ok(uid == 0 && initial, "%s: owned by the initial user namespace (uid 0)", ns_a);
	is_int(netns_run_dir_holds(nsfd, name, sizeof(name)), 1, "%s is under /run/netns", ns_a);
	is_str(name, ns_a, "found by dev and inode");
	is_int(netns_run_dir_holds(self, name, sizeof(name)), 0, "our own netns has no file there");
	close(self);
	is_int(nl_subject_foreign_link(nsfd, true, name, sizeof(name)), 0,
	       "applied subject: only lo and netnsp's uplink");
	is_int(nl_subject_foreign_link(nsfd, false, name, sizeof(name)), -EBUSY,
	       "the uplink counts as foreign when it is not expected");
	ok(strncmp(name, "nsp-up", 6) == 0, "named: %s", name);
}

static void test_teardown(int nsfd)
{
	struct inspect in = {0};
	char path[128];
	struct stat st;

	is_int(nl_subject_teardown(nsfd, NULL), 0, "nl teardown");
	is_int(nl_subject_teardown(nsfd, NULL), 0, "nl teardown again");
	is_int(nft_subject_teardown(nsfd), 0, "nft teardown");
	is_int(nft_subject_teardown(nsfd), 0, "nft teardown again");
	is_int(netns_run_in(nsfd, inspect_in, &in), 0, "inspect after teardown");
	is_int(in.uplink, -ENODEV, "uplink gone");
	ok(in.rules4 == 0 && in.rules6 == 0, "rules gone");
	ok(in.refuse4 == 0 && in.refuse6 == 0, "refusal rules gone");
	is_int(netns_run_in(nsfd, unrefuse_in, "routes"), -ESRCH, "unreachable routes gone");
	is_int(netns_delete_named(ns_a), 0, "delete %s", ns_a);
	snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, ns_a);
	ok(stat(path, &st) < 0 && errno == ENOENT, "%s gone", path);
	is_int(netns_delete_named(ns_a), -ENOENT, "delete again: -ENOENT");
	is_int(netns_open_named(ns_a), -ENOENT, "open after delete: -ENOENT");
}

static void test_datapath(int nsfd)
{
	struct inspect in = {0}, in2 = {0};
	uint16_t port = 0, p6 = 0;
	char want[64];
	int l4, l6;

	l4 = ns_listen(nsfd, "127.0.0.1", 0, &port);
	l6 = l4 >= 0 ? ns_listen(nsfd, "::1", port, &p6) : -1;
	ok(l4 >= 0 && l6 >= 0 && p6 == port, "transparent listeners on 127.0.0.1/::1 port %u",
	   port);
	is_int(netns_run_in(nsfd, ping_group_in, NULL), 0, "ping sockets allowed in the namespace");
	if (l4 < 0 || l6 < 0)
		return;
	if (converge_all(nsfd, port, true, "first"))
		return;
	is_int(netns_run_in(nsfd, inspect_in, &in), 0, "inspect after first converge");
	if (converge_all(nsfd, port, true, "second"))
		return;
	check_state(nsfd, "after two converges");
	is_int(netns_run_in(nsfd, inspect_in, &in2), 0, "inspect after second converge");
	is_int(in2.uplink, in.uplink, "second converge kept the same uplink (ifindex %d)",
	       in.uplink);
	check_tproxied(nsfd, l4, "203.0.113.7", 80, "203.0.113.7:80");
	check_tproxied(nsfd, l6, "2001:db8::7", 443, "[2001:db8::7]:443");
	check_udp_refused(nsfd, "203.0.113.7", 53);
	check_udp_refused(nsfd, "2001:db8::7", 53);
	check_udp_refused(nsfd, "198.51.100.2", 443); /* on-link, but not ours */
	check_icmp_refused(nsfd, "203.0.113.7");
	check_icmp_refused(nsfd, "2001:db8::7");
	check_udp_local(nsfd, "127.0.0.1");
	check_udp_local(nsfd, "::1");
	check_udp_local(nsfd, "198.51.100.1"); /* the namespace's own addresses */
	check_udp_local(nsfd, "2001:db8:1::1");
	test_refuse_allow(nsfd);
	test_refuse_repair(nsfd, port);
	converge_all(nsfd, port, false, "ipv6 off");
	check_refused(nsfd, "2001:db8::7", 443, "ipv6 off");
	check_tproxied(nsfd, l4, "203.0.113.7", 80, "203.0.113.7:80");
	snprintf(want, sizeof(want), "[::1]:%u", port);
	check_tproxied(nsfd, l6, "::1", port, want);
	test_repair(nsfd, port, l4);
	close(l4);
	close(l6);
	check_refused(nsfd, "203.0.113.7", 80, "listener gone");
	converge_all(nsfd, port, true, "ipv6 on again");
	check_refused(nsfd, "2001:db8::7", 443, "listener gone");
}

int main(void)
{
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root\n");
		return 0;
	}
	snprintf(ns_a, sizeof(ns_a), "nsptest-%d-a", (int)getpid());
	snprintf(ns_junk, sizeof(ns_junk), "nsptest-%d-j", (int)getpid());
	atexit(cleanup);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGQUIT, on_signal);
	signal(SIGABRT, on_signal);
	test_names();
	int nsfd = test_create();
	if (nsfd >= 0) {
		test_ident(nsfd);
		test_errors(nsfd);
		test_datapath(nsfd);
		test_trust(nsfd);
		test_teardown(nsfd);
		close(nsfd);
	}
	return tap_done();
}
