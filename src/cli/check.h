/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check.h - `netnsp check`: the report and the probes run from inside a
 * subject (check_probe.c), the setup audit and the command (cmd_check.c).
 */
#ifndef NETNSP_CLI_CHECK_H
#define NETNSP_CLI_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "netlink/nl.h"
#include "state/state.h"

enum check_verdict {
	CHECK_OK,     /* contained: relayed, answered inside, or refused at once */
	CHECK_LEAK,   /* something can leave (or left) the namespace */
	CHECK_BROKEN, /* nothing left, but the setup is not what netnsp made */
};

#define CHECK_MAX_ITEMS 128

struct check_item {
	char probe[48];
	enum check_verdict v;
	char why[200];
};

struct check_report {
	struct check_item items[CHECK_MAX_ITEMS];
	size_t n;
};

/**
 * check_add() - append one line to @r (silently dropped beyond CHECK_MAX_ITEMS).
 * @r: report.
 * @probe: what was tried.
 * @v: verdict.
 * @fmt: reason, printf-style.
 */
void check_add(struct check_report *r, const char *probe, enum check_verdict v, const char *fmt,
	       ...) __attribute__((format(printf, 4, 5)));

#define CHECK_MAX_OUTSIDE 8

/* What the probes need to know about the subject. */
struct check_target {
	int nsfd;			/* the subject's namespace */
	const struct subject_state *st; /* its Derivative entry */
	const struct profile_conf *p;	/* its profile */
	const struct nl_audit *audit;	/* its links (every one gets the per-link probes) */
	pid_t relay_pid;		/* the daemon's pid, 0 if unknown */
	bool udp_relayed;		/* UDP goes to the relay (else refused at once) */
	struct sockaddr_storage outside[CHECK_MAX_OUTSIDE]; /* the caller's own addresses */
	size_t n_outside;
};

/**
 * check_probes() - try every way out from inside the subject; one item each.
 * @t: the subject.
 * @r: report.
 *
 * Theory in check_probe.c.  Needs root (setns, raw sockets, /proc/PID/fd).
 *
 * Return: 0, or a negative errno if the probes could not run at all.
 */
int check_probes(const struct check_target *t, struct check_report *r);

/**
 * check_probe_links() - per link of the subject: TCP bound to it, IPv6
 * link-local TCP and multicast UDP / ICMPv6 by it.  Run last: a device-bound
 * probe into the uplink pair leaves neighbour discovery behind for a while,
 * which the other probes would count.
 * @t: the subject.
 * @r: report.
 *
 * Return: 0, or a negative errno if the probes could not run at all.
 */
int check_probe_links(const struct check_target *t, struct check_report *r);

/**
 * check_probe_resolver() - from a child that entered the subject as `netnsp
 * exec` does (exec_setup_mounts()): name resolution through libc, and the
 * host's nscd and systemd-resolved sockets.
 * @t: the subject.
 * @r: report.
 *
 * Return: 0, or a negative errno if the child could not run.
 */
int check_probe_resolver(const struct check_target *t, struct check_report *r);

#endif
