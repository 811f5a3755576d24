/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * etc_netns.c - the subject's resolv.conf and nsswitch.conf, and their
 * copies under /etc/netns/NAME/ for `ip netns exec`.
 *
 * iproute2 (ip/ipnetns.c, bind_etc()) bind-mounts every entry of
 * /etc/netns/NAME/ over the same name in /etc inside the private mount
 * namespace of `ip netns exec NAME`.  So writing our two files there is all
 * it takes for iproute2 to show a program the same resolver as `netnsp
 * exec`.  Whatever is in that directory is trusted by iproute2 as root, so
 * it must be root-owned and not writable by others: we refuse to write into
 * one that is not.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netns/etc_netns.h"
#include "netns/netns.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "util/parse.h"

#define HOSTS_LINE "hosts: files dns\n"

int etc_netns_resolv_text(const char *profile, const struct in_addr *uplink4, char *buf, size_t len)
{
	char a[INET_ADDRSTRLEN];
	int n;

	if (!profile || !uplink4 || !inet_ntop(AF_INET, uplink4, a, sizeof(a)))
		return -EINVAL;
	/* resolv.conf(5): edns0 lets answers exceed 512 bytes over UDP (RFC 6891). */
	n = snprintf(buf, len,
		     ETC_NETNS_MARKER " for profile %s; do not edit\nnameserver %s\n"
				      "options edns0\n",
		     profile, a);
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return n;
}

bool etc_netns_generated(const char *text)
{
	return text && strncmp(text, ETC_NETNS_MARKER, strlen(ETC_NETNS_MARKER)) == 0;
}

/* Whether a line names the database @db (nsswitch.conf(5): "db:" after optional blanks). */
static bool line_is_db(const char *line, size_t len, const char *db)
{
	size_t dl = strlen(db), i = 0;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (len - i < dl || strncmp(line + i, db, dl) != 0)
		return false;
	for (i += dl; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	return i < len && line[i] == ':';
}

/* Copy @host line by line into @out, replacing the hosts database; NUL-terminates. */
static char *nsswitch_rewrite(const char *host, char *out, bool *had_hosts)
{
	const char *p = host;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (line_is_db(p, len, "hosts")) {
			if (!*had_hosts)
				out = stpcpy(out, HOSTS_LINE);
			*had_hosts = true;
		} else if (!etc_netns_generated(p)) {
			memcpy(out, p, len);
			out += len;
			*out++ = '\n';
		}
		p += len + (nl ? 1 : 0);
	}
	*out = '\0';
	return out;
}

int etc_netns_nsswitch_text(const char *profile, const char *host, char **out)
{
	static const char def[] = "passwd: files\ngroup: files\nshadow: files\n";
	_cleanup_free_ char *text = NULL;
	bool had_hosts = false;
	size_t hlen, size;
	char *p;

	if (!profile)
		return -EINVAL;
	if (!host)
		host = def;
	hlen = strlen(host);
	if (hlen > ETC_NETNS_FILE_MAX)
		return -EFBIG;
	/* marker line + every line, one '\n' more at most + the hosts line. */
	size = 128 + strlen(profile) + hlen + 2 + sizeof(HOSTS_LINE);
	text = malloc(size);
	if (!text)
		return -ENOMEM;
	p = text + sprintf(text, ETC_NETNS_MARKER " for profile %s; do not edit\n", profile);
	p = nsswitch_rewrite(host, p, &had_hosts);
	if (!had_hosts)
		strcpy(p, HOSTS_LINE);
	*out = TAKE_PTR(text);
	return 0;
}

/* Read a regular file through @fd, at most ETC_NETNS_FILE_MAX bytes. */
static int read_regular(int fd, char **out)
{
	struct stat st;
	size_t len;

	if (fstat(fd, &st) < 0)
		return neg_errno();
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (st.st_size > (off_t)ETC_NETNS_FILE_MAX)
		return -EFBIG;
	return fd_read_all(fd, ETC_NETNS_FILE_MAX, out, &len);
}

int etc_netns_read_host(const char *path, char **out)
{
	_cleanup_close_ int fd = -1;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT ? 0 : neg_errno();
	return read_regular(fd, out);
}

/* A directory we may write into: ours (root for the daemon), not writable by others. */
static int dir_trusted(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return neg_errno();
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)))
		return -EPERM;
	return 0;
}

/* Open (creating it 0755 if @create) directory @name below @parent, and check it. */
static int open_dir(int parent, const char *name, bool create)
{
	_cleanup_close_ int fd = -1;
	bool made = false;
	int r;

	if (create && mkdirat(parent, name, 0755) == 0)
		made = true;
	else if (create && errno != EEXIST)
		return neg_errno();
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	/* mkdir(2) applies the umask: set the mode we promise. */
	if (made && fchmod(fd, 0755) < 0)
		return neg_errno();
	r = dir_trusted(fd);
	if (r < 0)
		return r;
	return TAKE_FD(fd);
}

