/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * exec.h - `netnsp exec`: the path that may run setuid root (docs/SECURITY.md).
 *
 * exec.c holds the sequence (theory of operation at its top); priv.c holds
 * the pieces it is made of: the pure checks (profile name, authorization,
 * file trust) that the unit tests exercise, and the privilege mechanics
 * (drop ids and capabilities, no_new_privs, close fds, reset signals).
 * Neither logs: errors come back as a negative errno plus one line of text.
 */
#ifndef NETNSP_EXEC_H
#define NETNSP_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

struct subject_state;

#define EXEC_ERR_MAX 512
#define PRIV_GROUPS_MAX 65536	  /* NGROUPS_MAX of Linux since 2.6.4 */
#define PRIV_FILE_MAX (64u << 20) /* largest config / state file exec reads */

/* Why exec_run() returned; cmd_exec() turns it into an exit status. */
enum exec_fail {
	EXEC_FAIL_RUNTIME = 0, /* a system call failed */
	EXEC_FAIL_REFUSED,     /* the caller or a file is not trusted / not allowed */
	EXEC_FAIL_CONFIG,      /* bad profile name, config error, unknown profile */
	EXEC_FAIL_EXEC,	       /* execvp() itself failed: everything else was done */
};

struct exec_opts {
	const char *profile;	 /* borrowed: PROFILE from the command line */
	char **argv;		 /* borrowed: NULL-terminated command, argv[0] non-NULL */
	const char *config_path; /* borrowed: Settings file */
	const char *state_path;	 /* borrowed: Derivative file */
	bool setuid;		 /* real uid != effective uid: distrust everything */
	/* Called with one line (no prefix) when exec goes on despite a problem. */
	void (*warn)(const char *msg);
};

struct exec_error {
	enum exec_fail fail;
	int err;		/* negative errno */
	char msg[EXEC_ERR_MAX]; /* one line, no "netnsp: exec: " prefix */
};

/* The caller's identity as it was when netnsp started (before any change). */
struct priv_ids {
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;
	gid_t *groups; /* owned: supplementary groups, getgroups() */
	size_t n_groups;
};

/* Who asks to enter: what authorization compares with a profile's `users`. */
struct priv_caller {
	uid_t uid;	     /* real uid */
	const char *name;    /* borrowed: user name of @uid, or NULL if it has none */
	const gid_t *groups; /* borrowed: real gid, supplementary and database groups */
	size_t n_groups;
};

/* Resolves a group name to its gid: 0, or a negative errno (-ENOENT if unknown). */
typedef int (*priv_group_lookup_fn)(const char *name, gid_t *gid);

/**
 * exec_run() - the whole of `netnsp exec` after argument parsing.
 * @o: what to run where.
 * @e: on return, why it failed.
 *
 * On success this never returns: the process has become @o->argv[0].
 *
 * Return: a negative errno, with @e filled.
 */
int exec_run(const struct exec_opts *o, struct exec_error *e);

/**
 * exec_setup_mounts() - the private mount namespace of `netnsp exec` (step 7).
 * @st: the subject being entered (its name and resolver address).
 * @err: one line naming the path on failure.
 * @errlen: size of @err.
 *
 * Call after setns() into the subject and before dropping privileges (it
 * needs CAP_SYS_ADMIN).  Unshares a mount namespace, makes / recursively
 * private, binds the subject's resolv.conf and nsswitch.conf (from
 * etc_netns.h) over /etc's, following a symlinked /etc/resolv.conf to its
 * target, and masks the host's resolver sockets (nscd, systemd-resolved's
 * /run/systemd/resolve/, avahi) where they exist.  The theory is at the top
 * of exec_mounts.c.  On failure the caller must not run anything: the mount
 * namespace may be half set up.
 *
 * Return: 0 or a negative errno with @err set.
 */
int exec_setup_mounts(const struct subject_state *st, char *err, size_t errlen);

/**
 * priv_caller_allowed() - whether @c may enter a profile whose `users` is @users.
 * @users: entries "alice", "1000" (a uid) or "@wheel" / "@10" (a group by name or gid).
 * @n_users: number of entries.
 * @c: the caller.
 * @lookup: group name resolver; NULL means getgrnam_r().
 *
 * Real uid 0 is always allowed.  A user entry matches the caller's name or,
 * when all digits, the uid.  A group entry matches when its gid is among
 * @c->groups.  An unknown group matches nobody.
 *
 * Return: true if allowed.
 */
bool priv_caller_allowed(char *const *users, size_t n_users, const struct priv_caller *c,
			 priv_group_lookup_fn lookup);

/**
 * priv_check_stat() - whether a file is one only root can have written.
 * @st: its stat.
 * @dir: true for a directory on the path, false for the file itself.
 * @sticky_ok: for directories, accept a world-writable one with the sticky bit.
 * @err: the reason on failure.
 * @errlen: size of @err.
 *
 * Return: 0, or -EPERM (owner not root, writable by group/others) or
 * -EINVAL (not a regular file / directory), with @err set.
 */
