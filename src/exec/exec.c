/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * exec.c - `netnsp exec PROFILE [-- CMD ARGS...]`, the one path of netnsp
 * that may run setuid root.
 *
 * Theory of operation
 * ===================
 *
 * netnsp may be installed setuid root so that the users a profile lists in
 * `users` can run their own programs inside that profile's namespace.  Only
 * `exec` is accepted in that mode (main() refuses every other command), and
 * this file is all that runs with privilege.  The aim is that a setuid
 * install gives a user exactly one new power: to put a program of their own,
 * with their own identity, into a namespace whose only way out is the proxy
 * chain root configured for them.  Not into any other namespace, and not
 * with any privilege.
 *
 * "Untrusted" below means chosen by the caller: argv, the environment
 * (NETNSP_CONFIG, NETNSP_STATE_DIR, $SHELL, PATH, ...), the working
 * directory, inherited fds, signal state, rlimits.  glibc runs a setuid
 * program in secure mode (AT_SECURE): LD_* and friends are already gone
 * from the environment and fds 0-2 are opened on /dev/null if closed.
 *
 *  0. Save the real, effective and saved uids and gids and the supplementary
 *     groups, before anything can change them.  Refuse to go on unless the
 *     effective uid is 0 (run as root, or setuid root).  "Checking" below
 *     means: the real uid is not 0 (or main() saw a setuid start).
 *
 *  1. Validate PROFILE with the config's name rules ([A-Za-z0-9_.-], at most
 *     32 bytes, no leading '-' or '.'), so a name never becomes a path
 *     component that walks elsewhere.
 *
 *  2. Load Settings and the Derivative.  A setuid start reads the built-in
 *     paths only (main() ignores --config, --state-dir, --run-dir and
 *     NETNSP_* then, with one warning): a file the caller names is not the
 *     configuration root applies, even when root wrote it (a stale
 *     netnsp.conf~).  When checking, a file is used only if root alone
 *     could have written it: resolved once with realpath(), then walked
 *     from "/" with O_NOFOLLOW; every directory root-owned and not writable
 *     by group or others (a sticky ancestor such as /tmp is accepted:
 *     nobody else may rename root's entries in it), the containing
 *     directory strictly so, the file root-owned, regular, not writable by
 *     group or others, and on a disk, image, overlay or memory file system
 *     (fstatfs; never procfs or sysfs, whose root-owned files such as
 *     /proc/self/environ can hold the caller's text).  The file is read
 *     through the fd that was checked (no second lookup by name).  Parse
 *     errors are not shown in detail when checking: the file may be one the
 *     caller cannot read (a config holds proxy passwords), and a message
 *     quoting a line would leak it.  A config that does not parse is not
 *     fatal when the Derivative holds the profile as applied (its snapshot):
 *     its `users` decide instead, with a warning, as the daemon still runs
 *     that profile (reload refuses a broken config).
 *
 *  3. Authorize the real uid: uid 0 always; else an entry of the profile's
 *     `users` (the config's, or the applied snapshot's, step 2) equal to the
 *     user's name or uid, or `@group` (name or gid) whose gid is the real
 *     gid, a supplementary group of the process, or a group the database
 *     lists for the user (getgrouplist).  A profile without `users` admits
 *     root only.
 *
 *  4. The profile must have been applied: the Derivative records the root
 *     namespace and this subject's namespace identity.  The caller's own
 *     network namespace must be that recorded root namespace (dev, inode
 *     and netns cookie), so that exec can never be used to hop from one
 *     subject (or any namespace the caller made) into another one.
 *
 *  5. Open /run/netns/NAME: the directory must be root-owned and not
 *     writable by group or others; the file is opened O_NOFOLLOW and must be
 *     an nsfs network namespace (netns_open_named(), NS_GET_NSTYPE) whose
 *     identity (dev, inode, cookie) is the one recorded at apply: a file
 *     that another tool replaced meanwhile is refused (docs/GUARANTEES.md 7).
 *
 *  6. setns(fd, CLONE_NEWNET): the kernel checks the type again.
 *
 *  7. exec_setup_mounts() (exec_mounts.c): a private mount namespace
 *     (unshare(CLONE_NEWNS), / recursively private) where /etc/resolv.conf
 *     (or the file its symlink points to) names the subject's resolver,
 *     /etc/nsswitch.conf says `hosts: files dns`, and the host's resolver
 *     sockets (nscd, /run/systemd/resolve/, avahi) are masked by an empty
 *     read-only file or tmpfs.  The text is generated from the Derivative
 *     (etc_netns.c), never read from a file the caller could write.  Any
 *     failure refuses to run the program (fail closed), naming the path.
 *
 *  8. Drop privileges for good (priv_drop()).  Setuid: empty the capability
 *     bounding set, setgroups(the saved groups), setresgid(rgid x3),
 *     setresuid(ruid x3), clear inheritable and ambient capabilities; then
 *     verify all six ids, that every capability set is empty and that
 *     setuid(0) fails.  A real root caller keeps uid 0 and its
 *     capabilities: that is its identity.  Always PR_SET_NO_NEW_PRIVS, so
 *     nothing executed later gains privilege through setuid bits or file
 *     capabilities.
 *
 *  9. Close every fd above 2 (close_range), put every signal back to its
 *     default and unblock all, leave working directory and terminal as they
 *     were, and execvp() the command (default $SHELL, else /bin/sh).  The
 *     PATH search runs with the caller's identity.  The environment is the
 *     caller's whole one: what glibc's secure mode removed before main()
 *     (LD_PRELOAD, TMPDIR, ...) is read back from /proc/self/environ at
 *     step 0 and restored only now, for a program that has no privilege.
 *
 * Helpers never exit; every failure comes back to cmd_exec() as a negative
 * errno and one line of text, and nothing is executed after a failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdarg.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "exec/exec.h"
#include "netns/netns.h"
#include "state/state.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "util/parse.h"

struct exec_state {
	const struct exec_opts *o;   /* borrowed */
	struct exec_error *e;	     /* borrowed */
	bool check;		     /* distrust files: the real uid is not root */
	struct priv_ids ids;	     /* owned */
	struct settings settings;    /* owned */
	struct derivative deriv;     /* owned */
	char conf_err[CONF_ERR_MAX]; /* why the config did not parse, or "" */
	char *const *users;	     /* borrowed: the profile's `users` */
	size_t n_users;
	char **snap_users;		  /* owned: @users from the applied snapshot */
	const struct subject_state *subj; /* borrowed from @deriv */
	int nsfd;			  /* owned: the subject's namespace */
	char *env_buf;			  /* owned: the environment as started */
	char **envp;			  /* owned: pointers into @env_buf, or NULL */
};

static int fail(struct exec_state *s, enum exec_fail f, int err, const char *fmt, ...)
	_printf_(4, 5);
static int fail(struct exec_state *s, enum exec_fail f, int err, const char *fmt, ...)
{
	va_list ap;

	s->e->fail = f;
	s->e->err = err < 0 ? err : -EPERM;
	va_start(ap, fmt);
	vsnprintf(s->e->msg, sizeof(s->e->msg), fmt, ap);
	va_end(ap);
	return s->e->err;
}

/* Open (checked when distrusting) and read one file; -ENOENT passes through quietly. */
static int load_file(struct exec_state *s, const char *path, char **buf, size_t *len)
{
	_cleanup_close_ int fd = -1;
	char err[EXEC_ERR_MAX];
	int r;

	fd = priv_open_trusted(path, s->check, err, sizeof(err));
	if (fd == -ENOENT)
		return fd;
	if (fd < 0)
		return fail(s,
			    fd == -EPERM || fd == -EINVAL ? EXEC_FAIL_REFUSED : EXEC_FAIL_RUNTIME,
			    fd, "%s", err);
	r = fd_read_all(fd, PRIV_FILE_MAX, buf, len);
	if (r < 0)
		return fail(s, EXEC_FAIL_RUNTIME, r, "%s: %s", path, strerror(-r));
	return 0;
}

static int load_settings(struct exec_state *s)
{
	const struct profile_conf *prof;
	_cleanup_free_ char *buf = NULL;
	char err[CONF_ERR_MAX];
	size_t len = 0;
	int r;

	r = load_file(s, s->o->config_path, &buf, &len);
	if (r == -ENOENT)
		return fail(s, EXEC_FAIL_CONFIG, r, "%s: %s", s->o->config_path, strerror(-r));
	if (r < 0)
		return r;
	r = settings_parse_buffer(buf, len, s->o->config_path, &s->settings, err, sizeof(err));
	if (r < 0) {
		/* Kept for later: the applied snapshot may stand in (pick_users()). */
		if (s->check)
			snprintf(s->conf_err, sizeof(s->conf_err),
				 "%s: the config has errors (details are shown to root only)",
				 s->o->config_path);
		else
			snprintf(s->conf_err, sizeof(s->conf_err), "%s", err);
		return 0;
	}
	prof = settings_find_profile(&s->settings, s->o->profile);
	if (!prof)
		return fail(s, EXEC_FAIL_REFUSED, -ENOENT, "no profile '%s' in %s", s->o->profile,
			    s->o->config_path);
	s->users = prof->users;
	s->n_users = prof->n_users;
	return 0;
}

/*
 * The `users` to authorize against: the config's; or, when the config on
 * disk does not parse, those of the profile as last applied (its snapshot
 * in the Derivative), which is what the daemon still runs, since reload
 * refuses such a config.  Without that snapshot, the config error stands.
 */
static int pick_users(struct exec_state *s)
{
	const struct subject_state *st;
	char msg[CONF_ERR_MAX + 64];
	int r;

	if (!s->conf_err[0])
		return 0;
	st = derivative_find(&s->deriv, s->o->profile);
	if (!st || !st->snapshot)
		return fail(s, EXEC_FAIL_CONFIG, -EINVAL, "%s", s->conf_err);
	r = profile_snapshot_users(st->snapshot, &s->snap_users, &s->n_users);
	if (r < 0)
		return fail(s, EXEC_FAIL_RUNTIME, r, "%s; the applied profile is unreadable: %s",
			    s->conf_err, strerror(-r));
	s->users = s->snap_users;
	if (s->o->warn) {
		snprintf(msg, sizeof(msg), "%s; using the applied profile", s->conf_err);
		s->o->warn(msg);
	}
	return 0;
}

static int load_derivative(struct exec_state *s)
{
	_cleanup_free_ char *buf = NULL;
	char err[EXEC_ERR_MAX];
	size_t len = 0;
	int r;

	r = load_file(s, s->o->state_path, &buf, &len);
	if (r == -ENOENT)
		return 0; /* nothing applied yet: step 4 says so */
	if (r < 0)
		return r;
	r = derivative_load_buffer(buf, len, &s->deriv, err, sizeof(err));
	if (r < 0 && s->check)
		return fail(s, EXEC_FAIL_RUNTIME, r, "%s: the state file is not valid",
			    s->o->state_path);
	if (r < 0)
		return fail(s, EXEC_FAIL_RUNTIME, r, "%s: %s", s->o->state_path, err);
	return 0;
}

static int authorize(struct exec_state *s)
{
	_cleanup_free_ char *name = NULL;
	_cleanup_free_ gid_t *groups = NULL;
	struct priv_caller c;
	size_t n = 0;
	int r;

	if (s->ids.ruid == 0)
		return 0;
	r = priv_user_name(s->ids.ruid, &name);
	if (r < 0)
		return fail(s, EXEC_FAIL_RUNTIME, r, "look up uid %u: %s", (unsigned)s->ids.ruid,
			    strerror(-r));
	r = priv_caller_groups(&s->ids, name, &groups, &n);
	if (r < 0)
		return fail(s, EXEC_FAIL_RUNTIME, r, "look up groups: %s", strerror(-r));
	c = (struct priv_caller){.uid = s->ids.ruid, .name = name, .groups = groups, .n_groups = n};
	if (priv_caller_allowed(s->users, s->n_users, &c, NULL))
		return 0;
	if (name)
		return fail(s, EXEC_FAIL_REFUSED, -EPERM,
			    "user '%s' is not allowed in profile '%s'", name, s->o->profile);
	return fail(s, EXEC_FAIL_REFUSED, -EPERM, "uid %u is not allowed in profile '%s'",
		    (unsigned)s->ids.ruid, s->o->profile);
}

static bool ident_recorded(const struct ns_ident *id)
{
	return id->dev != 0 || id->ino != 0;
}

/* Step 4: applied, and the caller stands in the recorded root namespace. */
static int check_root_ns(struct exec_state *s)
{
	struct ns_ident self;
	int r;

	s->subj = derivative_find(&s->deriv, s->o->profile);
	if (!s->deriv.have_root || !s->subj || !ident_recorded(&s->subj->ns) || !s->subj->netns)
		return fail(s, EXEC_FAIL_RUNTIME, -ENOENT,
			    "profile '%s' has not been applied (is the daemon running?)",
			    s->o->profile);
	r = netns_ident_self(&self);
	if (r < 0)
		return fail(s, EXEC_FAIL_RUNTIME, r, "identify own network namespace: %s",
			    strerror(-r));
	if (!netns_ident_equal(&self, &s->deriv.root))
		return fail(s, EXEC_FAIL_REFUSED, -EPERM,
			    "caller is not in the recorded root network namespace");
	return 0;
}

static int check_run_dir(struct exec_state *s)
{
	_cleanup_close_ int fd = -1;
	char why[128];
	struct stat st;
	int r;

	fd = open(NETNS_RUN_DIR, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		r = neg_errno();
		return fail(s, EXEC_FAIL_RUNTIME, r, "%s: %s", NETNS_RUN_DIR, strerror(-r));
	}
	r = priv_check_stat(&st, true, false, why, sizeof(why));
	if (r < 0)
		return fail(s, EXEC_FAIL_REFUSED, r, "%s is not trusted: %s", NETNS_RUN_DIR, why);
	return 0;
}

/* Step 5: the namespace file, and it must be the very namespace that was applied. */
static int open_subject(struct exec_state *s)
{
	const char *name = s->subj->netns;
	struct ns_ident id;
	int r;

	r = check_run_dir(s);
	if (r < 0)
		return r;
	if (!name_valid(name))
		return fail(s, EXEC_FAIL_RUNTIME, -EINVAL, "state names an invalid namespace");
	s->nsfd = netns_open_named(name);
	if (s->nsfd == -ENOENT)
		return fail(s, EXEC_FAIL_RUNTIME, s->nsfd,
			    "namespace '%s' does not exist (is the daemon running?)", name);
	if (s->nsfd < 0)
		return fail(s, EXEC_FAIL_RUNTIME, s->nsfd, "open namespace '%s': %s", name,
			    strerror(-s->nsfd));
	/* NS_GET_NSTYPE (Linux 4.11) on an nsfs fd: which kind of namespace it is. */
	if (ioctl(s->nsfd, NS_GET_NSTYPE) != CLONE_NEWNET)
		return fail(s, EXEC_FAIL_REFUSED, -EINVAL, "'%s' is not a network namespace", name);
	r = netns_ident_fd(s->nsfd, &id);
	if (r < 0)
		return fail(s, EXEC_FAIL_RUNTIME, r, "identify namespace '%s': %s", name,
			    strerror(-r));
	if (!netns_ident_equal(&id, &s->subj->ns))
		return fail(s, EXEC_FAIL_REFUSED, -ESTALE,
			    "namespace '%s' is not the one netnsp applied", name);
	return 0;
}

/* Steps 8 and 9: after this nothing but the caller's own program runs. */
static int become_caller(struct exec_state *s)
{
	char err[EXEC_ERR_MAX];
	int r;

	r = priv_drop(&s->ids, err, sizeof(err));
	if (r < 0)
		return fail(s, EXEC_FAIL_RUNTIME, r, "drop privileges: %s", err);
	r = priv_close_fds();
	if (r < 0)
		return fail(s, EXEC_FAIL_RUNTIME, r, "close fds: %s", strerror(-r));
	r = priv_reset_signals();
	if (r < 0)
		return fail(s, EXEC_FAIL_RUNTIME, r, "reset signals: %s", strerror(-r));
	return 0;
}

static int enter(struct exec_state *s)
{
	char err[EXEC_ERR_MAX];
	int r;

	if (setns(s->nsfd, CLONE_NEWNET) < 0) {
		r = neg_errno();
		return fail(s, EXEC_FAIL_RUNTIME, r, "setns '%s': %s", s->subj->netns,
			    strerror(-r));
	}
	closep(&s->nsfd);
	s->nsfd = -1;
	/* Fail closed: without the masks the program could resolve through the host. */
	r = exec_setup_mounts(s->subj, err, sizeof(err));
	if (r < 0)
		return fail(s, EXEC_FAIL_RUNTIME, r, "%s", err);
	return become_caller(s);
}

static int prepare(struct exec_state *s)
{
	int r;

	r = priv_ids_save(&s->ids);
	if (r < 0)
		return fail(s, EXEC_FAIL_RUNTIME, r, "read own ids: %s", strerror(-r));
	if (s->ids.euid != 0)
		return fail(s, EXEC_FAIL_REFUSED, -EPERM,
			    "needs root, or netnsp installed setuid root");
	if (getauxval(AT_SECURE)) {
		r = priv_environ_initial(&s->env_buf, &s->envp);
		if (r < 0)
			return fail(s, EXEC_FAIL_RUNTIME, r, "read own environment: %s",
				    strerror(-r));
	}
	s->check = s->o->setuid || s->ids.ruid != 0;
	if (!name_valid(s->o->profile))
		return fail(s, EXEC_FAIL_CONFIG, -EINVAL, "invalid profile name");
	r = load_settings(s);
	if (r < 0)
		return r;
	r = load_derivative(s);
	if (r < 0)
		return r;
	r = pick_users(s);
	if (r < 0)
		return r;
	r = authorize(s);
	if (r < 0)
		return r;
	r = check_root_ns(s);
	if (r < 0)
		return r;
	return open_subject(s);
}

int exec_run(const struct exec_opts *o, struct exec_error *e)
{
	struct exec_state s = {.o = o, .e = e, .nsfd = -1};
	char *const *argv = o->argv;
	int r;

	*e = (struct exec_error){0};
	r = prepare(&s);
	if (r >= 0)
		r = enter(&s);
	/* Settings hold proxy passwords: release them before the caller's program runs. */
	settings_free(&s.settings);
	profile_users_free(s.snap_users);
	derivative_free(&s.deriv);
	priv_ids_free(&s.ids);
	closep(&s.nsfd);
	if (r < 0) {
		free(s.envp);
		free(s.env_buf);
		return r;
	}
	/* Unprivileged now: the caller's whole environment, as it called us. */
	if (s.envp)
		environ = s.envp;
	execvp(argv[0], argv);
	r = neg_errno();
	e->fail = EXEC_FAIL_EXEC;
	e->err = r;
	snprintf(e->msg, sizeof(e->msg), "%s: %s", argv[0], strerror(-r));
	return r;
}
