/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_flatpak_watch.c - the Flatpak watcher on a simulated ROOT (a temp dir
 * standing for /run/user), and the /proc checks on a process in a network
 * namespace of its own.
 *
 * Both need root (chown to other uids, unshare); they are skipped otherwise.
 * Everything lives under a fresh mkdtemp() dir that is removed at exit; the
 * mount test runs in a private mount namespace.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "flatpak/flatpak.h"
#include "tap.h"
#include "util/macro.h"

#define U1 4242u
#define U2 4243u

static char tmp_base[64];

/* snprintf() that the compiler does not second-guess: paths here are short. */
static void fmt_sized(char *buf, size_t size, const char *f, ...)
	__attribute__((format(printf, 3, 4)));
static void fmt_sized(char *buf, size_t size, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vsnprintf(buf, size, f, ap);
	va_end(ap);
}
#define fmt(buf, ...) fmt_sized(buf, sizeof(buf), __VA_ARGS__)

/* ---- the simulated ROOT ----------------------------------------------- */

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	return flag == FTW_DP ? rmdir(p) : unlink(p);
}

static void rm_tree(const char *p)
{
	nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static void cleanup(void)
{
	if (tmp_base[0])
		rm_tree(tmp_base);
}

static void mkdir_as(const char *p, mode_t mode, uid_t uid)
{
	if (mkdir(p, mode) < 0 || chmod(p, mode) < 0 || chown(p, uid, uid) < 0)
		printf("# mkdir %s: %s\n", p, strerror(errno));
}

/* Written like g_file_set_contents(): temp file, then rename (IN_MOVED_TO). */
static void write_as(const char *p, const char *text, mode_t mode, uid_t uid, bool atomic)
{
	char tmp[PATH_MAX];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", p);
	fd = atomic ? mkstemp(tmp) : open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    fchmod(fd, mode) < 0 || fchown(fd, uid, uid) < 0)
		printf("# write %s: %s\n", p, strerror(errno));
	if (fd >= 0)
		close(fd);
	if (atomic && rename(tmp, p) < 0)
		printf("# rename %s: %s\n", p, strerror(errno));
}

static void make_info(char *buf, size_t size, const char *app, const char *id, bool shared)
{
	snprintf(buf, size,
		 "[Application]\nname=%s\n\n[Instance]\ninstance-id=%s\n\n[Context]\nshared=%sipc;"
		 "\n",
		 app, id, shared ? "network;" : "");
}

/* A complete instance: dir, bwrapinfo.json, info (the order flatpak uses). */
static void make_instance(const char *root, uid_t uid, const char *id, const char *app, int pid)
{
	char p[PATH_MAX], text[512];

	fmt(p, "%s/%u/.flatpak/%s", root, uid, id);
	mkdir_as(p, 0755, uid);
	fmt(p, "%s/%u/.flatpak/%s/bwrapinfo.json", root, uid, id);
	fmt(text, "{\"child-pid\": %d}", pid);
	write_as(p, text, 0644, uid, false);
	fmt(p, "%s/%u/.flatpak/%s/info", root, uid, id);
	make_info(text, sizeof(text), app, id, false);
	write_as(p, text, 0644, uid, true);
}

static size_t process(struct flatpak_watch *w, struct flatpak_instance *out, size_t max)
{
	size_t n = 99;
	int r = flatpak_watch_process(w, out, max, &n);

	if (r < 0)
		printf("# process: %s\n", strerror(-r));
	return n;
}

static bool fd_readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, 1000) == 1;
}

static void test_watch_scan(const char *root)
{
	struct flatpak_instance out[8];
	struct flatpak_watch *w = NULL;
	char p[PATH_MAX];
	size_t n = 99;

	fmt(p, "%s/%u", root, U1);
	mkdir_as(p, 0700, U1);
	fmt(p, "%s/%u/.flatpak", root, U1);
	mkdir_as(p, 0755, U1);
	make_instance(root, U1, "111", "org.example.Old", 31);
	fmt(p, "%s/%u/.flatpak/org.example.Old", root, U1); /* per-app dir */
	mkdir_as(p, 0755, U1);

	is_int(flatpak_watch_open(root, &w), 0, "watch: open");
	if (!w)
		return;
	ok(flatpak_watch_fd(w) >= 0, "watch: has an fd");
	is_int(flatpak_watch_scan(w, out, ARRAY_SIZE(out), &n), 0, "watch: scan");
	is_int(n, 1, "watch: scan reports the instance already there");
	is_str(out[0].app_id, "org.example.Old", "watch: scan app id");
	is_str(out[0].instance_id, "111", "watch: scan instance id");
	is_int(out[0].uid, U1, "watch: uid from the directory");
	is_int(out[0].child_pid, 31, "watch: pid from bwrapinfo.json");
	is_int(flatpak_watch_count(w), 4,
	       "watch: ROOT, UID, .flatpak, one instance (not the app dir)");
	flatpak_watch_scan(w, out, ARRAY_SIZE(out), &n);
	is_int(n, 0, "watch: second scan reports nothing again");
	is_int(process(w, out, ARRAY_SIZE(out)), 0, "watch: process after scan: nothing");
	flatpak_watch_free(w);
}

