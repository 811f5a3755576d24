/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netns.c - create, open, identify and enter network namespaces.
 *
 * Named namespaces follow iproute2 (ip/ipnetns.c): /run/netns is a shared
 * mount point so that a bind mount made there propagates into mount
 * namespaces created later (exec's private one included), and each
 * /run/netns/NAME is an empty file with the nsfs file of the namespace
 * bind-mounted onto it; the mount keeps the namespace alive with no process
 * in it.
 *
 * Work inside a namespace happens in a short-lived thread: setns(2) and
 * unshare(CLONE_NEWNET) change only the calling thread, and a socket keeps
 * the namespace it was created in for its whole life (socket(7) / netns),
 * so the caller never leaves its own namespace.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <linux/magic.h>
#include <linux/nsfs.h>

#include "netns/netns.h"
#include "util/macro.h"
#include "util/parse.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif
#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

static void netns_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", NETNS_RUN_DIR, name);
}

/* An nsfs file of type CLONE_NEWNET (ioctl_ns(2) NS_GET_NSTYPE, Linux 4.11). */
static int netns_check_fd(int fd)
{
	struct statfs sfs;
	int t;

	if (fstatfs(fd, &sfs) < 0)
		return neg_errno();
	if (sfs.f_type != NSFS_MAGIC)
		return -EINVAL;
	t = ioctl(fd, NS_GET_NSTYPE);
	if (t < 0)
		return neg_errno();
	return t == CLONE_NEWNET ? 0 : -EINVAL;
}

int netns_open_named(const char *name)
{
	char path[sizeof(NETNS_RUN_DIR) + 40];
	_cleanup_close_ int fd = -1;
	int r;

	if (!name_valid(name))
		return -EINVAL;
	netns_path(path, sizeof(path), name);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return neg_errno();
	r = netns_check_fd(fd);
	if (r < 0)
		return r;
	return TAKE_FD(fd);
}

/*
 * Make /run/netns exist and be a shared mount point, as `ip netns add` does:
 * MS_SHARED fails with EINVAL when it is not a mount point yet, so bind-mount
 * it onto itself first (mount_namespaces(7)).
 */
static int netns_prepare_run_dir(void)
{
	if (mkdir(NETNS_RUN_DIR, 0755) < 0 && errno != EEXIST)
		return neg_errno();
	if (mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL) == 0)
		return 0;
	if (errno != EINVAL)
		return neg_errno();
	if (mount(NETNS_RUN_DIR, NETNS_RUN_DIR, "none", MS_BIND | MS_REC, NULL) < 0)
		return neg_errno();
	if (mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL) < 0)
		return neg_errno();
	return 0;
}

struct thread_job {
	int nsfd;
	int (*fn)(void *arg);
	void *arg;
	int ret;
};

static void *thread_main(void *p)
{
	struct thread_job *j = p;

	if (j->nsfd >= 0 && setns(j->nsfd, CLONE_NEWNET) < 0) {
		j->ret = neg_errno();
		return NULL;
	}
	j->ret = j->fn(j->arg);
	return NULL;
}

/* Run @fn in a fresh thread; with @nsfd >= 0 the thread joins it first. */
static int thread_run(int nsfd, int (*fn)(void *arg), void *arg)
{
	struct thread_job j = {.nsfd = nsfd, .fn = fn, .arg = arg, .ret = -EIO};
	pthread_t t;
	int r;

	r = pthread_create(&t, NULL, thread_main, &j);
	if (r)
		return -r;
	r = pthread_join(t, NULL);
	if (r)
		return -r;
	return j.ret;
}

/* Whether @nsfd is the calling thread's own network namespace. */
static bool netns_is_current(int nsfd)
{
	struct stat a, b;

	return fstat(nsfd, &a) == 0 && stat("/proc/thread-self/ns/net", &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int netns_run_in(int nsfd, int (*fn)(void *arg), void *arg)
{
	if (nsfd < 0)
		return -EBADF;
	/* Already there (`netnsp run` lives in its subject): a thread would only cost a wakeup. */
	if (netns_is_current(nsfd))
		return fn(arg);
	return thread_run(nsfd, fn, arg);
}

struct scratch_job {
	int (*fn)(void *arg);
	void *arg;
};

/* In the helper thread: a new netns that nothing pins, gone when the thread ends. */
static int scratch_in_thread(void *arg)
{
	struct scratch_job *j = arg;

	if (unshare(CLONE_NEWNET) < 0)
		return neg_errno();
	return j->fn(j->arg);
}

int netns_run_scratch(int (*fn)(void *arg), void *arg)
{
	struct scratch_job j = {.fn = fn, .arg = arg};

	return thread_run(-1, scratch_in_thread, &j);
}

struct create_job {
	const char *path;
	int (*init)(void);
};

/* In the helper thread: a new netns, @init inside it, then pin it on the file. */
static int create_in_thread(void *arg)
{
	const struct create_job *j = arg;
	int r;

	if (unshare(CLONE_NEWNET) < 0)
		return neg_errno();
	r = j->init ? j->init() : 0;
	if (r < 0)
		return r;
	if (mount("/proc/thread-self/ns/net", j->path, "none", MS_BIND, NULL) < 0)
		return neg_errno();
	return 0;
}

int netns_create_named(const char *name, int (*init)(void))
{
	char path[sizeof(NETNS_RUN_DIR) + 40];
	struct create_job j = {.path = path, .init = init};
	int fd, r;

	if (!name_valid(name))
		return -EINVAL;
	r = netns_prepare_run_dir();
	if (r < 0)
		return r;
	netns_path(path, sizeof(path), name);
	/* Mode 0 like iproute2: the file is only a mount point. */
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0);
	if (fd < 0)
		return neg_errno();
	close(fd);
	r = thread_run(-1, create_in_thread, &j);
	if (r == 0) {
		fd = netns_open_named(name);
		if (fd >= 0)
			return fd;
		r = fd;
		(void)umount2(path, MNT_DETACH);
	}
	(void)unlink(path);
	return r;
}

int netns_delete_named(const char *name)
{
	char path[sizeof(NETNS_RUN_DIR) + 40];

	if (!name_valid(name))
		return -EINVAL;
	netns_path(path, sizeof(path), name);
	/* EINVAL: not a mount point (a half-made file); still unlink it. */
	if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL && errno != ENOENT)
		return neg_errno();
	if (unlink(path) < 0)
		return neg_errno();
	return 0;
}

