/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * exec_mounts.c - step 7 of `netnsp exec` (see exec.c): the program's
 * private mount namespace, where /etc/resolv.conf names the subject's
 * resolver, /etc/nsswitch.conf says `hosts: files dns`, and the host's
 * resolver sockets are masked.
 *
 * Why: a network namespace does not isolate unix sockets on the
 * filesystem.  Through nscd's socket, systemd-resolved's varlink socket
 * (nss-resolve) or stub files, or avahi's socket (nss-mdns), a program could
 * have a host daemon resolve a name outside the proxy chain.
 *
 * How, in the order the code does it (all after setns(CLONE_NEWNET), with
 * CAP_SYS_ADMIN still held; any failure refuses to run the program):
 *
 *  1. The targets are resolved first: /etc/resolv.conf is often a symlink
 *     (systemd-resolved: ../run/systemd/resolve/stub-resolv.conf;
 *     NetworkManager: /run/NetworkManager/resolv.conf).  mount(2) follows a
 *     symlink at the target, so binding "over /etc/resolv.conf" really
 *     covers the file it points to, and fails with ENOENT when the link
 *     dangles: that is iproute2's pitfall (ipnetns.c bind_etc() then
 *     warns and leaves the host's view).  So we follow the link ourselves.
 *  2. unshare(CLONE_NEWNS), then / recursively private: nothing we mount
 *     propagates back to the host (a shared / would, mount_namespaces(7)).
 *  3. A small tmpfs is mounted on /tmp *inside the new namespace only*, to
 *     hold the generated files and an empty mode-0000 file; each is then
 *     bind-mounted where it belongs and the tmpfs is detached again
 *     (MNT_DETACH): the bind mounts keep its superblock alive, and the
 *     caller's /tmp is visible as before.
 *  4. Directories to mask (/run/systemd/resolve: the stub resolv.conf files
 *     and the io.systemd.Resolve varlink socket) get an empty tmpfs, made
 *     read-only.  If resolv.conf's target lies in such a directory, the
 *     generated text is written into that tmpfs under the target's name
 *     before it turns read-only, so the symlink resolves to our file.
 *  5. Sockets to mask (nscd, avahi) get the empty file bind-mounted over
 *     them: connect(2) on a path that is a regular file fails with
 *     ECONNREFUSED (net/unix/af_unix.c: the inode is not a socket).
 *  6. resolv.conf and nsswitch.conf: bound over the resolved target.  A
 *     dangling link whose target's directory is under /run is served by a
 *     tmpfs on that directory holding only our file; any other dangling
 *     link is refused.  A missing /etc/resolv.conf or /etc/nsswitch.conf
 *     is left missing: glibc then asks 127.0.0.1, inside the namespace.
 *
 * Every mount is MS_NOSUID | MS_NODEV | MS_NOEXEC and ends read-only
 * (a bind mount takes its flags only from a MS_REMOUNT, mount(2)).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec/exec.h"
#include "netns/etc_netns.h"
#include "state/state.h"
#include "util/fileio.h"
#include "util/macro.h"

#define MNT_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC)
#define STAGE_DIR "/tmp"
#define LINK_HOPS 16

static const char *const mask_dirs[] = {
	"/run/systemd/resolve", /* stub-resolv.conf, resolv.conf, io.systemd.Resolve */
};
static const char *const mask_sockets[] = {
	"/run/nscd/socket",
	"/var/run/nscd/socket",
	"/run/avahi-daemon/socket",
	"/var/run/avahi-daemon/socket",
};

/* One file we place: its generated text and where it really lands. */
struct placed {
	const char *etc;       /* "/etc/resolv.conf" */
	const char *name;      /* "resolv.conf": its name in the staging tmpfs */
	const char *text;      /* borrowed */
	char target[PATH_MAX]; /* @etc with every symlink followed */
	bool exists;	       /* @target exists (a regular file) */
	bool missing;	       /* @etc itself does not exist: nothing to cover */
	bool done;
};

struct mounts {
	struct placed files[2];
	char *err;
	size_t errlen;
};

static int fail(struct mounts *m, int r, const char *fmt, ...) _printf_(3, 4);
static int fail(struct mounts *m, int r, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(m->err, m->errlen, fmt, ap);
	va_end(ap);
	n = strlen(m->err);
	snprintf(m->err + n, m->errlen - n, ": %s", strerror(-r));
	return r;
}