/* UID dir, .flatpak, instance dir, bwrapinfo.json, info: each step after the watch. */
static void test_watch_orders(const char *root)
{
	struct flatpak_instance out[8];
	struct flatpak_watch *w = NULL;
	char p[PATH_MAX], text[256];
	size_t n;

	if (flatpak_watch_open(root, &w) < 0)
		return;
	flatpak_watch_scan(w, out, ARRAY_SIZE(out), &n);

	fmt(p, "%s/%u", root, U2);
	mkdir_as(p, 0700, U2);
	is_int(process(w, out, 8), 0, "order: UID dir alone: nothing");
	fmt(p, "%s/%u/.flatpak", root, U2);
	mkdir_as(p, 0755, U2);
	is_int(process(w, out, 8), 0, "order: .flatpak appears later: nothing yet");
	fmt(p, "%s/%u/.flatpak/222", root, U2);
	mkdir_as(p, 0755, U2);
	is_int(process(w, out, 8), 0, "order: empty instance dir: nothing");
	fmt(p, "%s/%u/.flatpak/222/bwrapinfo.json", root, U2);
	write_as(p, "", 0644, U2, false);
	is_int(process(w, out, 8), 0, "order: empty bwrapinfo.json (bwrap not done): nothing");
	write_as(p, "{\"child-pid\": 77, \"net-namespace\": 4026532999}\n", 0644, U2, false);
	is_int(process(w, out, 8), 0, "order: bwrapinfo.json without info: nothing");
	fmt(p, "%s/%u/.flatpak/222/info", root, U2);
	make_info(text, sizeof(text), "org.example.Net", "222", true);
	write_as(p, text, 0644, U2, true);
	ok(fd_readable(flatpak_watch_fd(w)), "order: fd readable after info appears");
	n = process(w, out, 8);
	is_int(n, 1, "order: complete once info is there");
	is_str(out[0].app_id, "org.example.Net", "order: app id");
	is_int(out[0].uid, U2, "order: uid");
	is_int(out[0].child_pid, 77, "order: pid");
	is_int((long long)out[0].net_ns, 4026532999LL, "order: net_ns");
	ok(out[0].network_shared, "order: shared network reported for the caller to refuse");
	write_as(p, text, 0644, U2, true);
	is_int(process(w, out, 8), 0, "order: rewriting info does not report it twice");

	/* info first, then bwrapinfo.json. */
	fmt(p, "%s/%u/.flatpak/223", root, U2);
	mkdir_as(p, 0755, U2);
	fmt(p, "%s/%u/.flatpak/223/info", root, U2);
	make_info(text, sizeof(text), "org.example.B", "223", false);
	write_as(p, text, 0644, U2, true);
	is_int(process(w, out, 8), 0, "order: info without bwrapinfo.json: nothing");
	fmt(p, "%s/%u/.flatpak/223/bwrapinfo.json", root, U2);
	write_as(p, "{\"child-pid\": 78}", 0644, U2, false);
	n = process(w, out, 8);
	ok(n == 1 && strcmp(out[0].instance_id, "223") == 0, "order: info then bwrapinfo.json");

	/* A finished directory moved into place at once. */
	make_instance(root, U2, "999", "org.example.Moved", 80);
	process(w, out, 8); /* 999 reported here: it is under .flatpak already */
	fmt(p, "%s/%u/.flatpak/999", root, U2);
	fmt(text, "%s/%u/.flatpak/224", root, U2);
	rename(p, text);
	fmt(p, "%s/%u/.flatpak/224/info", root, U2);
	make_info(text, sizeof(text), "org.example.Moved", "224", false);
	write_as(p, text, 0644, U2, true);
	n = process(w, out, 8);
	ok(n == 1 && strcmp(out[0].instance_id, "224") == 0, "order: renamed-in instance dir");

	/* Removal forgets; the same id later is a new instance. */
	fmt(p, "%s/%u/.flatpak/222", root, U2);
	n = flatpak_watch_count(w);
	rm_tree(p);
	is_int(process(w, out, 8), 0, "remove: nothing reported");
	is_int(flatpak_watch_count(w), n - 1, "remove: its watch is gone");
	make_instance(root, U2, "222", "org.example.Again", 90);
	n = process(w, out, 8);
	ok(n == 1 && strcmp(out[0].app_id, "org.example.Again") == 0,
	   "remove: a new instance with the same id is reported again");

	/* .flatpak removed and created again. */
	fmt(p, "%s/%u/.flatpak", root, U2);
	n = flatpak_watch_count(w);
	rm_tree(p);
	process(w, out, 8);
	is_int(flatpak_watch_count(w), n - 4, "remove: .flatpak gone with its 3 instances");
	mkdir_as(p, 0755, U2);
	make_instance(root, U2, "222", "org.example.Third", 91);
	n = process(w, out, 8);
	ok(n == 1 && strcmp(out[0].app_id, "org.example.Third") == 0,
	   "remove: .flatpak recreated is watched again");
	flatpak_watch_free(w);
}

