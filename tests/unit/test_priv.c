/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_priv.c - the pieces of `netnsp exec`: name rules, authorization,
 * file trust (on real files in a private temp dir; the ownership cases need
 * root to chown and are skipped without it), and the privilege drop itself,
 * run in forked children so the test process keeps its own identity.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>

#include "exec/exec.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "tap.h"

#define NOBODY 65534

static void skip(const char *why)
{
	ok(1, "# SKIP %s", why);
}

/* A fixed group database, so authorization is tested without /etc/group. */
static int fake_lookup(const char *name, gid_t *gid)
{
	if (strcmp(name, "wheel") == 0)
		*gid = 10;
	else if (strcmp(name, "staff") == 0)
		*gid = 50;
	else
		return -ENOENT;
	return 0;
}

static bool allowed(char *const *users, size_t n, uid_t uid, const char *name, const gid_t *g,
		    size_t ng)
{
	struct priv_caller c = {.uid = uid, .name = name, .groups = g, .n_groups = ng};

	return priv_caller_allowed(users, n, &c, fake_lookup);
}

static void test_authorize(void)
{
	char *users[] = {"alice", "1001", "@wheel", "@77", "@nosuch", "@", ""};
	char *only_bob[] = {"bob"};
	gid_t g_wheel[] = {100, 10}, g_plain[] = {100}, g_77[] = {77}, g_staff[] = {50};

	ok(allowed(NULL, 0, 0, "root", NULL, 0), "root is allowed with no users");
	ok(!allowed(NULL, 0, 1000, "alice", g_plain, 1), "no users: alice refused");
	ok(allowed(users, ARRAY_SIZE(users), 1000, "alice", g_plain, 1), "alice by name");
	ok(!allowed(only_bob, 1, 1000, "alice", g_plain, 1), "alice not in [bob]");
	ok(!allowed(only_bob, 1, 1000, "bobby", g_plain, 1), "no prefix match of names");
	ok(allowed(users, ARRAY_SIZE(users), 1001, "carol", g_plain, 1), "uid 1001 by number");
	ok(allowed(users, ARRAY_SIZE(users), 1001, NULL, g_plain, 1), "uid without a name");
	ok(!allowed(users, ARRAY_SIZE(users), 1002, NULL, g_plain, 1), "uid 1002 refused");
	ok(allowed(users, ARRAY_SIZE(users), 1002, "dave", g_wheel, 2), "@wheel member");
	ok(!allowed(users, ARRAY_SIZE(users), 1002, "dave", g_staff, 1), "@staff not listed");
	ok(allowed(users, ARRAY_SIZE(users), 1002, "dave", g_77, 1), "@77 by gid");
	ok(!allowed(users, ARRAY_SIZE(users), 1002, "nosuch", g_plain, 1),
	   "unknown group matches nobody, not the user of that name");
	ok(!allowed(users, ARRAY_SIZE(users), 10, "x", g_plain, 1),
	   "uid equal to a group's gid does not match the group");

	char *big[] = {"4294967296", "4294967295", "+1000", "1000x"};
	ok(!allowed(big, ARRAY_SIZE(big), 1000, "zed", g_plain, 1), "malformed uids match nobody");

	/* The real resolver: gid 0 is "root" in every database. */
	char *grp_root[] = {"@root"};
	gid_t g0[] = {0};
	struct priv_caller c = {.uid = 1234, .name = "x", .groups = g0, .n_groups = 1};
	ok(priv_caller_allowed(grp_root, 1, &c, NULL), "@root through getgrnam_r");
	c.groups = g_plain;
	ok(!priv_caller_allowed(grp_root, 1, &c, NULL), "@root refused without gid 0");
}

