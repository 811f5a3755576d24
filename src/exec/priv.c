/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * priv.c - the pieces of `netnsp exec` (see the theory of operation in exec.c).
 *
 * The first half is pure or read-only: profile name rules, authorization
 * against a profile's `users`, and the "only root could have written this"
 * test for files and their directories.  The second half changes the
 * process for good: ids, capabilities, no_new_privs, fds, signals.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "config/config.h"
#include "exec/exec.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "util/parse.h"

/* Strict decimal, at most UINT32_MAX - 1: (uid_t)-1 means "no id" to the kernel. */
static bool parse_id(const char *s, uint32_t *out)
{
	uint64_t v;

	if (parse_uint(s, UINT32_MAX - 1, &v) < 0)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* One user or group database lookup: what is asked, what was found. */
struct nss_job {
	uid_t uid;
	const char *name;
	gid_t gid;
	char *user; /* owned until handed to the caller */
};

/*
 * Run @get with a buffer that grows while the database says ERANGE (twice
 * as big each time, up to 1 MiB): the calling convention of getpwuid_r(3)
 * and getgrnam_r(3).
 */
static int nss_retry(int (*get)(struct nss_job *j, char *buf, size_t size), struct nss_job *j)
{
	for (size_t size = 1024;; size *= 2) {
		_cleanup_free_ char *buf = malloc(size);
		int r;

		if (!buf)
			return -ENOMEM;
		r = get(j, buf, size);
		if (r != -ERANGE || size >= (1u << 20))
			return r;
	}
}

static int get_group(struct nss_job *j, char *buf, size_t size)
{
	struct group gr, *res = NULL;
	int r = getgrnam_r(j->name, &gr, buf, size, &res);

	if (r)
		return -r;
	if (!res)
		return -ENOENT;
	j->gid = res->gr_gid;
	return 0;
}

static int group_lookup_nss(const char *name, gid_t *gid)
{
	struct nss_job j = {.name = name};
	int r = nss_retry(get_group, &j);

	if (r == 0)
		*gid = j.gid;
	return r;
}

static int get_user(struct nss_job *j, char *buf, size_t size)
{
	struct passwd pw, *res = NULL;
	int r = getpwuid_r(j->uid, &pw, buf, size, &res);

	if (r)
		return -r;
	if (!res)
		return -ENOENT;
	j->user = strdup(res->pw_name);
	return j->user ? 0 : -ENOMEM;
}

int priv_user_name(uid_t uid, char **out)
{
	struct nss_job j = {.uid = uid};
	int r = nss_retry(get_user, &j);

	*out = j.user;
	return r == -ENOMEM ? r : 0;
}

static bool caller_in_group(const struct priv_caller *c, const char *group,
			    priv_group_lookup_fn lookup)
{
	uint32_t id;
	gid_t gid;

	if (parse_id(group, &id))
		gid = (gid_t)id;
	else if (lookup(group, &gid) < 0)
		return false;
	for (size_t i = 0; i < c->n_groups; i++)
		if (c->groups[i] == gid)
			return true;
	return false;
}

bool priv_caller_allowed(char *const *users, size_t n_users, const struct priv_caller *c,
			 priv_group_lookup_fn lookup)
{
	if (c->uid == 0)
		return true;
	if (!lookup)
		lookup = group_lookup_nss;
	for (size_t i = 0; i < n_users; i++) {
		const char *u = users[i];
		uint32_t id;

		if (!u || !*u)
			continue;
		if (u[0] == '@') {
			if (caller_in_group(c, u + 1, lookup))
				return true;
		} else if (c->name && strcmp(u, c->name) == 0) {
			return true;
		} else if (parse_id(u, &id) && id == c->uid) {
			return true;
		}
	}
	return false;
}

int priv_check_stat(const struct stat *st, bool dir, bool sticky_ok, char *err, size_t errlen)
{
	if (dir ? !S_ISDIR(st->st_mode) : !S_ISREG(st->st_mode)) {
		snprintf(err, errlen, "not a %s", dir ? "directory" : "regular file");
		return -EINVAL;
	}
	if (st->st_uid != 0) {
		snprintf(err, errlen, "owned by uid %u, not root", (unsigned)st->st_uid);
		return -EPERM;
	}
	if (!(st->st_mode & (S_IWGRP | S_IWOTH)))
		return 0;
	/*
	 * In a sticky directory only the owner of an entry (or of the
	 * directory) may rename or unlink it (fs/namei.c, may_delete()), so a
	 * root-owned entry below /tmp cannot be swapped by another user.
	 */
	if (dir && sticky_ok && (st->st_mode & S_ISVTX))
		return 0;
	snprintf(err, errlen, "writable by %s (mode %04o)",
		 (st->st_mode & S_IWGRP) ? "its group" : "others", (unsigned)(st->st_mode & 07777));
	return -EPERM;
}

#ifndef ZFS_SUPER_MAGIC
#define ZFS_SUPER_MAGIC 0x2fc12fc1 /* OpenZFS, not in linux/magic.h */
#endif

/*
 * File systems whose files hold what root wrote there and nothing else:
 * local disk file systems, read-only images and memory file systems.
 * Anything else is refused, above all procfs and sysfs, whose root-owned
 * regular files (/proc/self/environ, /proc/self/cmdline of a non-dumpable
 * process) can hold text the caller chose, and network or FUSE file
 * systems, whose ownership another machine or a user's daemon reports.
 */
static const unsigned long trusted_fs[] = {
	EXT4_SUPER_MAGIC, /* ext2, ext3 and ext4 share it */
	XFS_SUPER_MAGIC,       BTRFS_SUPER_MAGIC, F2FS_SUPER_MAGIC,
	ZFS_SUPER_MAGIC,       TMPFS_MAGIC,	  RAMFS_MAGIC,
	OVERLAYFS_SUPER_MAGIC, SQUASHFS_MAGIC,	  EROFS_SUPER_MAGIC_V1,
};

bool priv_fs_trusted(unsigned long f_type)
{
	/* f_type is a signed long on some ABIs: compare the low 32 bits only. */
	f_type &= 0xffffffffUL;
	for (size_t i = 0; i < ARRAY_SIZE(trusted_fs); i++)
		if (trusted_fs[i] == f_type)
			return true;
	return false;
}

/* Whether the file system of @fd is one priv_fs_trusted() accepts; @why says which it is. */
static int check_fs(int fd, char *why, size_t whylen)
{
	static const struct {
		unsigned long magic;
		const char *name;
	} known[] = {{PROC_SUPER_MAGIC, "procfs"},     {SYSFS_MAGIC, "sysfs"},
		     {CGROUP2_SUPER_MAGIC, "cgroup2"}, {FUSE_SUPER_MAGIC, "fuse"},
		     {NFS_SUPER_MAGIC, "nfs"},	       {DEBUGFS_MAGIC, "debugfs"}};
	struct statfs sf;
	unsigned long t;

	if (fstatfs(fd, &sf) < 0) {
		int r = neg_errno();

		snprintf(why, whylen, "statfs: %s", strerror(-r));
		return r;
	}
	t = (unsigned long)sf.f_type & 0xffffffffUL;
	if (priv_fs_trusted(t))
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		if (known[i].magic == t) {
			snprintf(why, whylen, "on %s, not a disk or tmpfs file system",
				 known[i].name);
			return -EPERM;
		}
	snprintf(why, whylen, "on a file system of type 0x%lx, not a disk or tmpfs one", t);
	return -EPERM;
}

/* Open one directory component of a walk and check it; return its O_PATH fd. */
static int walk_dir(int parent, const char *name, const char *path, char *err, size_t errlen)
{
	_cleanup_close_ int fd = -1;
	char why[128];
	struct stat st;
	int r;

	fd = openat(parent, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		r = neg_errno();
		snprintf(err, errlen, "%s: directory '%s': %s", path, name, strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0)
		return neg_errno();
	r = priv_check_stat(&st, true, true, why, sizeof(why));
	if (r < 0) {
		snprintf(err, errlen, "%s: directory '%s' is not trusted: %s", path, name, why);
		return r;
	}
	return TAKE_FD(fd);
}

/* The last step of a walk: the containing directory strictly, then the file. */
static int open_leaf(int dirfd, const char *name, const char *path, char *err, size_t errlen)
{
	_cleanup_close_ int fd = -1;
	char why[128];
	struct stat st;
	int r;

	if (fstat(dirfd, &st) < 0)
		return neg_errno();
	r = priv_check_stat(&st, true, false, why, sizeof(why));
	if (r < 0) {
		snprintf(err, errlen, "%s: its directory is not trusted: %s", path, why);
		return r;
	}
	/* O_NONBLOCK: a FIFO planted here must not block us; it fails S_ISREG below. */
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		r = neg_errno();
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0)
		return neg_errno();
	r = priv_check_stat(&st, false, false, why, sizeof(why));
	if (r >= 0)
		r = check_fs(fd, why, sizeof(why));
	if (r < 0) {
		snprintf(err, errlen, "%s: not trusted: %s", path, why);
		return r;
	}
	return TAKE_FD(fd);
}

static int walk_trusted(const char *real, const char *path, char *err, size_t errlen)
{
	_cleanup_free_ char *copy = strdup(real);
	_cleanup_close_ int dirfd = -1;
	char *save = NULL, *comp, *next;
	char why[128];
	struct stat st;
	int r;

	if (!copy)
		return -ENOMEM;
	dirfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0 || fstat(dirfd, &st) < 0)
		return neg_errno();
	r = priv_check_stat(&st, true, true, why, sizeof(why));
	if (r < 0) {
		snprintf(err, errlen, "%s: directory '/' is not trusted: %s", path, why);
		return r;
	}
	comp = strtok_r(copy, "/", &save);
	if (!comp) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return -EINVAL;
	}
	while ((next = strtok_r(NULL, "/", &save))) {
		int fd = walk_dir(dirfd, comp, path, err, errlen);

		if (fd < 0)
			return fd;
		closep(&dirfd);
		dirfd = fd;
		comp = next;
	}
	return open_leaf(dirfd, comp, path, err, errlen);
}

