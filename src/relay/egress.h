/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * egress.h - sockets of the caller's network namespace, handed out over a
 * unix socketpair (`netnsp run`).
 *
 * An unprivileged `netnsp run` relays from inside the user namespace that
 * owns the subject (only there may it create transparent listeners and
 * per-flow UDP sockets at any time), yet its upstream sockets must live in
 * the caller's namespace.  The parent process stays there and serves one
 * request type: "a socket of (family, type)", answered with the fd
 * (SCM_RIGHTS, unix(7)) or an errno.  Only AF_INET / AF_INET6 stream and
 * datagram sockets are made; the relay then connects them itself.
 */
#ifndef NETNSP_EGRESS_H
#define NETNSP_EGRESS_H

#include <stdbool.h>

/*
 * The relay's handle on the broker; a chain without one makes its sockets in
 * place.  One request is kept ahead: after a socket is handed out, the next
 * one of the same kind is asked for at once, so the next connection finds
 * its socket already waiting instead of waking the broker and waiting for
 * it (each wakeup costs milliseconds on a loaded machine).
 */
struct relay_egress {
	int fd;		 /* not owned: our end of the SOCK_SEQPACKET socketpair */
	bool pending;	 /* a request is on its way; its reply is the next message */
	int pend_family; /* what it asked for */
	int pend_type;
};

/**
 * egress_prime() - ask for a socket now, to be taken by the next egress_socket().
 * @eg: broker handle.
 * @family: AF_INET or AF_INET6.
 * @type: as for egress_socket().
 */
void egress_prime(struct relay_egress *eg, int family, int type);

/**
 * egress_socket() - a socket made in the broker's namespace.
 * @eg: broker handle, or NULL for socket(2) here.
 * @family: AF_INET or AF_INET6.
 * @type: SOCK_STREAM or SOCK_DGRAM, optionally | SOCK_NONBLOCK (SOCK_CLOEXEC is implied).
 *
 * The socket asked for ahead (egress_prime(), or the previous call) if it
 * is of this kind, else one blocking round trip on the socketpair; then the
 * next one of this kind is asked for ahead.
 *
 * Return: the fd (close-on-exec) or a negative errno.
 */
int egress_socket(struct relay_egress *eg, int family, int type);

/**
 * egress_serve_one() - answer one request waiting on @fd.
 * @fd: the broker's end of the socketpair.
 *
 * Return: 1 (answered, also with an errno for a refused request), 0 when
 * the peer has closed its end, or a negative errno.
 */
int egress_serve_one(int fd);

#endif
