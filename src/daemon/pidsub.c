// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pidsub.c - Pid subjects: the namespace of a running process under a
 * profile (`netnsp attach`, Flatpak instances).
 *
 * A process is held by a pidfd, so a pid that is reused after the process
 * exits can never redirect the subject: /proc/PID is opened once, its
 * owner and namespace read through that directory, and only then is the
 * pidfd checked (the process has not exited, so the pid was never free and
 * /proc/PID was that process) along with the start time recorded in the
 * Derivative.  The pidfd becomes readable when the process exits; the
 * subject is then collected.
 *
 * Whose namespace may be taken (docs/SECURITY.md "Pid subjects"): never the
 * daemon's own nor another subject's.  A Flatpak instance, whose files any
 * user can write, must in addition name a namespace that is that user's
 * own: owned by a user namespace the user owns (or, for root's instances,
 * by the daemon's), not a file under /run/netns, and holding no link but
 * lo.  Root's explicit `netnsp attach` is trusted with any other namespace.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "daemon.h"
#include "netlink/nl.h"
#include "netns/netns.h"
#include "util/log.h"
#include "util/macro.h"

static int pid_open(int32_t pid)
{
	long fd = syscall(SYS_pidfd_open, (pid_t)pid, 0);

	return fd < 0 ? neg_errno() : (int)fd;
}

static bool pid_alive(int pidfd)
{
	return syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) == 0;
}