static void test_stat_rules(void)
{
	struct stat st = {0};
	char err[128];

	st.st_mode = S_IFREG | 0644;
	is_int(priv_check_stat(&st, false, false, err, sizeof(err)), 0, "stat: root 0644 file");
	st.st_mode = S_IFREG | 0664;
	is_int(priv_check_stat(&st, false, false, err, sizeof(err)), -EPERM, "stat: g+w file");
	is_str(err, "writable by its group (mode 0664)", "stat: g+w says why");
	st.st_mode = S_IFREG | 0646;
	is_int(priv_check_stat(&st, false, false, err, sizeof(err)), -EPERM, "stat: o+w file");
	st.st_mode = S_IFREG | 0600;
	st.st_uid = 1000;
	is_int(priv_check_stat(&st, false, false, err, sizeof(err)), -EPERM, "stat: user file");
	is_str(err, "owned by uid 1000, not root", "stat: owner says why");
	st.st_uid = 0;
	st.st_mode = S_IFIFO | 0600;
	is_int(priv_check_stat(&st, false, false, err, sizeof(err)), -EINVAL, "stat: fifo");
	st.st_mode = S_IFDIR | 01777;
	is_int(priv_check_stat(&st, true, true, err, sizeof(err)), 0, "stat: sticky ancestor");
	is_int(priv_check_stat(&st, true, false, err, sizeof(err)), -EPERM,
	       "stat: sticky parent refused");
	st.st_mode = S_IFDIR | 0777;
	is_int(priv_check_stat(&st, true, true, err, sizeof(err)), -EPERM, "stat: 0777 ancestor");
	st.st_mode = S_IFDIR | 0755;
	is_int(priv_check_stat(&st, false, false, err, sizeof(err)), -EINVAL, "stat: dir as file");
	is_int(priv_check_stat(&st, true, false, err, sizeof(err)), 0, "stat: 0755 dir");
}

static int make_file(const char *dir, const char *name, mode_t mode, uid_t uid, char *path)
{
	int fd;

	snprintf(path, 512, "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (write(fd, "hello\n", 6) != 6 || close(fd) < 0 || chmod(path, mode) < 0 ||
	    chown(path, uid, 0) < 0)
		return -1;
	return 0;
}

static int make_dir(const char *dir, const char *name, mode_t mode, uid_t uid, char *path)
{
	snprintf(path, 512, "%s/%s", dir, name);
	if (mkdir(path, 0700) < 0 || chmod(path, mode) < 0 || chown(path, uid, 0) < 0)
		return -1;
	return 0;
}

/* Opens @path with checking and returns the fd (closed) or the error. */
static int try_open(const char *path)
{
	char err[EXEC_ERR_MAX];
	int fd = priv_open_trusted(path, true, err, sizeof(err));

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return fd;
}