/* Files and directories that must not be trusted. */
static void test_watch_trust(const char *root)
{
	struct flatpak_instance out[8];
	struct flatpak_watch *w = NULL;
	char p[PATH_MAX], q[PATH_MAX], big[FLATPAK_FILE_MAX + 64];
	size_t n;

	if (flatpak_watch_open(root, &w) < 0)
		return;
	flatpak_watch_scan(w, out, 8, &n);

	make_instance(root, U1, "301", "org.example.A", 1);
	fmt(p, "%s/%u/.flatpak/301/info", root, U1);
	ok(chown(p, 0, 0) == 0, "trust: chown info to root");
	make_instance(root, U1, "302", "org.example.A", 1);
	fmt(p, "%s/%u/.flatpak/302/bwrapinfo.json", root, U1);
	ok(chmod(p, 0666) == 0, "trust: bwrapinfo.json writable by others");
	make_instance(root, U1, "303", "org.example.A", 1);
	fmt(p, "%s/%u/.flatpak/303", root, U1);
	ok(chown(p, U2, U2) == 0, "trust: instance dir of another uid");
	make_instance(root, U1, "304", "org.example.A", 1);
	fmt(p, "%s/%u/.flatpak/304/bwrapinfo.json", root, U1);
	fmt(q, "%s/%u/.flatpak/111/bwrapinfo.json", root, U1);
	unlink(p);
	ok(symlink(q, p) == 0, "trust: bwrapinfo.json as a symlink");
	make_instance(root, U1, "305", "org.example.A", 1);
	fmt(p, "%s/%u/.flatpak/305/info", root, U1);
	make_info(big, sizeof(big), "org.example.A", "111", false);
	write_as(p, big, 0644, U1, true); /* instance-id of another directory */
	make_instance(root, U1, "306", "org.example.A", 1);
	fmt(p, "%s/%u/.flatpak/306/info", root, U1);
	make_info(big, sizeof(big), "org.example.A", "306", false);
	memset(big + strlen(big), '#', FLATPAK_FILE_MAX + 10 - strlen(big)); /* > 64 KiB */
	big[FLATPAK_FILE_MAX + 10] = '\0';
	write_as(p, big, 0644, U1, true);
	fmt(p, "%s/%u/.flatpak/307", root, U1);
	mkdir_as(p, 0755, U1);
	fmt(p, "%s/%u/.flatpak/307/bwrapinfo.json", root, U1);
	ok(mkfifo(p, 0644) == 0 && chown(p, U1, U1) == 0, "trust: FIFO as bwrapinfo.json");
	fmt(p, "%s/%u/.flatpak/307/info", root, U1);
	make_info(big, sizeof(big), "org.example.A", "307", false);
	write_as(p, big, 0644, U1, true);
	/* Group-writable info is fine while ROOT/UID (0700) is closed to the group. */
	make_instance(root, U1, "308", "org.example.Umask002", 1);
	fmt(p, "%s/%u/.flatpak/308/info", root, U1);
	ok(chmod(p, 0664) == 0, "trust: group-writable info (umask 002)");

	n = process(w, out, 8);
	is_int(n, 1, "trust: only the acceptable instance is reported");
	is_str(n ? out[0].instance_id : "", "308", "trust: it is the umask-002 one");

	/* Once ROOT/UID lets the group in, group-writable files are refused. */
	make_instance(root, U1, "309", "org.example.B", 1);
	fmt(p, "%s/%u/.flatpak/309/info", root, U1);
	chmod(p, 0664);
	fmt(p, "%s/%u", root, U1);
	chmod(p, 0750);
	is_int(process(w, out, 8), 0, "trust: group-writable info refused when group can enter");
	flatpak_watch_free(w);

	/* ROOT/UID owned by someone else than UID: not watched at all. */
	fmt(p, "%s/4244", root);
	mkdir_as(p, 0700, U1);
	fmt(p, "%s/4244/.flatpak", root);
	mkdir_as(p, 0755, 4244);
	make_instance(root, 4244, "1", "org.example.C", 1);
	if (flatpak_watch_open(root, &w) < 0)
		return;
	flatpak_watch_scan(w, out, 8, &n);
	for (size_t i = 0; i < n; i++)
		ok(out[i].uid != 4244, "trust: nothing from a UID dir of another owner (%s)",
		   out[i].instance_id);
	flatpak_watch_free(w);
	fmt(p, "%s/4244", root);
	rm_tree(p);
}

