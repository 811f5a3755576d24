/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fastpath.h - the relay's kernel fast path: a sockhash and a stream verdict
 * program (bpf/sockmap.bpf.c) that move an established tunnel's bytes from
 * one socket to the other inside the kernel.  docs/DESIGN.md "Sockmap fast
 * path" has the measured facts it relies on.
 */
#ifndef NETNSP_FASTPATH_H
#define NETNSP_FASTPATH_H

#include <stdbool.h>
#include <stdint.h>

struct fastpath;

/**
 * fastpath_open() - load the BPF object and attach its verdict program.
 * @out: the fast path, release with fastpath_close().
 *
 * Return: 0, -EOPNOTSUPP when built without it, or the kernel's refusal
 * (-EPERM without CAP_BPF / CAP_NET_ADMIN, -EINVAL on an old kernel...).
 */
int fastpath_open(struct fastpath **out);

/**
 * fastpath_close() - detach and free (NULL is fine).
 * @fp: the fast path.
 */
void fastpath_close(struct fastpath *fp);

/**
 * fastpath_pair() - splice two established TCP sockets together in the kernel.
 * @fp: the fast path.
 * @a: one socket.
 * @b: the other.
 * @cookies: out: the sockets' cookies (for fastpath_unpair()).
 *
 * Bytes already waiting in a socket's receive queue are pushed through the
 * verdict too, in order with what arrives later.
 *
 * Return: 0 or a negative errno (then nothing is left in the maps and the
 * caller relays in user space).
 */
int fastpath_pair(struct fastpath *fp, int a, int b, uint64_t cookies[2]);

/**
 * fastpath_unpair() - forget a pair (the sockets leave the sockhash when closed).
 * @fp: the fast path.
 * @cookies: from fastpath_pair().
 */
void fastpath_unpair(struct fastpath *fp, const uint64_t cookies[2]);

#endif