int priv_open_trusted(const char *path, bool check, char *err, size_t errlen)
{
	_cleanup_free_ char *real = NULL;
	int fd, r;

	if (!check) {
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0) {
			r = neg_errno();
			snprintf(err, errlen, "%s: %s", path, strerror(-r));
			return r;
		}
		return fd;
	}
	/*
	 * realpath() follows symlinks the caller may own; that only chooses
	 * which file is walked, and the walk below trusts nothing by name.
	 */
	real = realpath(path, NULL);
	if (!real) {
		r = neg_errno();
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	return walk_trusted(real, path, err, errlen);
}

int priv_ids_save(struct priv_ids *ids)
{
	int n;

	*ids = (struct priv_ids){0};
	if (getresuid(&ids->ruid, &ids->euid, &ids->suid) < 0 ||
	    getresgid(&ids->rgid, &ids->egid, &ids->sgid) < 0)
		return neg_errno();
	n = getgroups(0, NULL);
	if (n < 0)
		return neg_errno();
	ids->groups = calloc((size_t)n + 1, sizeof(gid_t));
	if (!ids->groups)
		return -ENOMEM;
	n = getgroups(n, ids->groups);
	if (n < 0) {
		int r = neg_errno();

		priv_ids_free(ids);
		return r;
	}
	ids->n_groups = (size_t)n;
	return 0;
}

