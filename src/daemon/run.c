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
 *  3. The command's side is forked into a new PID namespace, as its pid 1:
 *     a private mount namespace gives it the subject's resolv.conf and
 *     nsswitch.conf and masks the host's resolver sockets (exec_mounts.c,
 *     as `netnsp exec` does); a nested user namespace gives it back the
 *     caller's uid and gid and no capability over ours.  It forks the
 *     command (no_new_privs, exec) and stays as its init (run_init()).
 *  4. We relay with the daemon's event loop until the init's pidfd says
 *     it exited with the command; upstream sockets come from the broker, so they live in the
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
#include <dirent.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon.h"
#include "netlink/nl.h"
#include "exec/exec.h"
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

/* What the command needs, and where it reports a failure to start. */
struct run_cmd {
	char **argv;
	uid_t uid; /* the caller's, outside */
	gid_t gid;
	struct rlimit nofile; /* the caller's fd limit (the loop raised ours) */
	int sync;	      /* write end of a close-on-exec pipe: a struct run_fail, or EOF */
};

/* What the command's side tells the relay when it cannot exec (nothing when it can). */
struct run_fail {
	int err;      /* negative errno */
	bool in_exec; /* execvp itself failed: 127 / 126, as a shell says */
};

static __attribute__((noreturn)) void run_fail_exit(const struct run_cmd *c, int err, bool in_exec)
{
	struct run_fail f = {.err = err, .in_exec = in_exec};

	(void)!write(c->sync, &f, sizeof(f));
	_exit(127);
}

/*
 * Close what netnsp holds (every fd it opens is close-on-exec: the broker's
 * socket, listeners, epoll) and keep what the caller passed on, which the
 * command inherits.  The init below never execs, so exec cannot do it.
 */
static void run_close_own_fds(int keep)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *e;

	while (dir && (e = readdir(dir))) {
		int fd = (int)strtol(e->d_name, NULL, 10);
		int fl = fd > 2 && fd != keep && fd != dirfd(dir) ? fcntl(fd, F_GETFD) : 0;

		if (fl > 0 && (fl & FD_CLOEXEC))
			close(fd);
	}
	if (dir)
		closedir(dir);
}

/* The command itself, pid 2 of the new PID namespace. */
static __attribute__((noreturn)) void run_exec(const struct run_cmd *c)
{
	int r = priv_reset_signals();

	(void)setrlimit(RLIMIT_NOFILE, &c->nofile);
	if (r == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		r = neg_errno();
	if (r == 0 && prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		r = neg_errno();
	if (r < 0)
		run_fail_exit(c, r, false);
	execvp(c->argv[0], c->argv);
	run_fail_exit(c, neg_errno(), true);
}

/*
 * Pid 1 of the command's PID namespace: waits for the command, reaps
 * orphans, passes SIGTERM / SIGHUP on, and exits with the command's
 * status; the kernel then kills whatever the command left running
 * (pid_namespaces(7)), so nothing outlives it.  The command itself is not
 * pid 1, where signals without a handler would be dropped.
 */
static __attribute__((noreturn)) void run_init(const struct run_cmd *c, pid_t cmd)
{
	siginfo_t si;
	sigset_t set;
	int st;
	pid_t w;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);
	for (;;) {
		if (sigwaitinfo(&set, &si) < 0)
			continue;
		/* SIGINT / SIGQUIT came from the terminal to the command as well. */
		if (si.si_signo == SIGTERM || si.si_signo == SIGHUP)
			kill(cmd, si.si_signo);
		while (si.si_signo == SIGCHLD && (w = waitpid(-1, &st, WNOHANG)) > 0)
			if (w == cmd)
				_exit(WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st));
	}
}

