/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctl.h - the control protocol between `netnsp COMMAND` and the daemon.
 *
 * A stream unix socket RUN_DIR/control.sock, mode 0600, root-owned; the
 * daemon also checks SO_PEERCRED (uid 0).  One request per connection: a
 * JSON object `{"version":1,"command":"status"}` (or "down" with
 * "profiles":[...]) followed by a newline, at most CTL_MAX_REQUEST bytes;
 * one JSON reply `{"version":1,"ok":true,...}` or `{"version":1,"ok":false,
 * "error":"..."}`, then the daemon closes.
 */
#ifndef NETNSP_CTL_H
#define NETNSP_CTL_H

#include <stddef.h>

#define CTL_VERSION 1
#define CTL_SOCKET_NAME "control.sock"
#define CTL_MAX_REQUEST 65536
#define CTL_MAX_REPLY (16u << 20)

/**
 * ctl_socket_path() - RUN_DIR/control.sock.
 * @run_dir: run directory.
 * @buf: output.
 * @len: size of @buf (a sun_path fits in 108 bytes).
 *
 * Return: 0 or -ENAMETOOLONG.
 */
int ctl_socket_path(const char *run_dir, char *buf, size_t len);

/**
 * ctl_call() - send one request, wait up to 10 s for the reply.
 * @run_dir: run directory.
 * @request: JSON text, without newline.
 * @reply: receives the malloc'd reply text.
 *
 * Return: 0, -ENOENT / -ECONNREFUSED when no daemon listens, or a negative errno.
 */
int ctl_call(const char *run_dir, const char *request, char **reply);

#endif