void priv_ids_free(struct priv_ids *ids)
{
	free(ids->groups);
	ids->groups = NULL;
	ids->n_groups = 0;
}

/* Groups of user @name in the group database; none (not an error) if it cannot say. */
static int db_groups(const char *name, gid_t base, gid_t **out, int *n)
{
	int want = 64;

	*out = NULL;
	*n = 0;
	for (int tries = 0; tries < 8 && want <= PRIV_GROUPS_MAX; tries++) {
		_cleanup_free_ gid_t *g = calloc((size_t)want, sizeof(gid_t));
		int ng = want;

		if (!g)
			return -ENOMEM;
		if (getgrouplist(name, base, g, &ng) >= 0) {
			*out = TAKE_PTR(g);
			*n = ng;
			return 0;
		}
		/* glibc stores the size it needs in ng (getgrouplist(3)). */
		want = ng > want ? ng : want * 2;
	}
	return 0;
}

int priv_caller_groups(const struct priv_ids *ids, const char *name, gid_t **out, size_t *n)
{
	_cleanup_free_ gid_t *db = NULL;
	gid_t *all;
	int ndb = 0, r;

	if (name) {
		r = db_groups(name, ids->rgid, &db, &ndb);
		if (r < 0)
			return r;
	}
	all = calloc(1 + ids->n_groups + (size_t)ndb, sizeof(gid_t));
	if (!all)
		return -ENOMEM;
	all[0] = ids->rgid;
	if (ids->n_groups)
		memcpy(all + 1, ids->groups, ids->n_groups * sizeof(gid_t));
	if (ndb > 0)
		memcpy(all + 1 + ids->n_groups, db, (size_t)ndb * sizeof(gid_t));
	*out = all;
	*n = 1 + ids->n_groups + (size_t)ndb;
	return 0;
}

