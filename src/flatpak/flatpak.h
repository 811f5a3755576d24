/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * flatpak.h - watch Flatpak's per-user instance directories and report each
 * new sandbox, so the daemon can attach its network namespace (README.md
 * "Config", `[flatpak]`; a Pid subject, docs/GUARANTEES.md 11).
 *
 * Flatpak (>= 1.2) keeps one directory per running sandbox:
 *
 *   ROOT/UID/.flatpak/INSTANCE/info            GKeyFile: [Application] name=,
 *                                              [Instance] instance-id=,
 *                                              [Context] shared=network;ipc;
 *   ROOT/UID/.flatpak/INSTANCE/bwrapinfo.json  bubblewrap's --info-fd output:
 *                                              {"child-pid": N, "net-namespace": INO, ...}
 *
 * ROOT is normally /run/user (tests pass a temp dir).  INSTANCE is a decimal
 * number (flatpak_instance_allocate_id() prints a random 32-bit value).
 * info is written atomically (g_file_set_contents: temp file + rename, so
 * IN_MOVED_TO); bwrapinfo.json is written by bwrap into a file flatpak
 * created after the directory, so it appears later (IN_CLOSE_WRITE).
 *
 * Trust: everything under ROOT/UID belongs to UID.  An instance is only
 * reported if ROOT/UID is owned by UID and not writable by group or others,
 * and every component below it (.flatpak, INSTANCE, both files) is owned by
 * UID, reached without following symlinks, not writable by others, and
 * writable by the group only where ROOT/UID is closed to the group.  Even
 * then child-pid is just a number the user wrote: before attaching, the
 * caller must use flatpak_pid_open_netns() (or flatpak_pid_check()), which
 * checks that /proc/PID belongs to UID and that its network namespace is not
 * the caller's own (the host's).  That is a first filter only: the daemon
 * checks the process's uid again on its pidfd and requires the namespace to
 * be UID's own (src/daemon/pidsub.c, docs/SECURITY.md "Pid subjects").
 *
 * The watcher never logs and never touches a namespace; it only reads files.
 */
#ifndef NETNSP_FLATPAK_H
#define NETNSP_FLATPAK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FLATPAK_ROOT_DEFAULT "/run/user"
#define FLATPAK_WATCH_MAX 4096	     /* watched directories (all kinds) per watcher */
#define FLATPAK_FILE_MAX (64 * 1024) /* largest info / bwrapinfo.json accepted */
#define FLATPAK_ID_MAX 64	     /* instance id buffer, NUL included */
#define FLATPAK_APP_MAX 256	     /* app id buffer: flatpak allows 255 characters */
#define FLATPAK_ERR_MAX 256	     /* flatpak_explain_refusal() buffer */

struct flatpak_instance {
	char instance_id[FLATPAK_ID_MAX]; /* directory name, equal to [Instance] instance-id */
	char app_id[FLATPAK_APP_MAX];	  /* [Application] name, a valid Flatpak app id */
	int32_t child_pid;		  /* bwrapinfo.json "child-pid", > 0 */
	uint32_t uid;			  /* owner: the UID of ROOT/UID */
	bool network_shared;		  /* [Context] shared lists "network": host netns */
	uint64_t net_ns;		  /* bwrapinfo.json "net-namespace" inode, 0 if absent */
};

struct flatpak_watch;

/**
 * flatpak_parse_info() - parse a Flatpak instance "info" key file.
 * @buf: file contents, not necessarily NUL-terminated.
 * @len: length of @buf, at most FLATPAK_FILE_MAX.
 * @out: app_id, instance_id and network_shared are set; other fields untouched.
 *
 * GKeyFile syntax: "[Group]" lines, "key=value" lines, "#" comments, blank
 * lines; whitespace around '=' is ignored; localized keys ("name[de]") are
 * skipped.  [Application] name is required and must be a valid app id
 * (flatpak_is_valid_name(): 3+ dot-separated elements of [A-Za-z0-9_-], not
 * starting with a digit, at most 255 characters).  [Instance] instance-id is
 * required (decimal).  [Context] shared is a ';'-separated list; any element
 * "network" makes network_shared true.  A key we rely on that appears twice
 * is an error, not "last one wins".
 *
 * Return: 0, -EINVAL (malformed, missing or invalid key), -EFBIG (too long).
 */
int flatpak_parse_info(const char *buf, size_t len, struct flatpak_instance *out);

/**
 * flatpak_parse_bwrapinfo() - parse bubblewrap's --info-fd JSON.
 * @buf: file contents, not necessarily NUL-terminated.
 * @len: length of @buf, at most FLATPAK_FILE_MAX.
 * @out: child_pid and net_ns are set; other fields untouched.
 *
 * Strict JSON (json-c, JSON_TOKENER_STRICT, depth 4, no trailing garbage):
 * a top-level object with integer "child-pid" in 1..INT32_MAX; every
 * "*-namespace" member, if present, an integer in 1..UINT32_MAX (nsfs
 * inode numbers are 32-bit).  Other members are ignored.
 *
 * Return: 0, -EINVAL (malformed, incomplete, wrong type), -ERANGE (integer
 * out of range), -EFBIG (too long), -ENOMEM.
 */
int flatpak_parse_bwrapinfo(const char *buf, size_t len, struct flatpak_instance *out);