static void test_watch_max(const char *root)
{
	struct flatpak_instance out[2];
	struct flatpak_watch *w = NULL;
	char id[16];
	size_t n;

	if (flatpak_watch_open(root, &w) < 0)
		return;
	flatpak_watch_scan(w, out, 2, &n);
	for (int i = 0; i < 3; i++) {
		snprintf(id, sizeof(id), "50%d", i);
		make_instance(root, U2, id, "org.example.Many", 100 + i);
	}
	is_int(process(w, out, 2), 2, "max: two of three reported");
	is_int(process(w, out, 2), 1, "max: the third on the next call");
	is_int(process(w, out, 2), 0, "max: then nothing");
	flatpak_watch_free(w);
}

static void test_watch_limit(const char *base)
{
	struct flatpak_instance out[4];
	struct flatpak_watch *w = NULL;
	char root[PATH_MAX], p[PATH_MAX];
	size_t n;

	fmt(root, "%s/limit", base);
	mkdir_as(root, 0755, 0);
	fmt(p, "%s/%u", root, U1);
	mkdir_as(p, 0700, U1);
	fmt(p, "%s/%u/.flatpak", root, U1);
	mkdir_as(p, 0755, U1);
	for (int i = 0; i < FLATPAK_WATCH_MAX + 10; i++) {
		fmt(p, "%s/%u/.flatpak/%d", root, U1, i);
		mkdir(p, 0755);
		if (chown(p, U1, U1) < 0)
			break;
	}
	if (flatpak_watch_open(root, &w) < 0)
		return;
	is_int(flatpak_watch_scan(w, out, 4, &n), 0, "limit: scan still succeeds");
	is_int(flatpak_watch_count(w), FLATPAK_WATCH_MAX,
	       "limit: at most FLATPAK_WATCH_MAX watches");
	is_int(flatpak_watch_dropped(w), 13, "limit: the 13 directories over the limit counted");
	flatpak_watch_free(w);
	rm_tree(root);
}

/* logind: mkdir ROOT/UID as root, then mount a tmpfs owned by UID on it. */
static void test_watch_mount(const char *base)
{
	struct flatpak_instance out[4];
	struct flatpak_watch *w = NULL;
	char root[PATH_MAX], p[PATH_MAX];
	size_t n;

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		printf("# skip mount test: %s\n", strerror(errno));
		return;
	}
	fmt(root, "%s/mnt", base);
	mkdir_as(root, 0755, 0);
	if (flatpak_watch_open(root, &w) < 0)
		return;
	flatpak_watch_scan(w, out, 4, &n);
	fmt(p, "%s/%u", root, U1);
	mkdir_as(p, 0700, 0);
	is_int(process(w, out, 4), 0, "mount: root-owned ROOT/UID is not watched");
	is_int(flatpak_watch_count(w), 1, "mount: only ROOT watched");
	ok(mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV,
		 "mode=0700,uid=4242,gid=4242,size=1m") == 0,
	   "mount: tmpfs on ROOT/UID");
	ok(fd_readable(flatpak_watch_fd(w)), "mount: fd readable after the mount");
	process(w, out, 4);
	is_int(flatpak_watch_count(w), 2, "mount: the tmpfs is watched now");
	fmt(p, "%s/%u/.flatpak", root, U1);
	mkdir_as(p, 0755, U1);
	make_instance(root, U1, "600", "org.example.Tmpfs", 1);
	n = process(w, out, 4);
	ok(n == 1 && strcmp(out[0].instance_id, "600") == 0, "mount: instance inside the tmpfs");
	fmt(p, "%s/%u", root, U1);
	umount2(p, MNT_DETACH);
	ok(fd_readable(flatpak_watch_fd(w)), "mount: fd readable after the unmount");
	process(w, out, 4);
	is_int(flatpak_watch_count(w), 1, "mount: unmounted ROOT/UID (root-owned again) dropped");
	flatpak_watch_free(w);
}

