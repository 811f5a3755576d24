/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nft.c - the subject's nftables table, loaded through libnftables.
 *
 * How the datapath works (docs/DESIGN.md "The datapath"), as the generated text says it:
 *
 *   out_mark   (route hook, output, mangle): every locally generated TCP
 *              packet not addressed to the namespace itself gets the fwmark;
 *              a route-type chain re-routes a packet whose mark changed, so
 *              the policy rule `fwmark M lookup T` sends it to table T's
 *              `local default dev lo`, and it comes back in through lo.
 *              UDP is marked by the daemon's liveness table (below) one
 *              priority earlier; UDP that reaches out_mark unmarked means no
 *              daemon, and is rejected here, before the re-route, while its
 *              route still leads out of the uplink: that is the one place
 *              where the kernel's ICMP error reaches the app (see nft.h).
 *   out_filter (filter hook, output): local destinations pass; with IPv6 off
 *              every other IPv6 packet is rejected here; UDP is rejected
 *              (defence in depth: routing already refuses UDP and ICMP with
 *              EHOSTUNREACH, see nft.h; and the kernel sends no ICMP for a
 *              reject in prerouting of a looped-back local IPv4 datagram);
 *              marked TCP passes; anything else (ICMP, SCTP, ...) is rejected.
 *   pre        (filter hook, prerouting, mangle): marked TCP is handed to the
 *              transparent listener with `tproxy ... accept` (nft_tproxy,
 *              which assigns the skb to the listening socket); if no listener
 *              takes it, `reject with tcp reset` answers at once, so a
 *              connect() fails with ECONNREFUSED instead of hanging.
 *
 * The liveness table (`inet netnsp_live`, flags owner) is bound to a
 * netlink socket the daemon holds: the kernel deletes it when that socket
 * is closed, however the daemon ends (exit, SIGTERM, SIGKILL, crash).  Its
 * one rule marks non-local UDP, so UDP goes to the relay and the resolver
 * only while the daemon lives.
 *
 * `fib daddr type local` must come first in both output chains, or the
 * relay's own replies (to the namespace's addresses) would be caught.
 * Loading is one batch `add table; delete table; table {...}`, so the old
 * table is replaced atomically and the batch works whether or not it existed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>

#include <nftables/libnftables.h>

#include "netns/netns.h"
#include "nft/nft.h"
#include "util/macro.h"

#define NFT_TABLE NFT_TABLE_FAMILY " " NFT_TABLE_NAME
#define NFT_LIVE_TABLE NFT_TABLE_FAMILY " " NFT_LIVE_TABLE_NAME
#define NFT_RESET_BATCH "add table " NFT_TABLE "\ndelete table " NFT_TABLE "\n"
#define NFT_LIVE_RESET "add table " NFT_LIVE_TABLE "\ndelete table " NFT_LIVE_TABLE "\n"

struct text {
	char *buf;
	size_t len, used;
	bool overflow;
};

static void text_add(struct text *t, const char *fmt, ...) _printf_(2, 3);
static void text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->used, t->len - t->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= t->len - t->used) {
		t->overflow = true;
		return;
	}
	t->used += (size_t)n;
}

static void ruleset_output(struct text *t, const struct nft_subject *c)
{
	text_add(t,
		 "\tchain out_mark {\n"
		 "\t\ttype route hook output priority mangle; policy accept;\n"
		 "\t\tfib daddr type local accept\n"
		 "\t\tmeta l4proto tcp meta mark set 0x%08x accept\n"
		 "\t\tmeta l4proto udp meta mark 0x%08x accept\n"
		 "\t\tmeta l4proto udp reject\n"
		 "\t}\n",
		 c->fwmark, c->fwmark);
	text_add(t, "\tchain out_filter {\n"
		    "\t\ttype filter hook output priority filter; policy accept;\n"
		    "\t\tfib daddr type local accept\n");
	if (!c->ipv6)
		text_add(t, "\t\tmeta nfproto ipv6 meta l4proto tcp reject with tcp reset\n"
			    "\t\tmeta nfproto ipv6 reject\n");
	if (!c->udp_port && c->dns_port)
		text_add(t, "\t\tmeta l4proto udp udp dport != 53 reject\n");
	else if (!c->udp_port)
		text_add(t, "\t\tmeta l4proto udp reject\n");
	text_add(t,
		 "\t\tmeta mark 0x%08x accept\n"
		 "\t\treject\n"
		 "\t}\n",
		 c->fwmark);
}