/* Read @name in @dfd without following a symlink; -ENOENT if it is not there. */
static int read_at(int dfd, const char *name, char **out)
{
	_cleanup_close_ int fd = -1;

	*out = NULL;
	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return neg_errno();
	return read_regular(fd, out);
}

/* Replace @name in @dfd by @text: temp file, fsync, rename (atomic for readers). */
static int replace_at(int dfd, const char *name, const char *text)
{
	_cleanup_free_ char *old = NULL;
	_cleanup_close_ int fd = -1;
	char tmp[64];
	int r;

	r = read_at(dfd, name, &old);
	if (r == 0 && !etc_netns_generated(old))
		return -EEXIST; /* the user's own file: not ours to replace */
	if (r < 0 && r != -ENOENT)
		return r == -ELOOP || r == -EINVAL ? -EEXIST : r;
	snprintf(tmp, sizeof(tmp), ".%s.netnsp-tmp", name);
	(void)unlinkat(dfd, tmp, 0); /* a leftover of a crash: ours, in our directory */
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return neg_errno();
	r = fd_write_text(fd, text);
	if (r == 0 && (fchmod(fd, 0644) < 0 || fsync(fd) < 0))
		r = neg_errno();
	if (r == 0 && renameat(dfd, tmp, dfd, name) < 0)
		r = neg_errno();
	if (r < 0)
		(void)unlinkat(dfd, tmp, 0);
	return r;
}

int etc_netns_write_at(const char *base, const char *netns, const char *resolv,
		       const char *nsswitch)
{
	_cleanup_close_ int bfd = -1, dfd = -1;
	int r;

	if (!name_valid(netns) || !resolv || !nsswitch)
		return -EINVAL;
	bfd = open_dir(AT_FDCWD, base, true);
	if (bfd < 0)
		return bfd;
	dfd = open_dir(bfd, netns, true);
	if (dfd < 0)
		return dfd;
	r = replace_at(dfd, ETC_NETNS_RESOLV, resolv);
	if (r < 0)
		return r;
	r = replace_at(dfd, ETC_NETNS_NSSWITCH, nsswitch);
	if (r < 0)
		return r;
	/* The renames are durable only once the directory is on disk. */
	return fsync(dfd) < 0 ? neg_errno() : 0;
}

int etc_netns_write(const char *netns, const char *resolv, const char *nsswitch)
{
	return etc_netns_write_at(NETNS_ETC_DIR, netns, resolv, nsswitch);
}

int etc_netns_write_subject(const char *netns, const char *profile, const struct in_addr *uplink4)
{
	_cleanup_free_ char *host = NULL, *nss = NULL;
	char resolv[512];
	int r;

	if (!netns)
		return 0;
	r = etc_netns_resolv_text(profile, uplink4, resolv, sizeof(resolv));
	if (r < 0)
		return r;
	r = etc_netns_read_host("/etc/nsswitch.conf", &host);
	if (r < 0)
		return r;
	r = etc_netns_nsswitch_text(profile, host, &nss);
	if (r < 0)
		return r;
	return etc_netns_write(netns, resolv, nss);
}

/* Unlink @name in @dfd if it is a file netnsp generated. */
static int remove_generated(int dfd, const char *name)
{
	_cleanup_free_ char *text = NULL;
	int r;

	r = read_at(dfd, name, &text);
	if (r == -ENOENT)
		return 0;
	if (r == -ELOOP || r == -EINVAL || r == -EFBIG)
		return 0; /* a symlink, device or huge file: never ours */
	if (r < 0)
		return r;
	if (!etc_netns_generated(text))
		return 0;
	return unlinkat(dfd, name, 0) < 0 ? neg_errno() : 0;
}

int etc_netns_remove_at(const char *base, const char *netns)
{
	_cleanup_close_ int bfd = -1, dfd = -1;
	int r;

	if (!name_valid(netns))
		return -EINVAL;
	bfd = open_dir(AT_FDCWD, base, false);
	if (bfd == -ENOENT)
		return 0;
	if (bfd < 0)
		return bfd;
	dfd = open_dir(bfd, netns, false);
	if (dfd == -ENOENT)
		return 0;
	if (dfd < 0)
		return dfd;
	r = remove_generated(dfd, ETC_NETNS_RESOLV);
	if (r < 0)
		return r;
	r = remove_generated(dfd, ETC_NETNS_NSSWITCH);
	if (r < 0)
		return r;
	/* Only if empty: the user may keep other files there for `ip netns exec`. */
	if (unlinkat(bfd, netns, AT_REMOVEDIR) < 0 && errno != ENOTEMPTY && errno != EEXIST)
		return neg_errno();
	return 0;
}

int etc_netns_remove(const char *netns)
{
	return etc_netns_remove_at(NETNS_ETC_DIR, netns);
}