/* The command's side of the fork: its namespaces, then the init and the command. */
static __attribute__((noreturn)) void run_child_side(const struct subject_state *st,
						     const struct run_cmd *c)
{
	char err[256] = "";
	sigset_t set;
	pid_t pid;
	int r;

	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* /proc/self/uid_map of a non-dumpable process belongs to root: writable again. */
	r = prctl(PR_SET_DUMPABLE, 1) < 0 ? neg_errno() : 0;
	if (r == 0)
		r = exec_setup_mounts(st, err, sizeof(err));
	if (r == 0)
		r = userns_enter(0, c->uid, c->gid);
	/* New credentials: both reset.  Not dumpable: the command must not ptrace us. */
	if (r == 0 && (prctl(PR_SET_DUMPABLE, 0) < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) < 0))
		r = neg_errno();
	if (r < 0) {
		log_err("run: the command's namespaces: %s", err[0] ? err : strerror(-r));
		run_fail_exit(c, r, false);
	}
	run_close_own_fds(c->sync);
	sigfillset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
	pid = fork();
	if (pid < 0)
		run_fail_exit(c, neg_errno(), false);
	if (pid == 0)
		run_exec(c);
	close(c->sync);
	run_init(c, pid);
}

/* Fork the command's side; its pidfd goes on the loop.  Return 0, or the exit status to give. */
static int run_spawn(struct daemon *d, const struct subject_state *st, struct run_cmd *c)
{
	_cleanup_close_ int rd = -1;
	struct run_fail f;
	int fds[2], pidfd;
	pid_t pid;

	/* Our next child is pid 1 of a new PID namespace: the command's children die with it. */
	if (unshare(CLONE_NEWPID) < 0 || pipe2(fds, O_CLOEXEC) < 0) {
		log_err("run: PID namespace: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	rd = fds[0];
	c->sync = fds[1];
	pid = fork();
	if (pid < 0)
		return EXIT_RUNTIME;
	if (pid == 0)
		run_child_side(st, c);
	close(c->sync);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (read(rd, &f, sizeof(f)) == sizeof(f)) {
		if (f.in_exec)
			log_err("run: %s: %s", c->argv[0], strerror(-f.err));
		else
			log_err("run: starting the command: %s", strerror(-f.err));
		kill(pid, SIGKILL);
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
	return loop_add(&d->loop, &d->child, EPOLLIN) < 0 ? EXIT_RUNTIME : 0;
}

/* Step 2: our own namespaces, lo up, an fd on the network namespace. */
static int run_unshare(int *nsfd)
{
	char why[200];
	int r;

	/*
	 * A setuid install dropped to the caller first, which left us not
	 * dumpable, and /proc/self/uid_map root's: make it ours to write.
	 */
	if (prctl(PR_SET_DUMPABLE, 1) < 0)
		return neg_errno();
	r = userns_enter(CLONE_NEWNET, 0, 0);
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
	struct run_cmd c = {.argv = cmd, .uid = geteuid(), .gid = getegid()};
	int r;

	if (getrlimit(RLIMIT_NOFILE, &c.nofile) < 0)
		return EXIT_RUNTIME;
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
	/* The command's first connection finds its upstream socket waiting. */
	egress_prime(s->rs.chain.egress, s->rs.chain.first.ss_family, SOCK_STREAM | SOCK_NONBLOCK);
	return run_spawn(d, st, &c);
}

int run_child(const struct cli_ctx *ctx, struct settings *settings, const char *profile, char **cmd,
	      int egress)
{
	struct daemon d = {.ctx = ctx, .loop.epfd = -1, .lock_fds = {-1, -1}, .oneshot = true};
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
	r = relay_chain_build(&d.settings, p->via_idx, &s->rs.chain, err, sizeof(err));
	if (r == 0)
		r = relay_routes_build(&d.settings, p, &s->rs, err, sizeof(err));
	if (r < 0) {
		log_err("run: %s", err);
		goto out;
	}
	s->rs.chain.egress = &eg;
	for (size_t k = 0; k < s->rs.n_routes; k++)
		s->rs.route_chains[k].egress = &eg;
	status = run_setup(&d, s, cmd);
	if (status == 0 && daemon_loop(&d) == 0)
		status = d.child_status;
out:
	if (d.child.fd >= 0)
		close(d.child.fd);
	daemon_free(&d);
	return status;
}
