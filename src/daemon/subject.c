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
#include <stdio.h>
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

/* RUN_DIR/NETNS.nft: the loaded table in nft syntax, for humans (DESIGN.md §5). */
static int subject_write_ruleset(const struct daemon *d, const struct subject_rt *s)
{
	char path[PATH_MAX], tmp[PATH_MAX + 16], text[8192];
	_cleanup_close_ int fd = -1;
	int n;

	n = nft_subject_ruleset(&s->nft, text, sizeof(text));
	if (n < 0)
		return n;
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

int subject_ns_open(struct subject_rt *s)
{
	int fd;

	if (s->nsfd >= 0)
		return 0;
	if (s->kind != SUBJ_NAMED)
		return -ESRCH; /* a Pid subject's fd comes from attach, never by name */
	fd = netns_open_named(s->netns);
	if (fd == -ENOENT)
		fd = netns_create_named(s->netns);
	if (fd < 0)
		return fd;
	s->nsfd = fd;
	return 0;
}

int subject_apply(struct daemon *d, struct subject_rt *s, struct subject_state *st,
		  const struct profile_conf *p)
{
	char err[CONF_ERR_MAX] = "";
	struct subject_net net = {.v4 = st->uplink4, .v6 = st->uplink6};
	const char *what;
	int r;

	s->applied = false;
	s->nft = (struct nft_subject){
		.tcp_port = RELAY_TPROXY_PORT, .fwmark = NETNSP_FWMARK, .ipv6 = p->ipv6};
	what = "namespace";
	r = subject_ns_open(s);
	if (r < 0)
		goto fail;
	what = "nftables";
	r = nft_subject_converge(s->nsfd, &s->nft, err, sizeof(err));
	if (r < 0)
		goto fail;
	what = "uplink";
	r = nl_subject_converge(s->nsfd, &net, err, sizeof(err));
	if (r < 0)
		goto fail;
	what = "listeners";
	s->rs.socks_port = p->socks_port;
	s->rs.http_port = p->http_port;
	r = relay_subject_listen(&d->relay, &s->rs, s->nsfd);
	if (r < 0)
		goto fail;
	/* /etc/netns/NAME/ for `ip netns exec`; not fatal (netnsp exec makes its own). */
	if (s->kind == SUBJ_NAMED && (r = etc_netns_write_subject(st)) < 0)
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

int subject_down(struct daemon *d, struct subject_rt *s)
{
	char path[PATH_MAX];
	int r = 0;

	relay_subject_close(&d->relay, &s->rs);
	if (s->nsfd >= 0 && s->kind != SUBJ_NAMED) {
		/* Not ours to delete: leave the process's namespace as we found it. */
		(void)nft_subject_teardown(s->nsfd);
		(void)nl_subject_teardown(s->nsfd);
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