int priv_check_stat(const struct stat *st, bool dir, bool sticky_ok, char *err, size_t errlen);

/**
 * priv_fs_trusted() - whether a file system type may hold a file exec trusts.
 * @f_type: statfs(2) f_type of the file system.
 *
 * Local disk file systems (ext2/3/4, xfs, btrfs, f2fs, zfs), read-only
 * images (squashfs, erofs), overlay and memory ones (tmpfs, ramfs).  procfs,
 * sysfs, cgroup, debugfs, FUSE, network and every other type are refused:
 * their files' owner and mode do not say who chose the content.
 *
 * Return: true if accepted.
 */
bool priv_fs_trusted(unsigned long f_type);

/**
 * priv_open_trusted() - open @path for reading only if root alone controls it.
 * @path: file name (absolute or relative; symlinks are resolved once first).
 * @check: false to skip the ownership checks (the caller is really root).
 * @err: "PATH: reason" on failure.
 * @errlen: size of @err.
 *
 * With @check, the path is resolved with realpath() and walked from "/"
 * with O_NOFOLLOW, one component at a time: each ancestor directory must be
 * root-owned and not writable by group/others (or sticky, like /tmp), the
 * containing directory strictly so, and the file root-owned, regular, not
 * writable by group/others, on a file system priv_fs_trusted() accepts.  A component that changes
 * into a symlink after realpath() makes the open fail: nothing is trusted by name.
 *
 * Return: an O_RDONLY|O_CLOEXEC fd, or a negative errno with @err set.
 */
int priv_open_trusted(const char *path, bool check, char *err, size_t errlen);

/**
 * priv_ids_save() - record the process's ids and supplementary groups.
 * @ids: filled; release with priv_ids_free().
 *
 * Return: 0 or a negative errno.
 */
int priv_ids_save(struct priv_ids *ids);

/**
 * priv_ids_free() - release what @ids owns; accepts a zeroed struct.
 * @ids: ids.
 */
void priv_ids_free(struct priv_ids *ids);

/**
 * priv_caller_groups() - every group the caller belongs to, for authorization.
 * @ids: saved ids.
 * @name: user name of @ids->ruid, or NULL.
 * @out: receives a malloc'd array: rgid, supplementary groups, getgrouplist(@name).
 * @n: receives its length.
 *
 * Return: 0 or -ENOMEM.
 */
int priv_caller_groups(const struct priv_ids *ids, const char *name, gid_t **out, size_t *n);

/**
 * priv_user_name() - the user name of @uid in the user database (NSS).
 * @uid: the user.
 * @out: receives a malloc'd name, or NULL if the database has none (or
 *       cannot be read).
 *
 * Return: 0 (also when there is no name), or -ENOMEM.
 */
int priv_user_name(uid_t uid, char **out);

/**
 * priv_environ_initial() - the environment this process was started with.
 * @buf: receives the owned text, NUL-separated as the kernel copied it.
 * @envp: receives an owned NULL-terminated array of pointers into @buf.
 *
 * In secure mode (AT_SECURE: a setuid start) glibc removes LD_*, TMPDIR,
 * LOCALDOMAIN and others from environ before main().  /proc/self/environ
 * still reads the strings execve(2) copied, so the caller's program can be
 * given its whole environment back once it runs with the caller's identity.
 *
 * Return: 0 or a negative errno.
 */
int priv_environ_initial(char **buf, char ***envp);

/**
 * priv_drop() - become the caller for good and forbid any later gain of privilege.
 * @ids: the ids saved at start.
 * @err: message on failure.
 * @errlen: size of @err.
 *
 * When the real uid is not 0 (setuid install): empties the capability
 * bounding set, restores the saved supplementary groups, sets all three
 * gids and uids to the real ones, clears inheritable and ambient
 * capabilities, then verifies ids, capabilities and that setuid(0) fails.
 * When the real uid is 0 the identity (and root's capabilities) is kept.
 * Always sets PR_SET_NO_NEW_PRIVS and verifies it.
 *
 * Return: 0 or a negative errno with @err set; on error the caller must not exec.
 */
int priv_drop(const struct priv_ids *ids, char *err, size_t errlen);

/**
 * priv_caps_empty() - whether the effective, permitted, inheritable and ambient sets are empty.
 *
 * Return: 1 if empty, 0 if not, or a negative errno.
 */
int priv_caps_empty(void);

/**
 * priv_close_fds() - close every fd above 2 (close_range(2), or a loop).
 *
 * Return: 0 or a negative errno.
 */
int priv_close_fds(void);

/**
 * priv_reset_signals() - every signal back to SIG_DFL and unblocked.
 *
 * Return: 0 or a negative errno.
 */
int priv_reset_signals(void);

#endif
