/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * notify.h - the service manager's readiness protocol, without libsystemd.
 *
 * systemd (Type=notify) passes $NOTIFY_SOCKET: the path of a unix datagram
 * socket, or an abstract name written with a leading '@'.  Each datagram is
 * newline-separated "KEY=VALUE" lines: READY=1 once the service is up,
 * RELOADING=1 when it starts re-reading its config (then READY=1 again),
 * STOPPING=1, and STATUS=one line for `systemctl status` (sd_notify(3)).
 * Without $NOTIFY_SOCKET every call is a no-op, so the daemon behaves the
 * same under any supervisor.
 */
#ifndef NETNSP_NOTIFY_H
#define NETNSP_NOTIFY_H

#include <stddef.h>

/**
 * notify_send_to() - send one datagram @msg to the notification socket @addr.
 * @addr: an absolute path, or "@name" for an abstract socket; NULL or "" does nothing.
 * @msg: "KEY=VALUE" lines separated by '\n'.
 *
 * Return: 0 (also when @addr is NULL or empty), -EINVAL for an address that is
 * neither absolute nor abstract or too long, or the negative errno of
 * socket()/sendmsg().
 */
int notify_send_to(const char *addr, const char *msg);

/**
 * notify_send() - notify_send_to() the socket named by $NOTIFY_SOCKET.
 * @msg: "KEY=VALUE" lines separated by '\n'.
 *
 * Return: 0 (also without $NOTIFY_SOCKET) or a negative errno.
 */
int notify_send(const char *msg);

/**
 * notify_monotonic_usec() - "MONOTONIC_USEC=N": CLOCK_MONOTONIC in
 * microseconds, which systemd wants next to RELOADING=1 (sd_notify(3)).
 * @buf: output.
 * @len: size of @buf (32 is enough).
 */
void notify_monotonic_usec(char *buf, size_t len);

#endif