static void ruleset_prerouting(struct text *t, const struct nft_subject *c)
{
	static const char *const protos[2] = {"udp", "tcp"};

	text_add(t,
		 "\tchain pre {\n"
		 "\t\ttype filter hook prerouting priority mangle; policy accept;\n"
		 "\t\tmeta mark != 0x%08x accept\n",
		 c->fwmark);
	/* DNS first: port 53 to any address goes to the resolver, whatever the protocol. */
	for (int i = 0; c->dns_port && i < 2; i++)
		text_add(t,
			 "\t\tmeta nfproto ipv4 %s dport 53 tproxy ip to 127.0.0.1:%u accept\n"
			 "\t\tmeta nfproto ipv6 %s dport 53 tproxy ip6 to [::1]:%u accept\n",
			 protos[i], c->dns_port, protos[i], c->dns_port);
	text_add(t,
		 "\t\tmeta l4proto tcp meta nfproto ipv4 tproxy ip to 127.0.0.1:%u accept\n"
		 "\t\tmeta l4proto tcp meta nfproto ipv6 tproxy ip6 to [::1]:%u accept\n",
		 c->tcp_port, c->tcp_port);
	if (c->udp_port)
		text_add(t,
			 "\t\tmeta l4proto udp meta nfproto ipv4 tproxy ip to 127.0.0.1:%u accept\n"
			 "\t\tmeta l4proto udp meta nfproto ipv6 tproxy ip6 to [::1]:%u accept\n",
			 c->udp_port, c->udp_port);
	text_add(t, "\t\tmeta l4proto tcp reject with tcp reset\n"
		    "\t\treject\n"
		    "\t}\n");
}

int nft_live_ruleset(uint32_t fwmark, char *buf, size_t len)
{
	struct text t = {.buf = buf, .len = len};

	if (!buf || len == 0)
		return -ENOSPC;
	text_add(&t,
		 "table " NFT_LIVE_TABLE " {\n"
		 "\tflags owner\n"
		 "\tchain out_udp {\n"
		 "\t\ttype route hook output priority mangle - 1; policy accept;\n"
		 "\t\tfib daddr type local accept\n"
		 "\t\tmeta l4proto udp meta mark set 0x%08x\n"
		 "\t}\n"
		 "}\n",
		 fwmark);
	if (t.overflow) {
		buf[0] = '\0';
		return -ENOSPC;
	}
	return (int)t.used;
}

int nft_subject_ruleset(const struct nft_subject *c, char *buf, size_t len)
{
	struct text t = {.buf = buf, .len = len};

	if (!buf || len == 0)
		return -ENOSPC;
	buf[0] = '\0';
	text_add(&t, "table " NFT_TABLE " {\n");
	ruleset_output(&t, c);
	ruleset_prerouting(&t, c);
	text_add(&t, "}\n");
	if (t.overflow) {
		buf[0] = '\0';
		return -ENOSPC;
	}
	return (int)t.used;
}

/* libnftables reports no errno; recover the common ones from its text. */
static int nft_guess_errno(const char *msg)
{
	static const int known[] = {EPERM, ENOENT, EEXIST, EOPNOTSUPP, ENOMEM, EBUSY, ENOSPC};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(known); i++)
		if (strstr(msg, strerror(known[i])))
			return -known[i];
	return -EINVAL;
}

struct nft_job {
	const char *cmds;
	char *err;
	size_t errlen;
	char *out; /* where given: the command's output (a listing) */
	size_t outlen;
	bool keep;	      /* hand the context (its netlink socket) back in @kept */
	struct nft_ctx *kept; /* owned by the caller after a successful run */
};

static void nft_ctx_freep(struct nft_ctx **ctx)
{
	if (*ctx)
		nft_ctx_free(*ctx);
}

/*
 * libnftables opens its netlink socket without SOCK_CLOEXEC and does not
 * expose it.  Every fd netnsp opens itself is close-on-exec, so an
 * AF_NETLINK/NETLINK_NETFILTER socket without the flag is libnftables': set
 * it, or a child netnsp execs (the managed tor, `run`'s command) would hold a
 * socket whose netlink permission checks use the daemon's credentials, and
 * would keep an owner-flagged table (docs/DESIGN.md, the liveness table)
 * alive after the daemon is gone.
 */
static void nft_ctx_cloexec(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *e;

	while (dir && (e = readdir(dir))) {
		int fd = (int)strtol(e->d_name, NULL, 10), dom = 0, proto = 0;
		socklen_t l1 = sizeof(dom), l2 = sizeof(proto);
		int fl;

		if (fd < 3 || fd == dirfd(dir))
			continue;
		fl = fcntl(fd, F_GETFD);
		if (fl < 0 || (fl & FD_CLOEXEC))
			continue;
		if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &l1) == 0 && dom == AF_NETLINK &&
		    getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &l2) == 0 &&
		    proto == NETLINK_NETFILTER)
			(void)fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
	}
	if (dir)
		closedir(dir);
}

