/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netns.h - network namespaces: create and delete them the way `ip netns`
 * does (/run/netns/NAME, a bind mount of an nsfs file on a shared mount),
 * identify them (nsfs dev/inode + SO_NETNS_COOKIE), and do work inside them
 * from a short-lived thread (setns affects only the calling thread; sockets
 * keep the namespace they were created in).
 */
#ifndef NETNSP_NETNS_H
#define NETNSP_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETNS_RUN_DIR "/run/netns"
#define NETNS_ETC_DIR "/etc/netns"

/* Identity of a network namespace: nsfs (st_dev, st_ino) plus SO_NETNS_COOKIE. */
struct ns_ident {
	uint64_t dev;
	uint64_t ino;
	uint64_t cookie; /* 0 if the kernel has no SO_NETNS_COOKIE */
};

/**
 * netns_open_named() - open /run/netns/NAME (O_RDONLY|O_CLOEXEC|O_NOFOLLOW).
 * @name: namespace name.
 *
 * Return: an fd, -ENOENT if it does not exist, -EINVAL if it is not an nsfs
 * network namespace, or another negative errno.
 */
int netns_open_named(const char *name);

/**
 * netns_create_named() - create /run/netns/NAME as `ip netns add` does.
 * @name: namespace name.
 * @init: run inside the new namespace before it is pinned (the daemon
 *        passes nl_lo_up(): this module stays below src/netlink), or NULL.
 *
 * Makes /run/netns a shared mount point (once), creates an empty file,
 * unshares a new network namespace in a helper thread, runs @init there
 * and bind-mounts it.  If @init fails, nothing is left behind.
 *
 * Return: an fd on the new namespace, -EEXIST if the file exists, @init's
 * error, or a negative errno.
 */
int netns_create_named(const char *name, int (*init)(void));

/**
 * netns_delete_named() - undo netns_create_named(): umount (MNT_DETACH) and unlink.
 * @name: namespace name.
 *
 * Return: 0, -ENOENT if absent, or a negative errno.
 */
int netns_delete_named(const char *name);

/**
 * netns_ident_fd() - identity of the namespace behind @nsfd.
 * @nsfd: fd on an nsfs file (or /proc/PID/ns/net).
 * @out: dev, ino and (where the kernel has SO_NETNS_COOKIE) cookie.
 *
 * Return: 0 or a negative errno.
 */
int netns_ident_fd(int nsfd, struct ns_ident *out);

/**
 * netns_ident_self() - identity of the calling thread's network namespace.
 * @out: identity.
 *
 * Return: 0 or a negative errno.
 */
int netns_ident_self(struct ns_ident *out);

/**
 * netns_ident_equal() - whether @a and @b name the same namespace.
 * @a: identity.
 * @b: identity.
 *
 * Cookies are compared when both are non-zero, dev and ino always.
 *
 * Return: true if equal.
 */
bool netns_ident_equal(const struct ns_ident *a, const struct ns_ident *b);

/**
 * netns_run_in() - run @fn(@arg) in a new thread that has joined @nsfd.
 * @nsfd: namespace fd.
 * @fn: work; returns 0 or a negative errno.
 * @arg: its argument.
 *
 * The thread ends after @fn, so the caller's namespace never changes.  When
 * @nsfd is the caller's own namespace (`netnsp run` inside its subject),
 * @fn runs in the calling thread: on a loaded machine each thread's first
 * wakeup costs milliseconds.
 *
 * Return: what @fn returned, or the negative errno of setns / thread creation.
 */
int netns_run_in(int nsfd, int (*fn)(void *arg), void *arg);

/**
 * netns_run_scratch() - run @fn(@arg) in a new thread inside a new, empty
 * network namespace that disappears when the thread ends.
 * @fn: work; returns 0 or a negative errno.
 * @arg: its argument.
 *
 * For computing what the kernel makes of a configuration (`netnsp check`
 * loads the expected nft table there and lists it) without touching any
 * namespace in use.  Needs CAP_SYS_ADMIN.
 *
 * Return: what @fn returned, or a negative errno.
 */
int netns_run_scratch(int (*fn)(void *arg), void *arg);

/**
 * netns_socket() - socket(@domain, @type | SOCK_CLOEXEC, @proto) inside @nsfd.
 * @nsfd: namespace fd, or -1 for the caller's own namespace.
 * @domain: AF_INET, AF_INET6, AF_NETLINK, ...
 * @type: SOCK_STREAM, ...
 * @proto: protocol.
 *
 * Return: the fd or a negative errno.
 */
int netns_socket(int nsfd, int domain, int type, int proto);

/**
 * netns_owner() - who owns the network namespace behind @nsfd.
 * @nsfd: fd on an nsfs file (or /proc/PID/ns/net).
 * @uid: receives the owner uid of its owning user namespace
 *       (NS_GET_USERNS, then NS_GET_OWNER_UID; the initial one's is 0).
 * @initial: receives whether that user namespace is the caller's own.
 *
 * Return: 0, -EPERM if the owning user namespace is not below the
 * caller's, or another negative errno.
 */
int netns_owner(int nsfd, uint32_t *uid, bool *initial);

/**
 * netns_run_dir_holds() - whether a file under NETNS_RUN_DIR is @nsfd's namespace.
 * @nsfd: fd on an nsfs file.
 * @name: receives the first such file's name.
 * @len: size of @name.
 *
 * Compares device and inode of every entry (bind mounts are followed).
 *
 * Return: 1 (name in @name), 0 if none (or no NETNS_RUN_DIR), or a negative errno.
 */
int netns_run_dir_holds(int nsfd, char *name, size_t len);

#endif