static void test_trust_files(const char *t)
{
	char p[512], d[512], d2[512], link[600];
	char err[EXEC_ERR_MAX];
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int fd;

	ok(make_file(t, "good", 0644, 0, p) == 0, "setup good file");
	fd = priv_open_trusted(p, true, err, sizeof(err));
	ok(fd >= 0, "root 0644 file in root 0700 dir below sticky /tmp is trusted");
	if (fd >= 0) {
		is_int(fd_read_all(fd, 1024, &buf, &len), 0, "read trusted file");
		is_str(buf, "hello\n", "content read through the checked fd");
		close(fd);
	}
	snprintf(link, sizeof(link), "%s/link", t);
	ok(symlink(p, link) == 0, "setup symlink");
	is_int(try_open(link), 0, "a symlink to a trusted file is followed once, then checked");

	ok(make_file(t, "gw", 0664, 0, p) == 0, "setup g+w file");
	is_int(try_open(p), -EPERM, "g+w file refused");
	fd = priv_open_trusted(p, false, err, sizeof(err));
	ok(fd >= 0, "without checking (real root) the same file opens");
	if (fd >= 0)
		close(fd);
	snprintf(link, sizeof(link), "%s/link-gw", t);
	ok(symlink(p, link) == 0, "setup symlink to g+w file");
	is_int(try_open(link), -EPERM, "symlink to an untrusted file refused");

	ok(make_file(t, "ow", 0602, 0, p) == 0, "setup o+w file");
	is_int(try_open(p), -EPERM, "o+w file refused");
	ok(make_file(t, "nobody", 0644, NOBODY, p) == 0, "setup nobody's file");
	is_int(try_open(p), -EPERM, "file owned by nobody refused");
	snprintf(p, sizeof(p), "%s/fifo", t);
	ok(mkfifo(p, 0600) == 0, "setup fifo");
	is_int(try_open(p), -EINVAL, "fifo refused without blocking");
	ok(make_dir(t, "adir", 0755, 0, d) == 0, "setup a directory");
	is_int(try_open(d), -EINVAL, "directory refused as a file");
	is_int(try_open(t), -EPERM, "anything directly in sticky /tmp refused");
	snprintf(p, sizeof(p), "%s/missing", t);
	is_int(try_open(p), -ENOENT, "missing file: -ENOENT");

	ok(make_dir(t, "world", 0777, 0, d) == 0, "setup 0777 dir");
	ok(make_file(d, "f", 0644, 0, p) == 0, "setup file in 0777 dir");
	is_int(try_open(p), -EPERM, "good file in a world-writable dir refused");
	ok(make_dir(t, "sticky", 01777, 0, d) == 0, "setup sticky dir");
	ok(make_file(d, "f", 0644, 0, p) == 0, "setup file in sticky dir");
	is_int(try_open(p), -EPERM, "sticky containing dir refused");
	ok(make_dir(d, "inner", 0755, 0, d2) == 0, "setup root dir in sticky dir");
	ok(make_file(d2, "f", 0644, 0, p) == 0, "setup file below sticky ancestor");
	is_int(try_open(p), 0, "sticky ancestor accepted");
	ok(make_dir(t, "user", 0755, NOBODY, d) == 0, "setup nobody's dir");
	ok(make_dir(d, "sub", 0755, 0, d2) == 0, "setup root dir inside it");
	ok(make_file(d2, "f", 0644, 0, p) == 0, "setup file two levels down");
	is_int(try_open(p), -EPERM, "ancestor owned by nobody refused");
	ok(make_dir(t, "grp", 0775, 0, d) == 0, "setup g+w dir");
	ok(make_file(d, "f", 0644, 0, p) == 0, "setup file in g+w dir");
	is_int(try_open(p), -EPERM, "g+w containing dir refused");
}

/* The file system allow-list, and what it keeps out of a walk even for root's own files. */
static void test_fs_types(void)
{
	char err[EXEC_ERR_MAX];
	int fd;

	ok(priv_fs_trusted(0xEF53), "fs: ext4 trusted");
	ok(priv_fs_trusted(0x58465342), "fs: xfs trusted");
	ok(priv_fs_trusted(0x9123683E), "fs: btrfs trusted");
	ok(priv_fs_trusted(0x01021994), "fs: tmpfs trusted");
	ok(priv_fs_trusted(0x794c7630), "fs: overlay trusted");
	/* A 32-bit f_type with its top bit set, sign-extended into a 64-bit long. */
	ok(priv_fs_trusted((unsigned long)(long)(int32_t)0x9123683E),
	   "fs: btrfs sign-extended still trusted");
	ok(!priv_fs_trusted(0x9fa0), "fs: procfs refused");
	ok(!priv_fs_trusted(0x62656572), "fs: sysfs refused");
	ok(!priv_fs_trusted(0x63677270), "fs: cgroup2 refused");
	ok(!priv_fs_trusted(0x65735546), "fs: fuse refused");
	ok(!priv_fs_trusted(0x6969), "fs: nfs refused");
	ok(!priv_fs_trusted(0x64626720), "fs: debugfs refused");
	ok(!priv_fs_trusted(0), "fs: 0 refused");
	if (geteuid() != 0) {
		skip("procfs and sysfs walks need root (their files are root's only then)");
		skip("procfs and sysfs walks need root (their files are root's only then)");
		return;
	}
	/* Root-owned, regular, 0400 and below root-owned 0555 directories: only f_type tells. */
	fd = priv_open_trusted("/proc/self/environ", true, err, sizeof(err));
	ok(fd == -EPERM && strstr(err, "procfs"), "/proc/self/environ refused: %s", err);
	if (fd >= 0)
		close(fd);
	fd = priv_open_trusted("/sys/kernel/mm/transparent_hugepage/enabled", true, err,
			       sizeof(err));
	if (fd == -ENOENT) {
		skip("no /sys/kernel/mm/transparent_hugepage/enabled here");
		return;
	}
	ok(fd == -EPERM && strstr(err, "sysfs"), "a root-owned sysfs file refused: %s", err);
	if (fd >= 0)
		close(fd);
}