/* ---- /proc checks on a process in a network namespace of its own ------ */

static pid_t spawn_child(bool own_netns, uid_t uid)
{
	int pfd[2];
	char c = 0;
	pid_t pid;

	if (pipe(pfd) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		if (own_netns && unshare(CLONE_NEWNET) < 0)
			_exit(1);
		if (setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0)
			_exit(1);
		prctl(PR_SET_DUMPABLE, 1); /* setuid cleared it: /proc/PID would be root's */
		if (write(pfd[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(pfd[1]);
	if (pid < 0 || read(pfd[0], &c, 1) != 1) {
		close(pfd[0]);
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		return -1;
	}
	close(pfd[0]);
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void test_pid_check(void)
{
	struct flatpak_instance in = {.instance_id = "1", .app_id = "org.a.b", .uid = U1};
	char p[64];
	struct stat st = {0};
	int fd = -1;
	pid_t pid;

	pid = spawn_child(true, U1);
	if (pid < 0) {
		ok(0, "pid: could not start a child in its own namespace");
		return;
	}
	in.child_pid = pid;
	is_int(flatpak_pid_check(&in), 0, "pid: own netns, right owner");
	fmt(p, "/proc/%d/ns/net", pid);
	if (stat(p, &st) == 0)
		in.net_ns = st.st_ino;
	is_int(flatpak_pid_open_netns(&in, &fd), 0, "pid: net_ns from bwrapinfo matches");
	ok(fd >= 0, "pid: namespace fd returned");
	if (fd >= 0) {
		struct stat fst;

		ok(fstat(fd, &fst) == 0 && fst.st_ino == st.st_ino, "pid: it is the child's netns");
		close(fd);
	}
	in.net_ns = st.st_ino + 1;
	is_int(flatpak_pid_check(&in), -ESTALE, "pid: another netns than bwrap reported");
	in.net_ns = 0;
	in.uid = U2;
	is_int(flatpak_pid_check(&in), -EPERM, "pid: process of another uid");
	in.uid = U1;
	reap(pid);
	is_int(flatpak_pid_check(&in), -ESRCH, "pid: exited process");

	pid = spawn_child(false, U1);
	if (pid > 0) {
		in.child_pid = pid;
		is_int(flatpak_pid_check(&in), -EEXIST, "pid: host network namespace refused");
		reap(pid);
	}
	in.child_pid = getpid();
	in.uid = getuid();
	is_int(flatpak_pid_check(&in), -EEXIST, "pid: our own (host) namespace refused");
	in.child_pid = 0;
	is_int(flatpak_pid_check(&in), -EINVAL, "pid: pid 0");
}

int main(void)
{
	char root[PATH_MAX];

	if (geteuid() != 0) {
		printf("# skip watcher and pid tests: need root (chown, unshare)\n");
		return tap_done();
	}
	snprintf(tmp_base, sizeof(tmp_base), "/tmp/netnsp-flatpak-XXXXXX");
	if (!mkdtemp(tmp_base)) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return tap_done();
	}
	atexit(cleanup);
	chmod(tmp_base, 0755);
	fmt(root, "%s/run-user", tmp_base);
	mkdir_as(root, 0755, 0);

	test_watch_scan(root);
	test_watch_orders(root);
	test_watch_trust(root);
	test_watch_max(root);
	test_watch_limit(tmp_base);
	test_pid_check();
	test_watch_mount(tmp_base); /* last: it leaves this process in its own mount namespace */
	return tap_done();
}
