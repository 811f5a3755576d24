// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * accept.c - what a subject can do to the daemon through its listeners and
 * how many connections it may hold (DESIGN.md §1, SECURITY.md).
 *
 * Every accept loop (transparent TCP, endpoints, the resolver's TCP) goes
 * through relay_accept(): a listener killed from inside the subject is
 * closed and recreated at the next tick instead of spinning, and running
 * out of file descriptors resets one connection per attempt instead of
 * leaving the backlog to wake the loop for ever.  relay_admit() applies
 * max-connections, so one subject at its cap cannot take another's fds.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "resolver.h"
#include "relay.h"
#include "util/macro.h"

uint64_t relay_limits(uint64_t nofile, size_t n_subjects, uint64_t *per_subject)
{
	uint64_t n = n_subjects ? n_subjects : 1;
	uint64_t reserve = RELAY_FD_RESERVE + n * RELAY_FD_RESERVE_SUBJECT;
	uint64_t slots = nofile > reserve ? (nofile - reserve) / RELAY_SLOT_FDS : 0;

	if (slots > RELAY_MAX_CONNS)
		slots = RELAY_MAX_CONNS;
	if (slots < RELAY_CAP_MIN)
		slots = RELAY_CAP_MIN;
	*per_subject = slots / n < RELAY_CAP_MIN ? RELAY_CAP_MIN : slots / n;
	return slots;
}

bool relay_admit(struct relay *r, struct relay_subject *rs, bool udp)
{
	uint64_t held = relay_subject_live(rs) + rs->stats.udp_live + relay_dns_clients(rs);
	bool daemon_full =
		r->live + relay_workers_live(r) + r->udp_live + r->dns_clients >= r->max_slots;

	if (held < rs->max_conns && !daemon_full)
		return true;
	if (udp)
		rs->stats.udp_refused++;
	else
		rs->stats.refused++;
	ratelog_msg(&rs->rlog[RLOG_CAP], LOG_LVL_WARN, "profile '%s': %s: new %s refused", rs->name,
		    daemon_full ? "the daemon's file descriptor budget is used up"
				: "at max-connections",
		    udp ? "UDP flows" : "connections");
	return false;
}

void relay_reset_close(int fd)
{
	struct linger l = {.l_onoff = 1, .l_linger = 0};

	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

/* Close @ev for good; the next tick recreates it in the subject. */
static void listener_drop(struct relay *r, struct relay_subject *rs, struct ev *ev)
{
	loop_del(r->loop, ev);
	close(ev->fd);
	ev->fd = -1;
	rs->relisten = true;
}

/* Out of fds: free the spare one to take one connection off the backlog and reset it. */
static int accept_shed(struct relay *r, struct relay_subject *rs, struct ev *ev, const char *what,
		       int err)
{
	int fd = -1;

	if (r->spare_fd >= 0) {
		close(r->spare_fd);
		fd = accept4(ev->fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			relay_reset_close(fd);
		r->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	rs->stats.refused++;
	if (fd >= 0) {
		ratelog_msg(&rs->rlog[RLOG_FDS], LOG_LVL_WARN,
			    "profile '%s': %s: accept: %s: connection reset", rs->name, what,
			    strerror(err));
		return -ECONNABORTED;
	}
	ratelog_msg(&rs->rlog[RLOG_FDS], LOG_LVL_WARN,
		    "profile '%s': %s: accept: %s: listener closed until the next tick", rs->name,
		    what, strerror(err));
	listener_drop(r, rs, ev);
	return -EAGAIN;
}

int relay_accept(struct relay *r, struct relay_subject *rs, struct ev *ev, const char *what)
{
	int fd = accept4(ev->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	int err = errno;

	if (fd >= 0)
		return fd;
	switch (err) {
	case EAGAIN:
	case EINTR:
		return -EAGAIN;
	/* accept(2): errors pending on the new connection, and a firewall's refusal. */
	case ECONNABORTED:
	case EPROTO:
	case ENETDOWN:
	case ENOPROTOOPT:
	case EHOSTDOWN:
	case ENONET:
	case EHOSTUNREACH:
	case EOPNOTSUPP:
	case ENETUNREACH:
	case EPERM:
		return -ECONNABORTED;
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
		return accept_shed(r, rs, ev, what, err);
	default:
		/* EINVAL: no longer listening (destroyed from inside the subject). */
		ratelog_msg(&rs->rlog[RLOG_LISTENER], LOG_LVL_WARN,
			    "profile '%s': %s listener: accept: %s: closed, recreating it",
			    rs->name, what, strerror(err));
		listener_drop(r, rs, ev);
		return -EAGAIN;
	}
}

int relay_subject_relisten(struct relay *r, struct relay_subject *rs, int nsfd)
{
	int ret = relay_subject_listen(r, rs, nsfd);

	if (ret == 0)
		ret = relay_dns_reopen(r, rs, nsfd);
	if (ret < 0) {
		ratelog_msg(&rs->rlog[RLOG_RELISTEN], LOG_LVL_WARN,
			    "profile '%s': recreating a listener: %s (retried every second)",
			    rs->name, strerror(-ret));
		return ret;
	}
	rs->relisten = false;
	log_debug("profile '%s': listeners recreated", rs->name);
	return 0;
}