int priv_environ_initial(char **buf, char ***envp)
{
	_cleanup_close_ int fd = open("/proc/self/environ", O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ char **v = NULL;
	size_t len = 0, n = 0, k = 0;
	int r;

	if (fd < 0)
		return neg_errno();
	r = fd_read_all(fd, PRIV_FILE_MAX, &text, &len);
	if (r < 0)
		return r;
	for (size_t i = 0; i < len; i++)
		n += text[i] == '\0';
	v = calloc(n + 2, sizeof(char *));
	if (!v)
		return -ENOMEM;
	/* fd_read_all() NUL-terminates, so a last string without its NUL still ends. */
	for (size_t i = 0; i < len; i += strlen(text + i) + 1)
		v[k++] = text + i;
	v[k] = NULL;
	*buf = TAKE_PTR(text);
	*envp = TAKE_PTR(v);
	return 0;
}

/* Highest capability number this kernel knows (/proc/sys/kernel/cap_last_cap). */
static int cap_last(void)
{
	_cleanup_close_ int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
	char buf[16] = {0};
	uint32_t v;

	if (fd >= 0 && read(fd, buf, sizeof(buf) - 1) > 0) {
		buf[strcspn(buf, "\n")] = '\0';
		if (parse_id(buf, &v) && v < 64)
			return (int)v;
	}
	return CAP_LAST_CAP;
}

/* Raw capget/capset (capget(2)), version 3: two 32-bit words per set. */
static int caps_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};

	return syscall(SYS_capget, &h, d) < 0 ? neg_errno() : 0;
}

static int caps_clear_all(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct d[2] = {{0}};

	if (syscall(SYS_capset, &h, d) < 0)
		return neg_errno();
	/* Ambient capabilities survive setresuid() when SECBIT_NO_SETUID_FIXUP is set. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return neg_errno();
	return 0;
}

int priv_caps_empty(void)
{
	struct __user_cap_data_struct d[2];
	int last = cap_last(), r;

	r = caps_get(d);
	if (r < 0)
		return r;
	for (int i = 0; i < 2; i++)
		if (d[i].effective || d[i].permitted || d[i].inheritable)
			return 0;
	for (int c = 0; c <= last; c++) {
		r = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0);
		if (r > 0)
			return 0;
	}
	return 1;
}

/*
 * Empty the bounding set while we still hold CAP_SETPCAP, so that nothing
 * run later can gain a capability even through a file capability
 * (capabilities(7), "Capability bounding set").
 */
static int bounding_set_drop(char *err, size_t errlen)
{
	int last = cap_last();

	for (int c = 0; c <= last; c++) {
		int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);

		if (r < 0 && errno == EINVAL)
			break; /* beyond what this kernel knows */
		if (r <= 0)
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
			r = neg_errno();
			snprintf(err, errlen, "drop capability %d from the bounding set: %s", c,
				 strerror(-r));
			return r;
		}
	}
	return 0;
}

