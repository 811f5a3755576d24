/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * userns.h - the user namespaces of an unprivileged `netnsp run`.
 *
 * Two levels (user_namespaces(7)):
 *  - the outer one maps the caller's uid and gid to 0 inside: its first
 *    process holds every capability over the network and mount namespaces
 *    it creates with it, which is what setting up the subject needs;
 *  - the command runs in a second, nested one that maps the caller's
 *    uid and gid back to themselves: the program sees its own ids, and
 *    holds no capability over the outer namespaces (capabilities reach
 *    only into a namespace's descendants), so it cannot undo the nft
 *    table, the routes or the bind mounts over /etc.
 */
#ifndef NETNSP_USERNS_H
#define NETNSP_USERNS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/**
 * userns_refused_why() - whether the kernel refuses unprivileged user namespaces, and why.
 * @buf: receives one line naming the sysctl to change.
 * @len: size of @buf.
 *
 * Reads kernel.unprivileged_userns_clone (Debian), user.max_user_namespaces
 * and kernel.apparmor_restrict_unprivileged_userns (Ubuntu) where they exist.
 *
 * Return: true if one of them forbids them (@buf says which), false otherwise.
 */
bool userns_refused_why(char *buf, size_t len);

/**
 * userns_enter() - unshare a user namespace (plus @extra flags) and map one id.
 * @extra: more CLONE_NEW* flags to unshare together with CLONE_NEWUSER, or 0.
 * @inside_uid: the uid the caller becomes inside.
 * @inside_gid: the gid the caller becomes inside.
 *
 * The caller's current uid and gid are mapped to @inside_uid / @inside_gid,
 * one id each; setgroups(2) is denied first, as the kernel requires of an
 * unprivileged gid_map writer (and a nested namespace inherits "deny").
 *
 * Return: 0 or a negative errno.
 */
int userns_enter(int extra, uid_t inside_uid, gid_t inside_gid);

#endif
