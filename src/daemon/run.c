// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * run.c - `netnsp run` below the caller's process: a subject made for one
 * command, in namespaces that die with it.
 *
 * Theory of operation (docs/DESIGN.md, "netnsp run"):
 *
 *  1. The caller's process (cli/cmd_run.c) forks us and stays in its own
 *     namespaces as the socket broker (relay/egress.h).
 *  2. We build the chain first (the first hop's name is resolved with the
 *     caller's resolver), then unshare a user namespace that maps the
 *     caller to 0, together with a network namespace (userns.h).  Holding
 *     every capability over that network namespace, we apply the subject
 *     with the daemon's own code (subject_apply(): nft table, uplink,
 *     transparent listeners, UDP, resolver), in the same order, so it
 *     fails closed from the start.
 *  3. The command is forked: a private mount namespace gives it the
 *     subject's resolv.conf and nsswitch.conf and masks the host's resolver
 *     sockets (exec_mounts.c, as `netnsp exec` does); a nested user
 *     namespace gives it back the caller's uid and gid and no capability
 *     over ours; no_new_privs; exec.
 *  4. We relay with the daemon's event loop until the command's pidfd says
 *     it exited; upstream sockets come from the broker, so they live in the
 *     caller's namespace.  When we exit, the last references to the
 *     namespaces go with us: nothing is left to clean up.
 *
 * We are not dumpable (PR_SET_DUMPABLE 0): the command runs with the
 * caller's uid, and without this it could ptrace us or open our fds.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon.h"
#include "netlink/nl-internal.h"
#include "netns/exec.h"
#include "netns/netns.h"
#include "netns/userns.h"
#include "relay/egress.h"
#include "util/log.h"
#include "util/macro.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/* Shell convention for a status: the exit code, or 128 + the signal that killed it. */
static int run_status(const siginfo_t *si)
{
	if (si->si_code == CLD_EXITED)
		return si->si_status;
	return 128 + si->si_status;
}

void run_on_child(struct daemon *d)
{
	siginfo_t si = {0};

	if (waitid((idtype_t)P_PIDFD, (id_t)d->child.fd, &si, WEXITED | WNOHANG) < 0 ||
	    si.si_pid == 0)
		return;
	d->child_status = run_status(&si);
	d->quit = true;
}

void run_on_signal(struct daemon *d, int signo)
{
	/* SIGINT came from the terminal to the command as well: it decides, like a shell. */
	if (signo == SIGINT || d->child.fd < 0)
		return;
	(void)syscall(SYS_pidfd_send_signal, d->child.fd, signo, NULL, 0);
}

/* What the command's process tells its parent when it cannot exec (nothing when it can). */
struct run_fail {
	int err;      /* negative errno */
	bool in_exec; /* execvp itself failed: 127 / 126, as a shell says */
};