static void test_read_limits(const char *t)
{
	char p[512];
	_cleanup_free_ char *buf = NULL;
	size_t len = 99;
	int fd;

	snprintf(p, sizeof(p), "%s/empty", t);
	fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	ok(fd >= 0, "setup empty file");
	is_int(fd_read_all(fd, 16, &buf, &len), 0, "read empty file");
	is_int(len, 0, "empty file has length 0");
	ok(buf && buf[0] == '\0', "empty file gives an empty string");
	free(TAKE_PTR(buf));
	ok(write(fd, "0123456789012345678901234567890123456789", 40) == 40, "fill 40 bytes");
	lseek(fd, 0, SEEK_SET);
	is_int(fd_read_all(fd, 39, &buf, &len), -EFBIG, "40 bytes with limit 39: -EFBIG");
	lseek(fd, 0, SEEK_SET);
	is_int(fd_read_all(fd, 40, &buf, &len), 0, "40 bytes with limit 40");
	is_int(len, 40, "all 40 bytes read");
	close(fd);
}

static void test_groups(void)
{
	gid_t sup[] = {7, 8};
	struct priv_ids ids = {.rgid = 5, .groups = sup, .n_groups = 2};
	_cleanup_free_ gid_t *all = NULL;
	size_t n = 0;
	bool has0 = false;

	is_int(priv_caller_groups(&ids, NULL, &all, &n), 0, "groups without a name");
	is_int(n, 3, "rgid + 2 supplementary");
	ok(n == 3 && all[0] == 5 && all[1] == 7 && all[2] == 8, "groups in order");
	free(TAKE_PTR(all));
	ids.rgid = 0;
	is_int(priv_caller_groups(&ids, "root", &all, &n), 0, "groups of root");
	for (size_t i = 0; i < n; i++)
		has0 |= all[i] == 0;
	ok(n >= 3 && has0, "database groups of root include gid 0");
}

static void test_environ(void)
{
	extern char **environ;
	_cleanup_free_ char *buf = NULL;
	_cleanup_free_ char **envp = NULL;
	size_t n = 0, same = 0;

	/* Not a setuid start, so glibc removed nothing: both must agree exactly. */
	is_int(priv_environ_initial(&buf, &envp), 0, "read /proc/self/environ");
	if (!envp)
		return;
	for (; envp[n]; n++)
		same += environ[n] && strcmp(envp[n], environ[n]) == 0;
	ok(n > 0 && same == n && environ[n] == NULL,
	   "initial environment equals environ (%zu of %zu entries)", same, n);
}