/* Field 22 of PROC/stat: start time in clock ticks since boot. */
static int pid_start_time(int procfd, uint64_t *out)
{
	_cleanup_close_ int fd = -1;
	char buf[1024], *p;
	unsigned long long v;
	ssize_t n;

	fd = openat(procfd, "stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
	if (!p)
		return -EIO;
	/* The n-th space after ')' starts field n + 2: state is 3, starttime is 22. */
	for (int field = 3; field <= 22; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -EIO;
	}
	if (sscanf(p + 1, "%llu", &v) != 1)
		return -EIO;
	*out = v;
	return 0;
}

/*
 * Open the process's netns through /proc/PID and prove it still is the
 * process behind @pidfd; *@uid is the owner of /proc/PID (the process's
 * euid, root if it is not dumpable), *@start its start time, which must be
 * @want_start unless that is 0.
 */
static int pid_open_ns(int32_t pid, int pidfd, uint64_t want_start, uint64_t *start, uint32_t *uid)
{
	_cleanup_close_ int procfd = -1, fd = -1;
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d", pid);
	procfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0 || fstat(procfd, &st) < 0)
		return -ESRCH;
	fd = openat(procfd, "ns/net", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	if (pid_start_time(procfd, start) < 0 || (want_start && *start != want_start))
		return -ESRCH;
	if (!pid_alive(pidfd)) /* checked last: all of the above was this process */
		return -ESRCH;
	*uid = (uint32_t)st.st_uid;
	return TAKE_FD(fd);
}

static const char *ns_owner(struct daemon *d, const struct ns_ident *id)
{
	for (size_t i = 0; i < d->n_subj; i++) {
		struct ns_ident other;

		if (d->subj[i]->nsfd >= 0 && netns_ident_fd(d->subj[i]->nsfd, &other) == 0 &&
		    netns_ident_equal(id, &other))
			return d->subj[i]->name;
	}
	return NULL;
}

/* Checks shared by attach and restore: not the host's, not another subject's. */
static int pid_check_ns(struct daemon *d, int32_t pid, int nsfd, char *err, size_t errlen)
{
	struct ns_ident id;
	const char *owner;
	int r = netns_ident_fd(nsfd, &id);

	if (r < 0) {
		snprintf(err, errlen, "pid %d: namespace identity: %s", pid, strerror(-r));
		return r;
	}
	if (netns_ident_equal(&id, &d->self)) {
		snprintf(err, errlen,
			 "pid %d is in the daemon's own network namespace; refusing to touch it",
			 pid);
		return -EPERM;
	}
	owner = ns_owner(d, &id);
	if (owner) {
		snprintf(err, errlen, "pid %d is in the namespace of subject '%s'", pid, owner);
		return -EEXIST;
	}
	return 0;
}

/*
 * A user's Flatpak instance: the namespace must be @owner's own (see the
 * comment at the top).  The process's uid was checked by the caller.
 */
static int pid_check_trust(int32_t pid, int nsfd, uint32_t owner, char *err, size_t errlen)
{
	char name[256];
	bool initial;
	uint32_t uid;
	int r;

	r = netns_owner(nsfd, &uid, &initial);
	if (r < 0) {
		snprintf(err, errlen, "pid %d: owner of its network namespace: %s; refusing", pid,
			 strerror(-r));
		return -EPERM;
	}
	if (initial ? owner != 0 : uid != owner) {
		if (initial)
			snprintf(name, sizeof(name), "the host's user namespace");
		else
			snprintf(name, sizeof(name), "a user namespace of uid %u", uid);
		snprintf(err, errlen,
			 "pid %d: its network namespace belongs to %s, not to a user namespace "
			 "of uid %u; refusing to touch it",
			 pid, name, owner);
		return -EPERM;
	}
	r = netns_run_dir_holds(nsfd, name, sizeof(name));
	if (r != 0) {
		snprintf(err, errlen, "pid %d: its network namespace %s%s%s; refusing to touch it",
			 pid, r > 0 ? "is " NETNS_RUN_DIR "/" : "cannot be checked against ",
			 r > 0 ? name : NETNS_RUN_DIR, r > 0 ? ", managed outside netnsp" : "");
		return -EPERM;
	}
	r = nl_subject_foreign_link(nsfd, false, name, sizeof(name));
	if (r < 0) {
		snprintf(err, errlen,
			 "pid %d: its network namespace %s '%s'%s; refusing to touch it", pid,
			 r == -EBUSY ? "holds interface" : "cannot be listed:",
			 r == -EBUSY ? name : strerror(-r),
			 r == -EBUSY ? " that netnsp did not create" : "");
		return -EPERM;
	}
	return 0;
}

/* Make a runtime subject for Pid entry @st holding @nsfd and @pidfd, and apply it. */
static int pid_start(struct daemon *d, const struct subject_state *st, int nsfd, int pidfd,
		     char *err, size_t errlen)
{
	struct subject_rt *s = daemon_subject_new(d, st);
	int r;

	if (!s) {
		close(nsfd);
		close(pidfd);
		return -ENOMEM;
	}
	s->nsfd = nsfd;
	s->pidfd.fd = pidfd;
	r = loop_add(&d->loop, &s->pidfd, EPOLLIN);
	if (r == 0)
		r = daemon_subject_start(d, s);
	if (r < 0) {
		snprintf(err, errlen, "%s", s->error[0] ? s->error : strerror(-r));
		(void)subject_down(d, s);
		daemon_subject_free(d, s);
	}
	return r;
}

static void pid_drop_entry(struct daemon *d, int32_t pid)
{
	for (size_t i = 0; i < d->deriv.n_subjects; i++) {
		if (d->deriv.subjects[i].kind == SUBJ_PID && d->deriv.subjects[i].pid == pid) {
			derivative_remove(&d->deriv, i);
			return;
		}
	}
}

int daemon_attach(struct daemon *d, int32_t pid, const char *profile, int64_t owner, char *err,
		  size_t errlen)
{
	const struct profile_conf *p = settings_find_profile(&d->settings, profile);
	_cleanup_close_ int pidfd = -1, nsfd = -1;
	struct subject_state *st;
	uint64_t start;
	uint32_t uid;
	int r;

	if (!p) {
		snprintf(err, errlen, "no profile '%s'", profile);
		return -ENOENT;
	}
	if (pid <= 0 || (pidfd = pid_open(pid)) < 0 ||
	    (nsfd = pid_open_ns(pid, pidfd, 0, &start, &uid)) < 0) {
		snprintf(err, errlen, "no process %d", pid);
		return -ESRCH;
	}
	if (owner >= 0 && uid != (uint64_t)owner) {
		snprintf(err, errlen, "pid %d belongs to uid %u, not to uid %lld; refusing", pid,
			 uid, (long long)owner);
		return -EPERM;
	}
	r = pid_check_ns(d, pid, nsfd, err, errlen);
	if (r == 0 && owner >= 0)
		r = pid_check_trust(pid, nsfd, (uint32_t)owner, err, errlen);
	if (r < 0)
		return r;
	/* A subject recorded for an older process with this pid: it exited, collect it now. */
	for (size_t i = 0; i < d->n_subj; i++) {
		if (d->subj[i]->kind == SUBJ_PID && d->subj[i]->pid == pid &&
		    d->subj[i]->pid_start != start) {
			daemon_collect(d, d->subj[i]);
			break;
		}
	}
	r = derivative_add_pid(&d->deriv, &d->settings, p, pid, start, &st);
	if (r < 0) {
		snprintf(err, errlen, "pid %d: %s", pid, strerror(-r));
		return r;
	}
	r = pid_start(d, st, TAKE_FD(nsfd), TAKE_FD(pidfd), err, errlen);
	if (r < 0)
		pid_drop_entry(d, pid);
	else
		log_info("profile '%s': attached pid %d", profile, pid);
	(void)daemon_save(d);
	return r;
}

void daemon_detach(struct daemon *d, struct subject_rt *s)
{
	int32_t pid = s->pid;
	int r = subject_down(d, s);

	if (r < 0)
		log_warn("profile '%s': pid %d: teardown: %s", s->name, pid, strerror(-r));
	log_info("profile '%s': detached pid %d: %s", s->name, pid,
		 d->n_detached ? d->detached[d->n_detached - 1].teardown : "");
	daemon_subject_free(d, s);
	pid_drop_entry(d, pid);
}

void daemon_collect(struct daemon *d, struct subject_rt *s)
{
	int32_t pid = s->pid;

	log_info("profile '%s': pid %d exited; subject collected", s->name, pid);
	daemon_subject_free(d, s);
	pid_drop_entry(d, pid);
	(void)daemon_save(d);
}

/* One recorded Pid entry at start: re-attach it, or return <0 to collect it. */
static int pid_restore_one(struct daemon *d, const struct subject_state *st)
{
	_cleanup_close_ int pidfd = -1, nsfd = -1;
	char err[SUBJECT_ERR_MAX] = "";
	struct ns_ident id;

	uint64_t start;
	uint32_t uid;

	pidfd = pid_open(st->pid);
	if (pidfd < 0)
		return pidfd;
	nsfd = pid_open_ns(st->pid, pidfd, st->pid_start, &start, &uid);
	if (nsfd < 0)
		return nsfd;
	if (st->ns.ino && (netns_ident_fd(nsfd, &id) < 0 || !netns_ident_equal(&id, &st->ns)))
		return -ESTALE;
	if (pid_check_ns(d, st->pid, nsfd, err, sizeof(err)) < 0) {
		log_warn("profile '%s': %s", st->name, err);
		return -EPERM;
	}
	return pid_start(d, st, TAKE_FD(nsfd), TAKE_FD(pidfd), err, sizeof(err));
}

void daemon_restore_pids(struct daemon *d)
{
	for (size_t i = 0; i < d->deriv.n_subjects;) {
		const struct subject_state *st = &d->deriv.subjects[i];
		int32_t pid = st->pid;

		if (st->kind != SUBJ_PID) {
			i++;
			continue;
		}
		if (pid_restore_one(d, st) == 0) {
			i++;
			continue;
		}
		log_info("profile '%s': pid %d is gone; subject collected", st->name, pid);
		derivative_remove(&d->deriv, i);
	}
}
