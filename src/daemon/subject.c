// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * subject.c - apply and take down one subject.
 *
 * Order matters for failing closed: the namespace starts with only lo, so
 * a connect() fails with ENETUNREACH; the nft table comes next, and only
 * then the uplink that gives apps a route.  At no point does a subject have
 * a link to anywhere: the uplink's both ends are inside it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon.h"
#include "netlink/nl.h"
#include "netns/etc_netns.h"
#include "netns/netns.h"
#include "util/log.h"
#include "util/macro.h"

static void subject_nft_file(const struct daemon *d, const struct subject_rt *s, char *buf,
			     size_t len)
{
	if (s->kind == SUBJ_NAMED)
		snprintf(buf, len, "%s/%s.nft", d->ctx->run_dir, s->netns);
	else
		snprintf(buf, len, "%s/pid-%d.nft", d->ctx->run_dir, s->pid);
}

/* RUN_DIR/NETNS.nft: the loaded table in nft syntax, for humans (docs/DESIGN.md "The datapath"). */
static int subject_write_ruleset(const struct daemon *d, const struct subject_rt *s)
{
	char path[PATH_MAX], tmp[PATH_MAX + 16], text[8192];
	_cleanup_close_ int fd = -1;
	int n;

	n = nft_subject_ruleset(&s->nft, text, sizeof(text));
	if (n < 0)
		return n;
	if (d->oneshot)
		return 0; /* `netnsp run` leaves nothing behind */
	if (s->live) {
		int m = nft_live_ruleset(s->nft.fwmark, text + n, sizeof(text) - (size_t)n);

		if (m < 0)
			return m;
		n += m;
	}
	subject_nft_file(d, s, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return neg_errno();
	if (write(fd, text, (size_t)n) != n)
		return -EIO;
	if (rename(tmp, path) < 0)
		return neg_errno();
	return 0;
}

/*
 * An empty, root-owned regular file at /run/netns/NAME is what a create
 * interrupted between creating the mount point and bind-mounting the
 * namespace leaves behind (a kill -9 of the daemon, or of `ip netns add`).
 * It holds no namespace, so it is nobody's intention: remove it.
 */
static bool subject_ns_stale(const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, name);
	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size != 0 || st.st_uid != 0)
		return false;
	if (unlink(path) < 0)
		return false;
	log_warn("%s: an empty file left by an interrupted create; creating the namespace again",
		 path);
	return true;
}

int subject_ns_open(struct subject_rt *s)
{
	int fd;

	if (s->nsfd >= 0)
		return 0;
	if (s->kind != SUBJ_NAMED)
		return -ESRCH; /* a Pid subject's fd comes from attach, never by name */
	fd = netns_open_named(s->netns);
	if (fd == -EINVAL && subject_ns_stale(s->netns))
		fd = -ENOENT;
	if (fd == -ENOENT)
		fd = netns_create_named(s->netns, nl_lo_up);
	if (fd < 0)
		return fd;
	s->nsfd = fd;
	return 0;
}

/*
 * The UDP probe's outcome (relay_udp_probe_start()).  On refusal udp.c has
 * closed the UDP relay: re-apply the refusal of udp = off, so UDP fails at
 * once with EHOSTUNREACH instead of reaching a relay that cannot carry it.
 */
static void subject_udp_probed(struct relay_subject *rs, int err, void *arg)
{
	struct subject_rt *s = (void *)((char *)rs - offsetof(struct subject_rt, rs));
	const struct subject_state *st = daemon_entry(arg, s);
	struct subject_net net = {.allow = NL_ALLOW_DNS};
	char e[CONF_ERR_MAX] = "";
	int r = -ENOENT;

	if (err == 0) {
		log_info("profile '%s': UDP ASSOCIATE granted: UDP is relayed", s->name);
		return;
	}
	log_warn("profile '%s': %s: UDP is refused", s->name, rs->udp_why);
	s->nft.udp_port = 0;
	if (st && s->nsfd >= 0) {
		net.v4 = st->uplink4;
		net.v6 = st->uplink6;
		net.save_routes = s->kind == SUBJ_PID;
		r = nft_subject_converge(s->nsfd, &s->nft, e, sizeof(e));
		if (r == 0)
			r = nl_subject_converge(s->nsfd, &net, e, sizeof(e));
	}
	if (r < 0)
		log_err("profile '%s': refusing UDP: %s", s->name, e[0] ? e : strerror(-r));
	else
		(void)subject_write_ruleset(arg, s);
}