/**
 * flatpak_watch_open() - start watching ROOT for Flatpak instances.
 * @root: normally FLATPAK_ROOT_DEFAULT; must be an existing directory.
 * @out: the new watcher, freed with flatpak_watch_free().
 *
 * Only the watches are set up; call flatpak_watch_scan() once afterwards to
 * pick up what already exists.
 *
 * Return: 0 or a negative errno (from open, inotify_init1, inotify_add_watch).
 */
int flatpak_watch_open(const char *root, struct flatpak_watch **out);

/**
 * flatpak_watch_free() - stop watching and free @w.
 * @w: a watcher or NULL.
 */
void flatpak_watch_free(struct flatpak_watch *w);

/**
 * flatpak_watch_fd() - the fd to add to the caller's epoll set (EPOLLIN).
 * @w: the watcher.
 *
 * It is an epoll fd of its own holding the inotify fd and
 * /proc/self/mountinfo (logind mounts a tmpfs over ROOT/UID after creating
 * the directory, which inotify on ROOT cannot see), so it becomes readable
 * when either has news.  Level-triggered: call flatpak_watch_process() until
 * it reports fewer than @max instances.
 *
 * Return: the fd, owned by @w.
 */
int flatpak_watch_fd(const struct flatpak_watch *w);

/**
 * flatpak_watch_scan() - look at everything under ROOT now.
 * @w: the watcher.
 * @out: array that receives the instances that became complete.
 * @max: capacity of @out.
 * @n: number stored in @out.
 *
 * Adds watches for every UID directory, .flatpak directory and instance
 * directory present, and reports each complete instance not reported yet.
 * Safe to call again at any time (it is how a queue overflow recovers).
 * If *n == @max, more may be waiting: call flatpak_watch_process() again.
 *
 * Return: 0 or a negative errno; directories that cannot be watched are
 * skipped and counted by flatpak_watch_dropped().
 */
int flatpak_watch_scan(struct flatpak_watch *w, struct flatpak_instance *out, size_t max,
		       size_t *n);

/**
 * flatpak_watch_process() - handle pending events, report new instances.
 * @w: the watcher.
 * @out: array that receives the instances that became complete.
 * @max: capacity of @out.
 * @n: number stored in @out.
 *
 * Drains (a bounded number of) inotify events: new UID / .flatpak /
 * instance directories get watches, instance directories whose "info" and
 * "bwrapinfo.json" are both present, trusted and parsed are reported, each
 * exactly once while its directory exists.  A removed instance directory is
 * forgotten, so a new one with the same name is reported again.  Never
 * blocks.  If *n == @max, more may be waiting: call again.
 *
 * Return: 0 or a negative errno from read(2).
 */
int flatpak_watch_process(struct flatpak_watch *w, struct flatpak_instance *out, size_t max,
			  size_t *n);

/**
 * flatpak_watch_dropped() - directories not watched because of limits.
 * @w: the watcher.
 *
 * Counts directories refused because FLATPAK_WATCH_MAX was reached or
 * inotify_add_watch() failed (e.g. fs.inotify.max_user_watches).  The
 * caller may log when it grows.
 *
 * Return: the count since flatpak_watch_open().
 */
size_t flatpak_watch_dropped(const struct flatpak_watch *w);

/**
 * flatpak_watch_count() - directories currently watched.
 * @w: the watcher.
 *
 * Return: the number of inotify watches held, ROOT included.
 */
size_t flatpak_watch_count(const struct flatpak_watch *w);

/**
 * flatpak_pid_open_netns() - open the network namespace of an instance.
 * @in: a reported instance.
 * @nsfd: receives an O_RDONLY|O_CLOEXEC fd on /proc/PID/ns/net.
 *
 * Opens /proc/PID once and checks everything through that directory fd, so
 * a reused pid cannot slip in between check and open: /proc/PID must be
 * owned by in->uid (the kernel shows a process's euid there, root if it is
 * not dumpable); its ns/net must not be the caller's own network namespace
 * (/proc/self/ns/net: the host's, for the daemon) and, if bwrapinfo.json
 * named one, must be that inode.
 *
 * Return: 0, -ESRCH (no such process), -EPERM (owner is not in->uid),
 * -EEXIST (it shares the host's network namespace: network_shared, or the
 * sandbox has --share=network), -ESTALE (not the namespace bwrap reported:
 * the pid was reused), -EINVAL (child_pid <= 0), or another negative errno.
 */
int flatpak_pid_open_netns(const struct flatpak_instance *in, int *nsfd);

/**
 * flatpak_pid_check() - flatpak_pid_open_netns() without keeping the fd.
 * @in: a reported instance.
 *
 * Return: as flatpak_pid_open_netns().
 */
int flatpak_pid_check(const struct flatpak_instance *in);

/**
 * flatpak_explain_refusal() - one-line reason an instance cannot be attached.
 * @in: the instance.
 * @err: negative errno from flatpak_pid_open_netns(), or 0 to explain
 *       in->network_shared.
 * @buf: output, NUL-terminated.
 * @size: size of @buf (FLATPAK_ERR_MAX is enough).
 *
 * For a shared network it names the fix: "flatpak override --user
 * --unshare=network APP-ID".
 *
 * Return: length written (truncated to @size - 1), or -EINVAL.
 */
int flatpak_explain_refusal(const struct flatpak_instance *in, int err, char *buf, size_t size);

#endif