struct socket_job {
	int domain, type, proto;
};

static int socket_in_thread(void *arg)
{
	const struct socket_job *j = arg;
	int fd = socket(j->domain, j->type | SOCK_CLOEXEC, j->proto);

	return fd < 0 ? neg_errno() : fd;
}

int netns_socket(int nsfd, int domain, int type, int proto)
{
	struct socket_job j = {domain, type, proto};

	if (nsfd < 0)
		return socket_in_thread(&j);
	return netns_run_in(nsfd, socket_in_thread, &j);
}

/* dev/ino of @nsfd, cookie of the namespace @sock lives in (0 if unsupported or @sock < 0). */
static int ident_from(int nsfd, int sock, struct ns_ident *out)
{
	struct stat st;
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);

	if (fstat(nsfd, &st) < 0)
		return neg_errno();
	/* SO_NETNS_COOKIE: Linux 5.14; older kernels say ENOPROTOOPT. */
	if (sock >= 0 && getsockopt(sock, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) < 0) {
		if (errno != ENOPROTOOPT)
			return neg_errno();
		cookie = 0;
	}
	out->dev = (uint64_t)st.st_dev;
	out->ino = (uint64_t)st.st_ino;
	out->cookie = cookie;
	return 0;
}

int netns_ident_fd(int nsfd, struct ns_ident *out)
{
	_cleanup_close_ int sock = -1;
	int r;

	r = netns_check_fd(nsfd);
	if (r < 0)
		return r;
	sock = netns_socket(nsfd, AF_UNIX, SOCK_DGRAM, 0);
	if (sock == -EPERM) {
		/* setns needs CAP_SYS_ADMIN; our own namespace needs no setns. */
		struct ns_ident self;

		r = netns_ident_self(&self);
		if (r < 0)
			return r;
		r = ident_from(nsfd, -1, out);
		if (r == 0 && out->dev == self.dev && out->ino == self.ino)
			out->cookie = self.cookie;
		return r;
	}
	if (sock < 0)
		return sock;
	return ident_from(nsfd, sock, out);
}

int netns_ident_self(struct ns_ident *out)
{
	_cleanup_close_ int nsfd = -1, sock = -1;

	nsfd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return neg_errno();
	sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return neg_errno();
	return ident_from(nsfd, sock, out);
}

bool netns_ident_equal(const struct ns_ident *a, const struct ns_ident *b)
{
	if (a->cookie && b->cookie && a->cookie != b->cookie)
		return false;
	return a->dev == b->dev && a->ino == b->ino;
}

int netns_owner(int nsfd, uint32_t *uid, bool *initial)
{
	_cleanup_close_ int userns = -1;
	struct stat own, mine;
	uid_t owner;
	int r;

	r = netns_check_fd(nsfd);
	if (r < 0)
		return r;
	/* EPERM when the owner is outside our own user namespace: not ours to judge. */
	userns = ioctl(nsfd, NS_GET_USERNS);
	if (userns < 0)
		return neg_errno();
	if (ioctl(userns, NS_GET_OWNER_UID, &owner) < 0)
		return neg_errno();
	if (fstat(userns, &own) < 0 || stat("/proc/self/ns/user", &mine) < 0)
		return neg_errno();
	*uid = (uint32_t)owner;
	*initial = own.st_dev == mine.st_dev && own.st_ino == mine.st_ino;
	return 0;
}

int netns_run_dir_holds(int nsfd, char *name, size_t len)
{
	_cleanup_close_ int dfd = -1;
	struct stat ns, st;
	struct dirent *de;
	int r = 0;
	DIR *dir;

	if (fstat(nsfd, &ns) < 0)
		return neg_errno();
	dfd = open(NETNS_RUN_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? 0 : neg_errno();
	dir = fdopendir(dfd);
	if (!dir)
		return neg_errno();
	dfd = -1; /* owned by dir now */
	while (r == 0 && (de = readdir(dir))) {
		/* A bind mount is followed even without AT_SYMLINK_FOLLOW: st is the nsfs file. */
		if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (st.st_dev == ns.st_dev && st.st_ino == ns.st_ino) {
			snprintf(name, len, "%s", de->d_name);
			r = 1;
		}
	}
	closedir(dir);
	return r;
}
