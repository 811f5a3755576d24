/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * worker.h - event loops on more cores (`workers = N`, docs/DESIGN.md "Workers").
 *
 * The main loop keeps accepting on every listener and serving the control
 * socket, signals, transports, endpoints, DNS and UDP.  With N > 1 it runs
 * N - 1 worker threads, each with a loop and a struct relay of its own, and
 * hands every transparent TCP connection it admits to the next loop in
 * turn (itself included) over the worker's command pipe.  A worker then
 * owns that connection to its end: no lock on the data path.
 *
 * Lifetime: a worker's connection points at its subject (chain, routes,
 * counters).  Before a subject's chain changes or it is freed,
 * relay_subject_stop() asks every worker, in turn and synchronously, to
 * reset its connections of that subject (relay_workers_forget()); the
 * command travels behind every hand-over already sent, so none is left.
 */
#ifndef NETNSP_RELAY_WORKER_H
#define NETNSP_RELAY_WORKER_H

#include <stdint.h>

#include "relay.h"

/* What status shows of one loop. */
struct relay_worker_stats {
	uint64_t live;	 /* connections it holds now */
	uint64_t total;	 /* connections it has served */
	uint64_t events; /* epoll events it dispatched */
};

/**
 * relay_workers_default() - the number of loops for `workers = auto`: the online CPUs.
 *
 * Return: 1..CONF_WORKERS_MAX.
 */
unsigned relay_workers_default(void);

/**
 * relay_workers_start() - start @n - 1 worker threads next to the main loop's relay @r.
 * @r: the main loop's relay (its loop set up, signals already blocked).
 * @n: loops in all, 1..CONF_WORKERS_MAX; 1 starts nothing.
 *
 * Return: 0 or a negative errno (then no worker runs).
 */
int relay_workers_start(struct relay *r, unsigned n);

/**
 * relay_workers_stop() - stop and join every worker; free what they hold.
 * @r: the main loop's relay; every subject must be closed first.
 */
void relay_workers_stop(struct relay *r);

/**
 * relay_workers_count() - how many loops serve connections (1 without workers).
 * @r: the main loop's relay.
 *
 * Return: the count.
 */
unsigned relay_workers_count(const struct relay *r);

/**
 * relay_worker_stats() - the counters of loop @id (0: the main loop).
 * @r: the main loop's relay.
 * @id: 0..relay_workers_count() - 1.
 * @out: receives them.
 */
void relay_worker_stats(const struct relay *r, unsigned id, struct relay_worker_stats *out);

#endif