/* In the subject's namespace: one batch, one transaction (nft(8) "-f"). */
static int nft_run_in(void *arg)
{
	struct nft_job *j = arg;
	_cleanup_(nft_ctx_freep) struct nft_ctx *ctx = NULL;
	const char *e;
	size_t n;

	/* The context's netlink socket is made here, so it belongs to this namespace. */
	ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!ctx)
		return -ENOMEM;
	nft_ctx_cloexec();
	if (nft_ctx_buffer_output(ctx) < 0 || nft_ctx_buffer_error(ctx) < 0)
		return -ENOMEM;
	if (nft_run_cmd_from_buffer(ctx, j->cmds) == 0) {
		if (j->out && j->outlen &&
		    snprintf(j->out, j->outlen, "%s", nft_ctx_get_output_buffer(ctx)) >=
			    (int)j->outlen)
			return -ENOSPC;
		if (j->keep)
			j->kept = TAKE_PTR(ctx);
		return 0;
	}
	e = nft_ctx_get_error_buffer(ctx);
	if (!e || !*e)
		e = "nft: unknown error";
	if (j->err && j->errlen) {
		n = strcspn(e, "\n");
		snprintf(j->err, j->errlen, "%.*s", (int)n, e);
	}
	return nft_guess_errno(e);
}

/* The reset batch and the table in @buf, ready for nft_run_in(). */
static int nft_batch(const struct nft_subject *c, char *buf, size_t len, char *err, size_t errlen)
{
	const size_t pre = sizeof(NFT_RESET_BATCH) - 1;
	int r;

	if (err && errlen)
		err[0] = '\0';
	memcpy(buf, NFT_RESET_BATCH, pre);
	r = nft_subject_ruleset(c, buf + pre, len - pre);
	if (r < 0 && err && errlen)
		snprintf(err, errlen, "nft ruleset: %s", strerror(-r));
	return r < 0 ? r : 0;
}

int nft_subject_converge(int nsfd, const struct nft_subject *c, char *err, size_t errlen)
{
	char buf[4096];
	struct nft_job j = {.cmds = buf, .err = err, .errlen = errlen};
	int r = nft_batch(c, buf, sizeof(buf), err, errlen);

	return r < 0 ? r : netns_run_in(nsfd, nft_run_in, &j);
}

#define NFT_LIST_CMD "list table " NFT_TABLE "\n"

int nft_subject_list(int nsfd, char *out, size_t len, char *err, size_t errlen)
{
	struct nft_job j = {
		.cmds = NFT_LIST_CMD, .err = err, .errlen = errlen, .out = out, .outlen = len};

	if (err && errlen)
		err[0] = '\0';
	return netns_run_in(nsfd, nft_run_in, &j);
}

/* In a scratch namespace: load the table, then list it. */
static int nft_load_list(void *arg)
{
	struct nft_job *j = arg;
	struct nft_job list = {.cmds = NFT_LIST_CMD,
			       .err = j->err,
			       .errlen = j->errlen,
			       .out = j->out,
			       .outlen = j->outlen};
	struct nft_job load = {.cmds = j->cmds, .err = j->err, .errlen = j->errlen};
	int r = nft_run_in(&load);

	return r < 0 ? r : nft_run_in(&list);
}

int nft_subject_expected(const struct nft_subject *c, char *out, size_t len, char *err,
			 size_t errlen)
{
	char buf[4096];
	struct nft_job j = {.cmds = buf, .err = err, .errlen = errlen, .out = out, .outlen = len};
	int r = nft_batch(c, buf, sizeof(buf), err, errlen);

	return r < 0 ? r : netns_run_scratch(nft_load_list, &j);
}

int nft_subject_teardown(int nsfd)
{
	struct nft_job j = {.cmds = NFT_RESET_BATCH};

	/* `add` makes the `delete` succeed whether or not the table was there. */
	return netns_run_in(nsfd, nft_run_in, &j);
}

struct nft_live {
	struct nft_ctx *ctx; /* its netlink socket owns the table */
};

int nft_live_open(int nsfd, uint32_t fwmark, struct nft_live **out, char *err, size_t errlen)
{
	const size_t pre = sizeof(NFT_LIVE_RESET) - 1;
	char buf[1024];
	struct nft_job j = {.cmds = buf, .err = err, .errlen = errlen, .keep = true};
	struct nft_live *l;
	int r;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	memcpy(buf, NFT_LIVE_RESET, pre);
	r = nft_live_ruleset(fwmark, buf + pre, sizeof(buf) - pre);
	if (r >= 0)
		r = netns_run_in(nsfd, nft_run_in, &j);
	if (r < 0) {
		free(l);
		return r;
	}
	l->ctx = j.kept;
	*out = l;
	return 0;
}

void nft_live_close(struct nft_live *l)
{
	if (!l)
		return;
	nft_ctx_free(l->ctx); /* closes the socket: the kernel deletes the table */
	free(l);
}
