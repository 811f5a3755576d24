/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check-internal.h - what the probe files of `netnsp check` share: the
 * per-link transmit counters and the verdict they give (check_probe.c).
 */
#ifndef NETNSP_CLI_CHECK_INTERNAL_H
#define NETNSP_CLI_CHECK_INTERNAL_H

#include <net/if.h>
#include <stdbool.h>

#include "cli/check.h"

#define MAX_LINKS 32

struct counters {
	char name[MAX_LINKS][IFNAMSIZ];
	unsigned long long tx[MAX_LINKS];
	size_t n;
};

struct probe {
	const struct check_target *t;
	struct check_report *r;
	struct counters before;
	bool uplink_fine; /* a probe bound to the uplink pair: packets into it are expected */
};

/**
 * check_counters_read() - the transmit packet counters of every link of the
 * calling thread's network namespace (/proc/thread-self/net/dev).
 * @c: output.
 */
void check_counters_read(struct counters *c);

/**
 * check_judge_sent() - compare the counters with @p->before and add a LEAK
 * line (a link other than lo and the uplink pair sent packets) or a broken
 * one (packets went into the uplink, unless @p->uplink_fine).
 * @p: the probe, its counters read before it ran.
 * @name: the probe's name for the report.
 *
 * Return: true if a line was added (the probe is judged).
 */
bool check_judge_sent(struct probe *p, const char *name);

#endif
