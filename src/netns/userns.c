// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * userns.c - user namespaces for an unprivileged `netnsp run` (userns.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "userns.h"
#include "util/macro.h"

/* The first number in a /proc/sys file, or -1 if it is missing or unreadable. */
static long sysctl_read(const char *path)
{
	char buf[32] = "";
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	long v;

	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0 || sscanf(buf, "%ld", &v) != 1)
		return -1;
	return v;
}

bool userns_refused_why(char *buf, size_t len)
{
	if (sysctl_read("/proc/sys/kernel/unprivileged_userns_clone") == 0) {
		snprintf(buf, len,
			 "the kernel refuses unprivileged user namespaces: "
			 "sysctl kernel.unprivileged_userns_clone=1 allows them");
		return true;
	}
	if (sysctl_read("/proc/sys/user/max_user_namespaces") == 0) {
		snprintf(buf, len,
			 "the kernel allows no user namespaces: "
			 "sysctl user.max_user_namespaces=N (N > 0) allows them");
		return true;
	}
	if (sysctl_read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == 1) {
		snprintf(buf, len,
			 "AppArmor restricts unprivileged user namespaces: "
			 "sysctl kernel.apparmor_restrict_unprivileged_userns=0 lifts it");
		return true;
	}
	return false;
}

static int write_text(const char *path, const char *text)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n, len = (ssize_t)strlen(text);

	if (fd < 0)
		return neg_errno();
	n = write(fd, text, (size_t)len);
	if (n < 0)
		return neg_errno();
	return n == len ? 0 : -EIO;
}

int userns_enter(int extra, uid_t inside_uid, gid_t inside_gid)
{
	char map[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();
	int r;

	if (unshare(CLONE_NEWUSER | extra) < 0)
		return neg_errno();
	/* EPERM: a parent namespace already denies it, and children inherit that. */
	r = write_text("/proc/self/setgroups", "deny");
	if (r < 0 && r != -EPERM)
		return r;
	snprintf(map, sizeof(map), "%u %u 1\n", inside_uid, uid);
	r = write_text("/proc/self/uid_map", map);
	if (r < 0)
		return r;
	snprintf(map, sizeof(map), "%u %u 1\n", inside_gid, gid);
	return write_text("/proc/self/gid_map", map);
}