/* In the command's process: never returns; tells @sync why if it cannot exec. */
static __attribute__((noreturn)) void run_exec(const struct subject_state *st, char **cmd,
					       uid_t uid, gid_t gid, int sync)
{
	struct run_fail f = {0};
	char err[256] = "";
	int r;

	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* /proc/self/uid_map of a non-dumpable process belongs to root: writable again. */
	r = prctl(PR_SET_DUMPABLE, 1) < 0 ? neg_errno() : 0;
	if (r == 0)
		r = exec_setup_mounts(st, err, sizeof(err));
	if (r == 0)
		r = userns_enter(0, uid, gid);
	if (r == 0)
		r = priv_reset_signals();
	if (r == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		r = neg_errno();
	/* Credentials changed: the kernel cleared the parent-death signal. */
	if (r == 0 && prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		r = neg_errno();
	if (r == 0) {
		execvp(cmd[0], cmd);
		r = neg_errno();
		f.in_exec = true;
	} else {
		log_err("run: the command's namespaces: %s", err[0] ? err : strerror(-r));
	}
	f.err = r;
	(void)!write(sync, &f, sizeof(f));
	_exit(127);
}

/* Fork the command; its pidfd goes on the loop.  Return 0, or the exit status to give. */
static int run_spawn(struct daemon *d, const struct subject_state *st, char **cmd, uid_t uid,
		     gid_t gid)
{
	_cleanup_close_ int rd = -1, wr = -1;
	struct run_fail f;
	int fds[2], pidfd;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return EXIT_RUNTIME;
	rd = fds[0];
	wr = fds[1];
	pid = fork();
	if (pid < 0)
		return EXIT_RUNTIME;
	if (pid == 0)
		run_exec(st, cmd, uid, gid, wr);
	close(TAKE_FD(wr));
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (read(rd, &f, sizeof(f)) == sizeof(f)) {
		if (f.in_exec)
			log_err("run: %s: %s", cmd[0], strerror(-f.err));
		(void)waitpid(pid, NULL, 0);
		if (pidfd >= 0)
			close(pidfd);
		if (!f.in_exec)
			return EXIT_RUNTIME;
		return f.err == -ENOENT || f.err == -ENOTDIR ? 127 : 126;
	}
	if (pidfd < 0) {
		log_err("run: pidfd_open: %s", strerror(errno));
		kill(pid, SIGKILL);
		return EXIT_RUNTIME;
	}
	d->child = (struct ev){.tag = EV_CHILD, .fd = pidfd};
	return loop_add(d->epfd, &d->child, EPOLLIN) < 0 ? EXIT_RUNTIME : 0;
}

/* Step 2: our own namespaces, lo up, an fd on the network namespace. */
static int run_unshare(int *nsfd)
{
	char why[200];
	int r = userns_enter(CLONE_NEWNET, 0, 0);

	if (r < 0) {
		if (userns_refused_why(why, sizeof(why)))
			log_err("run: %s", why);
		else
			log_err("run: user and network namespace: %s", strerror(-r));
		return r;
	}
	/* New credentials reset both; we hold what the command must not reach. */
	if (prctl(PR_SET_DUMPABLE, 0) < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		return neg_errno();
	signal(SIGQUIT, SIG_IGN);
	r = nl_lo_up();
	if (r < 0) {
		log_err("run: lo: %s", strerror(-r));
		return r;
	}
	*nsfd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	return *nsfd < 0 ? neg_errno() : 0;
}

/* Steps 2 and 3 after the chain is built: the subject applied and the command started. */
static int run_setup(struct daemon *d, struct subject_rt *s, char **cmd)
{
	const struct profile_conf *p = settings_find_profile(&d->settings, s->name);
	struct subject_state *st = daemon_entry(d, s);
	uid_t uid = geteuid();
	gid_t gid = getegid();
	int r;

	r = run_unshare(&s->nsfd);
	if (r < 0)
		return EXIT_RUNTIME;
	r = daemon_setup_loop(d);
	daemon_caps(d); /* after the loop raised RLIMIT_NOFILE */
	if (r == 0)
		r = subject_apply(d, s, st, p);
	if (r < 0) {
		log_err("run: %s", s->error[0] ? s->error : strerror(-r));
		return EXIT_RUNTIME;
	}
	return run_spawn(d, st, cmd, uid, gid);
}

int run_child(const struct cli_ctx *ctx, struct settings *settings, const char *profile, char **cmd,
	      int egress)
{
	struct daemon d = {.ctx = ctx, .epfd = -1, .lock_fds = {-1, -1}, .oneshot = true};
	struct relay_egress eg = {.fd = egress};
	struct derivative none = {0};
	const struct profile_conf *p;
	struct subject_state *st;
	struct subject_rt *s;
	char err[CONF_ERR_MAX] = "";
	int status = EXIT_RUNTIME, r;

	d.sig.fd = d.timer.fd = d.ctl.fd = d.flatpak.fd = d.child.fd = -1;
	d.settings = *settings;
	memset(settings, 0, sizeof(*settings));
	p = settings_find_profile(&d.settings, profile);
	r = netns_ident_self(&d.self);
	if (r == 0)
		r = derive(&d.settings, &none, &d.self, &d.deriv);
	st = r == 0 && p ? derivative_find(&d.deriv, profile) : NULL;
	s = st ? daemon_subject_new(&d, st) : NULL;
	if (!s) {
		log_err("run: profile '%s': %s", profile, strerror(r < 0 ? -r : ENOENT));
		goto out;
	}
	/* Before unsharing: the first hop's name is resolved the caller's way. */
	r = relay_chain_build(&d.settings, p, &s->rs.chain, err, sizeof(err));
	if (r < 0) {
		log_err("run: %s", err);
		goto out;
	}
	s->rs.chain.egress = &eg;
	status = run_setup(&d, s, cmd);
	if (status == 0 && daemon_loop(&d) == 0)
		status = d.child_status;
out:
	if (d.child.fd >= 0)
		close(d.child.fd);
	daemon_free(&d);
	return status;
}
