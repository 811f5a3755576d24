/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nl-diag.h - who owns a TCP socket: one NETLINK_SOCK_DIAG (inet_diag)
 * lookup by exact 4-tuple, for isolate = app.
 *
 * A transparently proxied connection carries no SO_PEERCRED, but the app's
 * own socket sits in the subject's namespace with the 4-tuple the daemon
 * accepted; the kernel reports its owner uid and, since Linux 5.10, its
 * cgroup v2 id (INET_DIAG_CGROUP_ID), which tells systemd scopes and
 * Flatpak instances apart.  One request, answered at once, no /proc scan.
 */
#ifndef NETNSP_NL_DIAG_H
#define NETNSP_NL_DIAG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define NL_DIAG_REQ_LEN 72 /* nlmsghdr (16) + inet_diag_req_v2 (56) */

struct nl_diag_owner {
	uint32_t uid;
	uint64_t cgroup; /* 0 when the kernel did not report one */
};

/**
 * nl_diag_build_req() - a SOCK_DIAG_BY_FAMILY request for one TCP socket.
 * @buf: NL_DIAG_REQ_LEN bytes.
 * @local: the socket's own address (AF_INET or AF_INET6, port set).
 * @remote: its peer's address, same family.
 * @seq: sequence number.
 *
 * Return: the request's length, or -EAFNOSUPPORT.
 */
int nl_diag_build_req(uint8_t buf[NL_DIAG_REQ_LEN], const struct sockaddr_storage *local,
		      const struct sockaddr_storage *remote, uint32_t seq);

/**
 * nl_diag_parse_owner() - read the owner out of the kernel's answer.
 * @buf: what recv() returned.
 * @len: its length.
 * @out: uid and cgroup id.
 *
 * Return: 0, the kernel's negative errno (NLMSG_ERROR; -ENOENT: no such
 * socket), or -EBADMSG for a malformed answer.
 */
int nl_diag_parse_owner(const uint8_t *buf, size_t len, struct nl_diag_owner *out);

/**
 * nl_diag_owner() - ask, on @fd, who owns the TCP socket @local <-> @remote.
 * @fd: a NETLINK_SOCK_DIAG socket made in the namespace of that socket.
 * @local: the socket's address.
 * @remote: its peer's address.
 * @out: uid and cgroup id.
 *
 * Return: 0 or a negative errno.
 */
int nl_diag_owner(int fd, const struct sockaddr_storage *local,
		  const struct sockaddr_storage *remote, struct nl_diag_owner *out);

#endif