static int verify_ids(const struct priv_ids *ids, char *err, size_t errlen)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
		return neg_errno();
	if (ru != ids->ruid || eu != ids->ruid || su != ids->ruid || rg != ids->rgid ||
	    eg != ids->rgid || sg != ids->rgid) {
		snprintf(err, errlen, "ids did not change as asked (uid %u/%u/%u gid %u/%u/%u)",
			 (unsigned)ru, (unsigned)eu, (unsigned)su, (unsigned)rg, (unsigned)eg,
			 (unsigned)sg);
		return -EPERM;
	}
	/* The test that matters: root must be out of reach now. */
	if (ids->ruid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		snprintf(err, errlen, "setuid(0) still succeeds after dropping privileges");
		return -EPERM;
	}
	return 0;
}

/* Setuid install: become the real user for good (bubblewrap's drop_privs()). */
static int drop_to_user(const struct priv_ids *ids, char *err, size_t errlen)
{
	int r;

	r = bounding_set_drop(err, errlen);
	if (r < 0)
		return r;
	/* The caller's own groups: setgroups(2) needs CAP_SETGID, so before setresgid. */
	if (setgroups(ids->n_groups, ids->groups) < 0 ||
	    setresgid(ids->rgid, ids->rgid, ids->rgid) < 0) {
		r = neg_errno();
		snprintf(err, errlen, "restore groups: %s", strerror(-r));
		return r;
	}
	/*
	 * With every uid non-zero, the kernel clears the permitted and
	 * effective sets (capabilities(7), "Effect of user ID changes on
	 * capabilities"), as PR_SET_KEEPCAPS is off at exec of a setuid file.
	 */
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0 ||
	    setresuid(ids->ruid, ids->ruid, ids->ruid) < 0) {
		r = neg_errno();
		snprintf(err, errlen, "setresuid(%u): %s", (unsigned)ids->ruid, strerror(-r));
		return r;
	}
	r = caps_clear_all();
	if (r < 0) {
		snprintf(err, errlen, "clear capabilities: %s", strerror(-r));
		return r;
	}
	r = verify_ids(ids, err, errlen);
	if (r < 0)
		return r;
	if (priv_caps_empty() != 1) {
		snprintf(err, errlen, "capabilities remain after dropping privileges");
		return -EPERM;
	}
	return 0;
}

int priv_drop(const struct priv_ids *ids, char *err, size_t errlen)
{
	int r;

	/* A real root caller keeps its identity, capabilities included. */
	if (ids->ruid != 0) {
		r = drop_to_user(ids, err, errlen);
		if (r < 0)
			return r;
	}
	/* No setuid/setgid bit or file capability can raise privilege after exec. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		r = neg_errno();
		snprintf(err, errlen, "PR_SET_NO_NEW_PRIVS: %s", strerror(-r));
		return r;
	}
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) {
		snprintf(err, errlen, "PR_SET_NO_NEW_PRIVS did not stick");
		return -EPERM;
	}
	return 0;
}

int priv_close_fds(void)
{
	long max;

#ifdef SYS_close_range
	/* close_range(2), Linux >= 5.9. */
	if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0)
		return 0;
	if (errno != ENOSYS && errno != EINVAL)
		return neg_errno();
#endif
	max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > (1L << 20))
		max = 1L << 20;
	for (long fd = 3; fd < max; fd++)
		close((int)fd);
	return 0;
}

int priv_reset_signals(void)
{
	struct sigaction sa = {.sa_handler = SIG_DFL};
	sigset_t none;

	sigemptyset(&sa.sa_mask);
	for (int sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		/* glibc reserves a few real-time signals (EINVAL): nothing to reset there. */
		if (sigaction(sig, &sa, NULL) < 0 && errno != EINVAL)
			return neg_errno();
	}
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		return neg_errno();
	return 0;
}