/* Canonical @path: its directory through realpath(3), its last name kept. */
static int canon_parent(const char *path, char *out, size_t len)
{
	_cleanup_free_ char *dir = NULL, *real = NULL;
	const char *slash = strrchr(path, '/');
	int n;

	if (!slash)
		return -EINVAL;
	dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
	if (!dir)
		return -ENOMEM;
	real = realpath(dir, NULL);
	if (!real)
		return neg_errno();
	n = snprintf(out, len, "%s/%s", strcmp(real, "/") ? real : "", slash + 1);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Where symlink @cur pointing at @link leads: absolute, or relative to @cur's directory. */
static int link_join(const char *cur, const char *link, char *out, size_t len)
{
	int n;

	if (link[0] == '/')
		n = snprintf(out, len, "%s", link);
	else
		n = snprintf(out, len, "%.*s/%s", (int)(strrchr(cur, '/') - cur), cur, link);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Follow @f->etc link by link (a dangling one ends the walk, not an error). */
static int resolve_target(struct placed *f)
{
	char cur[PATH_MAX], link[PATH_MAX], next[PATH_MAX];
	struct stat st;

	snprintf(cur, sizeof(cur), "%s", f->etc);
	for (int hop = 0; hop < LINK_HOPS; hop++) {
		ssize_t n;
		int r;

		if (lstat(cur, &st) < 0) {
			if (errno != ENOENT)
				return neg_errno();
			f->missing = hop == 0;
			return canon_parent(cur, f->target, sizeof(f->target));
		}
		if (!S_ISLNK(st.st_mode)) {
			f->exists = true;
			return canon_parent(cur, f->target, sizeof(f->target));
		}
		n = readlink(cur, link, sizeof(link) - 1);
		if (n < 0)
			return neg_errno();
		link[n] = '\0';
		r = link_join(cur, link, next, sizeof(next));
		if (r == 0)
			r = canon_parent(next, cur, sizeof(cur));
		if (r == -ENOENT) { /* the target's directory is gone: dangling */
			memcpy(f->target, next, sizeof(next));
			return 0;
		}
		if (r < 0)
			return r;
	}
	return -ELOOP;
}

static int write_file(const char *path, const char *text, mode_t mode)
{
	_cleanup_close_ int fd = -1;
	int r;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return neg_errno();
	r = fd_write_text(fd, text);
	if (r < 0)
		return r;
	/* open(2) applies the umask: set the mode we mean. */
	return fchmod(fd, mode) < 0 ? neg_errno() : 0;
}

static int mount_tmpfs(const char *dir, const char *mode)
{
	char opts[64];

	snprintf(opts, sizeof(opts), "mode=%s,size=64k,nr_inodes=16", mode);
	return mount("tmpfs", dir, "tmpfs", MNT_FLAGS, opts) < 0 ? neg_errno() : 0;
}

static int remount_ro(const char *path, bool bind)
{
	unsigned long fl = MS_REMOUNT | MS_RDONLY | MNT_FLAGS | (bind ? MS_BIND : 0);

	return mount(NULL, path, NULL, fl, NULL) < 0 ? neg_errno() : 0;
}

/* Bind @src over @dst (following a symlink at @dst, as mount(2) does), read-only. */
static int bind_ro(const char *src, const char *dst)
{
	if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
		return neg_errno();
	return remount_ro(dst, true);
}

/* Whether @path is the file @dir/NAME for some NAME (no deeper). */
static bool in_dir(const char *path, const char *dir)
{
	size_t dl = strlen(dir);

	return strncmp(path, dir, dl) == 0 && path[dl] == '/' && !strchr(path + dl + 1, '/') &&
	       path[dl + 1];
}

/* A tmpfs over @dir holding only the files that belong there; read-only after. */
static int shadow_dir(struct mounts *m, const char *dir)
{
	int r;

	r = mount_tmpfs(dir, "0755");
	if (r < 0)
		return fail(m, r, "mask %s", dir);
	for (size_t i = 0; i < ARRAY_SIZE(m->files); i++) {
		struct placed *f = &m->files[i];

		if (f->done || f->missing || !in_dir(f->target, dir))
			continue;
		r = write_file(f->target, f->text, 0644);
		if (r < 0)
			return fail(m, r, "write %s (for %s)", f->target, f->etc);
		f->done = true;
	}
	r = remount_ro(dir, false);
	return r < 0 ? fail(m, r, "make %s read-only", dir) : 0;
}

static int mask_all_dirs(struct mounts *m)
{
	for (size_t i = 0; i < ARRAY_SIZE(mask_dirs); i++) {
		_cleanup_free_ char *real = realpath(mask_dirs[i], NULL);
		struct stat st;
		int r;

		if (!real && errno == ENOENT)
			continue; /* nothing there to reach */
		if (!real)
			return fail(m, neg_errno(), "mask %s", mask_dirs[i]);
		if (stat(real, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		r = shadow_dir(m, real);
		if (r < 0)
			return r;
	}
	return 0;
}

static int mask_all_sockets(struct mounts *m)
{
	for (size_t i = 0; i < ARRAY_SIZE(mask_sockets); i++) {
		struct stat st;
		int r;

		/* stat(), not lstat(): /var/run is usually a link to /run. */
		if (stat(mask_sockets[i], &st) < 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				continue;
			return fail(m, neg_errno(), "mask %s", mask_sockets[i]);
		}
		r = bind_ro(STAGE_DIR "/empty", mask_sockets[i]);
		if (r < 0)
			return fail(m, r, "mask %s", mask_sockets[i]);
	}
	return 0;
}

/* Step 6 for one file. */
static int place_file(struct mounts *m, struct placed *f)
{
	_cleanup_free_ char *dir = NULL;
	char src[PATH_MAX];
	const char *slash;

	if (f->done || f->missing)
		return 0;
	snprintf(src, sizeof(src), STAGE_DIR "/%s", f->name);
	if (f->exists) {
		int r = bind_ro(src, f->target);

		return r < 0 ? fail(m, r, "bind %s over %s", f->name, f->target) : 0;
	}
	/* Dangling: a tmpfs on the target's directory, only for runtime dirs. */
	slash = strrchr(f->target, '/');
	dir = strndup(f->target, (size_t)(slash - f->target));
	if (!dir)
		return fail(m, -ENOMEM, "%s", f->etc);
	if (strncmp(dir, "/run/", 5) != 0 || access(dir, F_OK) < 0)
		return fail(m, -ENOENT,
			    "%s is a dangling symlink to %s (not under an existing "
			    "/run directory)",
			    f->etc, f->target);
	return shadow_dir(m, dir);
}

/* Steps 3-6, in the new mount namespace. */
static int mount_all(struct mounts *m)
{
	char path[PATH_MAX];
	int r;

	r = mount_tmpfs(STAGE_DIR, "0700");
	if (r < 0)
		return fail(m, r, "tmpfs on %s (new mount namespace)", STAGE_DIR);
	r = write_file(STAGE_DIR "/empty", "", 0);
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(m->files); i++) {
		snprintf(path, sizeof(path), STAGE_DIR "/%s", m->files[i].name);
		r = write_file(path, m->files[i].text, 0644);
	}
	if (r < 0)
		return fail(m, r, "write files in %s (new mount namespace)", STAGE_DIR);
	r = mask_all_dirs(m);
	if (r == 0)
		r = mask_all_sockets(m);
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(m->files); i++)
		r = place_file(m, &m->files[i]);
	if (r < 0)
		return r;
	if (umount2(STAGE_DIR, MNT_DETACH) < 0)
		return fail(m, neg_errno(), "detach the tmpfs on %s", STAGE_DIR);
	return 0;
}

/* Read the host's nsswitch.conf and build both texts. */
static int build_texts(struct mounts *m, const struct subject_state *st, char *resolv, size_t rlen,
		       char **nss)
{
	_cleanup_free_ char *host = NULL;
	int r;

	r = etc_netns_resolv_text(st->name, &st->uplink4, resolv, rlen);
	if (r < 0)
		return fail(m, r, "resolv.conf for profile '%s'", st->name);
	r = etc_netns_read_host("/etc/nsswitch.conf", &host);
	if (r < 0)
		return fail(m, r, "read /etc/nsswitch.conf");
	r = etc_netns_nsswitch_text(st->name, host, nss);
	if (r < 0)
		return fail(m, r, "nsswitch.conf for profile '%s'", st->name);
	return 0;
}

int exec_setup_mounts(const struct subject_state *st, char *err, size_t errlen)
{
	_cleanup_free_ char *nss = NULL;
	struct mounts m = {.err = err, .errlen = errlen};
	char resolv[512];
	int r;

	r = build_texts(&m, st, resolv, sizeof(resolv), &nss);
	if (r < 0)
		return r;
	m.files[0] =
		(struct placed){.etc = "/etc/resolv.conf", .name = "resolv.conf", .text = resolv};
	m.files[1] =
		(struct placed){.etc = "/etc/nsswitch.conf", .name = "nsswitch.conf", .text = nss};
	for (size_t i = 0; i < ARRAY_SIZE(m.files); i++) {
		r = resolve_target(&m.files[i]);
		if (r < 0)
			return fail(&m, r, "resolve %s", m.files[i].etc);
	}
	if (unshare(CLONE_NEWNS) < 0)
		return fail(&m, neg_errno(), "unshare the mount namespace");
	/* Nothing mounted below may reach the host's namespace (mount_namespaces(7)). */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return fail(&m, neg_errno(), "make / private");
	return mount_all(&m);
}