/* Runs @fn in a child; returns its exit status (or -1). */
static int in_child(int (*fn)(void))
{
	int st;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn());
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* As if netnsp were setuid root and nobody had called it. */
static int child_drop_to_nobody(void)
{
	gid_t g[] = {NOBODY};
	struct priv_ids ids = {.ruid = NOBODY, .rgid = NOBODY, .groups = g, .n_groups = 1};
	char err[EXEC_ERR_MAX];
	uid_t r, e, s;
	gid_t got[4];

	if (priv_drop(&ids, err, sizeof(err)) < 0)
		return 10;
	if (getresuid(&r, &e, &s) < 0 || r != NOBODY || e != NOBODY || s != NOBODY)
		return 11;
	if (getegid() != NOBODY || getgroups(4, got) != 1 || got[0] != NOBODY)
		return 12;
	if (priv_caps_empty() != 1)
		return 13;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return 14;
	if (prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) != 0)
		return 15;
	if (setuid(0) == 0 || setgid(0) == 0)
		return 16;
	return 0;
}

static int child_root_stays_root(void)
{
	struct priv_ids ids = {.ruid = 0, .rgid = 0};
	char err[EXEC_ERR_MAX];

	if (priv_drop(&ids, err, sizeof(err)) < 0)
		return 10;
	if (getuid() != 0 || geteuid() != 0)
		return 11;
	if (priv_caps_empty() != 0)
		return 12;
	return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? 0 : 13;
}

static int child_close_fds(void)
{
	int a = open("/dev/null", O_RDONLY), b = dup2(a, 200);

	if (a < 3 || b != 200 || priv_close_fds() < 0)
		return 10;
	if (fcntl(a, F_GETFD) != -1 || errno != EBADF || fcntl(200, F_GETFD) != -1)
		return 11;
	return fcntl(2, F_GETFD) == -1 ? 12 : 0;
}

static int child_signals(void)
{
	struct sigaction sa;
	sigset_t set;

	signal(SIGUSR1, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (priv_reset_signals() < 0)
		return 10;
	if (sigaction(SIGUSR1, NULL, &sa) < 0 || sa.sa_handler != SIG_DFL)
		return 11;
	if (sigaction(SIGTERM, NULL, &sa) < 0 || sa.sa_handler != SIG_DFL)
		return 12;
	sigprocmask(SIG_SETMASK, NULL, &set);
	return sigismember(&set, SIGUSR2) ? 13 : 0;
}

static void test_process(void)
{
	is_int(in_child(child_close_fds), 0, "close_fds closes 3.. and keeps 0-2");
	is_int(in_child(child_signals), 0, "signals back to default and unblocked");
	if (geteuid() != 0) {
		skip("privilege drop needs root");
		return;
	}
	is_int(in_child(child_drop_to_nobody), 0,
	       "setuid drop: ids, groups, no caps, empty bounding set, no_new_privs, no way back");
	is_int(in_child(child_root_stays_root), 0, "root caller keeps uid 0, gets no_new_privs");
}

/* The caller's name for the exec log line: root has one, an unused uid none. */
static void test_user_name(void)
{
	char *name = NULL;

	is_int(priv_user_name(0, &name), 0, "user name of uid 0");
	ok(name && strcmp(name, "root") == 0, "uid 0 is root");
	free(name);
	name = (char *)"x";
	is_int(priv_user_name(4294967293u, &name), 0, "user name of an unused uid: 0");
	ok(name == NULL, "an unused uid has no name");
}

int main(void)
{
	char t[] = "/tmp/netnsp-priv-XXXXXX";
	struct stat st;

	test_authorize();
	test_stat_rules();
	test_groups();
	test_environ();
	test_process();
	test_fs_types();
	test_user_name();
	if (!mkdtemp(t)) {
		ok(0, "mkdtemp");
		return tap_done();
	}
	test_read_limits(t);
	if (geteuid() != 0 || stat("/tmp", &st) < 0 || st.st_uid != 0)
		skip("file trust cases need root (chown) and a root-owned /tmp");
	else
		test_trust_files(t);
	/* Remove what this run made, whatever happened above. */
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", t);
	ok(system(cmd) == 0, "cleanup %s", t);
	return tap_done();
}