int subject_apply(struct daemon *d, struct subject_rt *s, struct subject_state *st,
		  const struct profile_conf *p)
{
	char err[CONF_ERR_MAX] = "";
	struct subject_net net = {
		.v4 = st->uplink4, .v6 = st->uplink6, .save_routes = s->kind == SUBJ_PID};
	const struct relay_subject_conf rconf = {
		.p = p, .st = st, .udp_probed = subject_udp_probed, .arg = d};
	const char *what;
	int r;

	s->applied = false;
	/* DNS to any address is always answered inside (dns = off: REFUSED at once). */
	s->nft = (struct nft_subject){.tcp_port = RELAY_TPROXY_PORT,
				      .fwmark = NETNSP_FWMARK,
				      .ipv6 = p->ipv6,
				      .dns_port = RELAY_DNS_PORT};
	net.allow = NL_ALLOW_DNS;
	s->rs.udp_mode = relay_udp_mode(&s->rs.chain, p->udp, s->rs.udp_why, sizeof(s->rs.udp_why));
	if (s->rs.udp_mode != RELAY_UDP_REFUSED) {
		s->nft.udp_port = RELAY_TPROXY_PORT;
		net.allow |= NL_ALLOW_UDP;
	}
	what = "namespace";
	r = subject_ns_open(s);
	if (r < 0)
		goto fail;
	what = "nftables";
	r = nft_subject_converge(s->nsfd, &s->nft, err, sizeof(err));
	if (r < 0)
		goto fail;
	/* Afresh each time: the namespace may not be the one the old table is in. */
	what = "nftables liveness table";
	nft_live_close(TAKE_PTR(s->live));
	r = nft_live_open(s->nsfd, s->nft.fwmark, &s->live, err, sizeof(err));
	if (r < 0)
		goto fail;
	what = "uplink";
	r = nl_subject_converge(s->nsfd, &net, err, sizeof(err));
	if (r < 0)
		goto fail;
	s->dns_mode = p->dns;
	r = relay_subject_open(&d->relay, &s->rs, s->nsfd, &rconf, &what);
	if (r < 0)
		goto fail;
	/* /etc/netns/NAME/ for `ip netns exec`; not fatal (netnsp exec makes its own). */
	if (s->kind == SUBJ_NAMED && !d->oneshot &&
	    (r = etc_netns_write_subject(st->netns, st->name, &st->uplink4)) < 0)
		log_warn("profile '%s': /etc/netns/%s: %s", st->name, s->netns, strerror(-r));
	what = "identity";
	r = netns_ident_fd(s->nsfd, &st->ns);
	if (r < 0)
		goto fail;
	/* Only informational: failing to write it does not un-apply the subject. */
	(void)subject_write_ruleset(d, s);
	s->applied = true;
	s->error[0] = '\0';
	return 0;
fail:
	snprintf(s->error, sizeof(s->error), "%s: %s", what, err[0] ? err : strerror(-r));
	return r;
}

int subject_hand_back_ns(int nsfd, char *text, size_t len)
{
	struct nl_teardown rep = {0};
	int rn = nft_subject_teardown(nsfd);
	int rl = nl_subject_teardown(nsfd, &rep);
	int n;

	n = snprintf(text, len, "%s netnsp's uplink, nft table, rules and routes",
		     rl < 0 || rn < 0 ? "FAILED to remove" : "removed");
	if (rep.restored)
		n += snprintf(text + n, len - (size_t)n, "; restored %u saved default route%s",
			      rep.restored, rep.restored == 1 ? "" : "s");
	if (rep.present)
		n += snprintf(text + n, len - (size_t)n, "; %u saved route%s still there",
			      rep.present, rep.present == 1 ? " was" : "s were");
	if (rep.failed)
		n += snprintf(text + n, len - (size_t)n,
			      "; %u saved route%s NOT restored (refused by the kernel)", rep.failed,
			      rep.failed == 1 ? "" : "s");
	if (!rep.restored && !rep.present && !rep.failed)
		snprintf(text + n, len - (size_t)n,
			 "; nothing to restore: netnsp had replaced no route");
	return rl < 0 ? rl : rn;
}

/*
 * A Pid subject's namespace is not ours to delete: hand it back and record
 * in d->detached what was done.
 */
static int subject_hand_back(struct daemon *d, struct subject_rt *s)
{
	struct pid_detached *rec;

	if (d->n_detached == DAEMON_DETACHED_MAX)
		memmove(&d->detached[0], &d->detached[1], sizeof(*rec) * (DAEMON_DETACHED_MAX - 1));
	else
		d->n_detached++;
	rec = &d->detached[d->n_detached - 1];
	snprintf(rec->profile, sizeof(rec->profile), "%s", s->name);
	rec->pid = s->pid;
	return subject_hand_back_ns(s->nsfd, rec->teardown, sizeof(rec->teardown));
}

int subject_down(struct daemon *d, struct subject_rt *s)
{
	char path[PATH_MAX];
	int r = 0;

	relay_subject_close(&d->relay, &s->rs);
	nft_live_close(TAKE_PTR(s->live));
	if (s->nsfd >= 0 && s->kind != SUBJ_NAMED) {
		r = subject_hand_back(d, s);
		close(s->nsfd);
		s->nsfd = -1;
	} else if (s->nsfd >= 0) {
		struct ns_ident held, now;
		int fd = netns_open_named(s->netns);

		/* Delete the file only if it still holds our namespace. */
		if (fd >= 0 && netns_ident_fd(s->nsfd, &held) == 0 &&
		    netns_ident_fd(fd, &now) == 0 && netns_ident_equal(&held, &now))
			r = netns_delete_named(s->netns);
		if (fd >= 0)
			close(fd);
		close(s->nsfd);
		s->nsfd = -1;
	}
	if (s->kind == SUBJ_NAMED && s->netns[0])
		(void)etc_netns_remove(s->netns); /* only files carrying netnsp's marker */
	subject_nft_file(d, s, path, sizeof(path));
	(void)unlink(path);
	s->applied = false;
	snprintf(s->error, sizeof(s->error), "taken down by 'netnsp down'");
	return r;
}
