/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * flatpak.c - the instance watcher: inotify on ROOT, ROOT/UID,
 * ROOT/UID/.flatpak and each ROOT/UID/.flatpak/INSTANCE.
 *
 * Theory of operation.  Every watched directory is one entry (kind, uid,
 * instance id, inotify wd, inode).  A directory is always watched *before*
 * it is listed, so nothing created in between is missed; duplicates from
 * the overlap are harmless because every "track" step is idempotent.  An
 * instance entry goes WAITING -> PENDING (both files present, trusted and
 * parsed) -> REPORTED (handed to the caller once); it is forgotten when its
 * directory goes (IN_DELETE / IN_MOVED_FROM in .flatpak, or IN_IGNORED).
 *
 * Files are read through an openat() chain from ROOT with O_NOFOLLOW, and
 * ownership is checked on every component (see flatpak.h "Trust"), so a
 * symlink or a file of another user never decides what is reported.
 *
 * systemd-logind creates ROOT/UID (root-owned) and then mounts a tmpfs on
 * it (owned by UID).  inotify cannot see a mount, and a watch on the
 * directory underneath sees nothing of the tmpfs; so /proc/self/mountinfo
 * (which signals POLLPRI on mount table changes, fs/proc_namespace.c
 * mounts_poll()) is in the same epoll set, and every wakeup re-checks the
 * inode of each ROOT/UID and re-tracks the ones that changed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include "flatpak/flatpak.h"
#include "util/fileio.h"
#include "util/macro.h"
#include "util/parse.h"

#define DOTDIR ".flatpak"
#define EVENT_READS_MAX 64 /* read() calls per process(): keep the caller's loop responsive */

/* Directory events we need; IN_IGNORED/IN_Q_OVERFLOW always come. */
#define MASK_PARENT (IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM)
#define MASK_INSTANCE (IN_CLOSE_WRITE | IN_MOVED_TO)

enum fw_kind { FW_ROOT, FW_UID, FW_DOTDIR, FW_INSTANCE };
enum fw_state { FW_WAITING, FW_PENDING, FW_REPORTED };

struct fw_entry {
	int wd;
	enum fw_kind kind;
	uint32_t uid; /* FW_UID and below */
	dev_t dev;    /* the directory the watch is on */
	ino_t ino;
	enum fw_state state;	      /* FW_INSTANCE */
	struct flatpak_instance inst; /* FW_INSTANCE: instance_id always; all of it once PENDING */
};

struct flatpak_watch {
	int efd;	    /* owned: epoll set handed to the caller */
	int ifd;	    /* owned: inotify, IN_NONBLOCK */
	int mfd;	    /* owned: /proc/self/mountinfo, -1 if unavailable */
	int rootfd;	    /* owned: ROOT, O_DIRECTORY */
	char *root;	    /* owned */
	struct fw_entry *e; /* owned, n used of cap */
	size_t n, cap;
	size_t dropped;
};

/* Decimal uid, no sign, no leading zero, not (uid_t)-1. */
static int uid_parse(const char *s, uint32_t *uid)
{
	uint64_t v;

	if (parse_uint_canon(s, UINT32_MAX - 1, &v) < 0)
		return -EINVAL;
	*uid = (uint32_t)v;
	return 0;
}

static bool instance_name_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len >= FLATPAK_ID_MAX)
		return false;
	return strspn(s, "0123456789") == len;
}

static int fw_path(const struct flatpak_watch *w, enum fw_kind kind, uint32_t uid, const char *id,
		   char *buf, size_t size)
{
	int n;

	if (kind == FW_ROOT)
		n = snprintf(buf, size, "%s", w->root);
	else if (kind == FW_UID)
		n = snprintf(buf, size, "%s/%" PRIu32, w->root, uid);
	else if (kind == FW_DOTDIR)
		n = snprintf(buf, size, "%s/%" PRIu32 "/" DOTDIR, w->root, uid);
	else
		n = snprintf(buf, size, "%s/%" PRIu32 "/" DOTDIR "/%s", w->root, uid, id);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static ssize_t fw_find_wd(const struct flatpak_watch *w, int wd)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->e[i].wd == wd)
			return (ssize_t)i;
	return -1;
}

static ssize_t fw_find(const struct flatpak_watch *w, enum fw_kind kind, uint32_t uid,
		       const char *id)
{
	for (size_t i = 0; i < w->n; i++) {
		const struct fw_entry *e = &w->e[i];

		if (e->kind != kind || (kind != FW_ROOT && e->uid != uid))
			continue;
		if (kind == FW_INSTANCE && strcmp(e->inst.instance_id, id) != 0)
			continue;
		return (ssize_t)i;
	}
	return -1;
}

static void fw_remove(struct flatpak_watch *w, size_t i, bool rm_watch)
{
	if (rm_watch)
		inotify_rm_watch(w->ifd, w->e[i].wd); /* its IN_IGNORED then finds no entry */
	w->e[i] = w->e[--w->n];
}

/* Forget uid's entries of kind @from and below (a directory went away). */
static void fw_untrack(struct flatpak_watch *w, uint32_t uid, enum fw_kind from, const char *id)
{
	for (size_t i = w->n; i-- > 0;) {
		const struct fw_entry *e = &w->e[i];

		if (e->kind == FW_ROOT || e->uid != uid || e->kind < from)
			continue;
		if (id && (e->kind != FW_INSTANCE || strcmp(e->inst.instance_id, id) != 0))
			continue;
		fw_remove(w, i, true);
	}
}

static int fw_grow(struct flatpak_watch *w)
{
	struct fw_entry *grown;
	size_t cap;

	if (w->n < w->cap)
		return 0;
	if (w->n >= FLATPAK_WATCH_MAX)
		return -ENOSPC;
	cap = w->cap ? w->cap * 2 : 16;
	if (cap > FLATPAK_WATCH_MAX)
		cap = FLATPAK_WATCH_MAX;
	grown = realloc(w->e, cap * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	w->e = grown;
	w->cap = cap;
	return 0;
}

/* Watch one directory; on success its entry is the last one. */
static int fw_add(struct flatpak_watch *w, enum fw_kind kind, uint32_t uid, const char *id,
		  const struct stat *st)
{
	uint32_t mask = kind == FW_INSTANCE ? MASK_INSTANCE : MASK_PARENT;
	char path[PATH_MAX];
	struct fw_entry *e;
	int r, wd;

	r = fw_path(w, kind, uid, id, path, sizeof(path));
	if (r == 0)
		r = fw_grow(w);
	if (r < 0) {
		w->dropped++;
		return r;
	}
	/* IN_MASK_CREATE (Linux 4.18): an inode already watched under another
	 * path (bind mount) fails with EEXIST instead of getting its mask replaced. */
	wd = inotify_add_watch(w->ifd, path, mask | IN_ONLYDIR | IN_DONT_FOLLOW | IN_MASK_CREATE);
	if (wd < 0) {
		r = neg_errno();
		if (r != -ENOENT && r != -EEXIST) /* gone already / watched: nothing dropped */
			w->dropped++;
		return r;
	}
	if (fw_find_wd(w, wd) >= 0)
		return -EEXIST;
	e = &w->e[w->n++];
	*e = (struct fw_entry){.wd = wd,
			       .kind = kind,
			       .uid = uid,
			       .dev = st->st_dev,
			       .ino = st->st_ino,
			       .state = FW_WAITING};
	if (id)
		snprintf(e->inst.instance_id, sizeof(e->inst.instance_id), "%s", id);
	return 0;
}

/* Owned by @uid, not writable by others; by the group only if @gw_ok. */
static int owner_check(const struct stat *st, uint32_t uid, bool gw_ok)
{
	if (st->st_uid != uid)
		return -EPERM;
	if ((st->st_mode & S_IWOTH) || (!gw_ok && (st->st_mode & S_IWGRP)))
		return -EPERM;
	return 0;
}

static int open_dir_checked(int dirfd, const char *name, uint32_t uid, bool gw_ok, int *out)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	if (fstat(fd, &st) < 0)
		return neg_errno();
	r = owner_check(&st, uid, gw_ok);
	if (r < 0)
		return r;
	*out = TAKE_FD(fd);
	return 0;
}

/* Read a whole regular file of @uid, at most FLATPAK_FILE_MAX bytes, into a new @buf. */
static int read_file_checked(int dirfd, const char *name, uint32_t uid, bool gw_ok, char **buf,
			     size_t *len)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	/* O_NONBLOCK: a FIFO planted under the name must not block the loop. */
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	if (fstat(fd, &st) < 0)
		return neg_errno();
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	r = owner_check(&st, uid, gw_ok);
	if (r < 0)
		return r;
	if (st.st_size > FLATPAK_FILE_MAX)
		return -EFBIG;
	return fd_read_all(fd, FLATPAK_FILE_MAX, buf, len); /* -EFBIG if it grew after fstat */
}

/* Open ROOT/UID/.flatpak/ID checking each component; @gw_ok for what is below UID. */
static int instance_open(const struct flatpak_watch *w, uint32_t uid, const char *id, int *out,
			 bool *gw_ok)
{
	_cleanup_close_ int ufd = -1, dfd = -1;
	char name[16];
	struct stat st;
	int r;

	snprintf(name, sizeof(name), "%" PRIu32, uid);
	r = open_dir_checked(w->rootfd, name, uid, false, &ufd);
	if (r < 0)
		return r;
	if (fstat(ufd, &st) < 0)
		return neg_errno();
	/* The group cannot reach anything below a ROOT/UID it may not search. */
	*gw_ok = !(st.st_mode & S_IXGRP);
	r = open_dir_checked(ufd, DOTDIR, uid, *gw_ok, &dfd);
	if (r < 0)
		return r;
	return open_dir_checked(dfd, id, uid, *gw_ok, out);
}

/* 0: complete; -ENOENT / -EINVAL: not (yet); other: refused or I/O error. */
static int instance_load(const struct flatpak_watch *w, uint32_t uid, const char *id,
			 struct flatpak_instance *in)
{
	_cleanup_free_ char *bwrapinfo = NULL, *info = NULL;
	_cleanup_close_ int fd = -1;
	bool gw_ok;
	size_t len;
	int r;

	r = instance_open(w, uid, id, &fd, &gw_ok);
	if (r < 0)
		return r;
	*in = (struct flatpak_instance){.uid = uid};
	r = read_file_checked(fd, "bwrapinfo.json", uid, gw_ok, &bwrapinfo, &len);
	if (r == 0)
		r = flatpak_parse_bwrapinfo(bwrapinfo, len, in);
	if (r == 0)
		r = read_file_checked(fd, "info", uid, gw_ok, &info, &len);
	if (r == 0)
		r = flatpak_parse_info(info, len, in);
	if (r == 0 && strcmp(in->instance_id, id) != 0)
		r = -EINVAL; /* info copied from another instance */
	return r;
}

static void instance_try(struct flatpak_watch *w, size_t i)
{
	struct fw_entry *e = &w->e[i];
	struct flatpak_instance in;

	if (e->state != FW_WAITING)
		return;
	if (instance_load(w, e->uid, e->inst.instance_id, &in) == 0) {
		e->inst = in;
		e->state = FW_PENDING;
	}
}

static void track_instance(struct flatpak_watch *w, uint32_t uid, const char *id)
{
	char path[PATH_MAX];
	struct stat st;
	ssize_t i;

	if (!instance_name_valid(id))
		return;
	i = fw_find(w, FW_INSTANCE, uid, id);
	if (i < 0) {
		if (fw_path(w, FW_INSTANCE, uid, id, path, sizeof(path)) < 0 ||
		    lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
			return;
		if (fw_add(w, FW_INSTANCE, uid, id, &st) < 0)
			return;
		i = (ssize_t)w->n - 1;
	}
	instance_try(w, (size_t)i); /* files may predate the watch */
}

static void track_dotdir(struct flatpak_watch *w, uint32_t uid)
{
	_cleanup_close_ int fd = -1;
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (fw_find(w, FW_DOTDIR, uid, NULL) < 0) {
		if (fw_path(w, FW_DOTDIR, uid, NULL, path, sizeof(path)) < 0 ||
		    lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
			return;
		if (fw_add(w, FW_DOTDIR, uid, NULL, &st) < 0)
			return;
	}
	if (fw_path(w, FW_DOTDIR, uid, NULL, path, sizeof(path)) < 0)
		return;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d)
		return;
	fd = -1; /* owned by d now */
	while ((de = readdir(d)))
		track_instance(w, uid, de->d_name);
	closedir(d);
}

/*
 * ROOT/NAME: watch it if it is a UID directory we trust; re-track it if the
 * directory there is no longer the one watched (a tmpfs was mounted on it).
 * @full: also look inside when nothing changed (scan, overflow).
 */
static void track_uid(struct flatpak_watch *w, const char *name, bool full)
{
	struct stat st;
	uint32_t uid;
	ssize_t i;

	if (uid_parse(name, &uid) < 0)
		return;
	i = fw_find(w, FW_UID, uid, NULL);
	if (fstatat(w->rootfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode) ||
	    owner_check(&st, uid, false) < 0) {
		if (i >= 0)
			fw_untrack(w, uid, FW_UID, NULL);
		return;
	}
	if (i >= 0 && (w->e[i].dev != st.st_dev || w->e[i].ino != st.st_ino)) {
		fw_untrack(w, uid, FW_UID, NULL);
		i = -1;
	}
	if (i < 0) {
		if (fw_add(w, FW_UID, uid, NULL, &st) < 0)
			return;
		full = true;
	}
	if (full)
		track_dotdir(w, uid);
}

static int track_root(struct flatpak_watch *w, bool full)
{
	struct dirent *de;
	int fd;
	DIR *d;

	fd = openat(w->rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	d = fdopendir(fd);
	if (!d) {
		int r = neg_errno();

		close(fd);
		return r;
	}
	while ((de = readdir(d)))
		track_uid(w, de->d_name, full);
	closedir(d);
	return 0;
}

static void collect(struct flatpak_watch *w, struct flatpak_instance *out, size_t max, size_t *n)
{
	for (size_t i = 0; i < w->n && *n < max; i++) {
		if (w->e[i].kind != FW_INSTANCE || w->e[i].state != FW_PENDING)
			continue;
		out[(*n)++] = w->e[i].inst;
		w->e[i].state = FW_REPORTED;
	}
}

/* A name appeared in or left the directory of entry @i. */
static void handle_event(struct flatpak_watch *w, size_t i, const struct inotify_event *ev)
{
	bool gone = ev->mask & (IN_DELETE | IN_MOVED_FROM);
	struct fw_entry e = w->e[i];
	uint32_t uid;

	if (!ev->len || !ev->name[0])
		return;
	switch (e.kind) {
	case FW_ROOT:
		if (gone && uid_parse(ev->name, &uid) == 0)
			fw_untrack(w, uid, FW_UID, NULL);
		else if (!gone)
			track_uid(w, ev->name, true);
		break;
	case FW_UID:
		if (strcmp(ev->name, DOTDIR) != 0)
			break;
		if (gone)
			fw_untrack(w, e.uid, FW_DOTDIR, NULL);
		else
			track_dotdir(w, e.uid);
		break;
	case FW_DOTDIR:
		if (gone)
			fw_untrack(w, e.uid, FW_INSTANCE, ev->name);
		else
			track_instance(w, e.uid, ev->name);
		break;
	case FW_INSTANCE:
		if (strcmp(ev->name, "info") == 0 || strcmp(ev->name, "bwrapinfo.json") == 0)
			instance_try(w, i);
		break;
	}
}

/* Returns 1 if events were lost (queue overflow), 0, or a negative errno. */
static int drain_inotify(struct flatpak_watch *w)
{
	char buf[16 * (sizeof(struct inotify_event) + NAME_MAX + 1)]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	int overflow = 0;

	for (int reads = 0; reads < EVENT_READS_MAX; reads++) {
		ssize_t k = read(w->ifd, buf, sizeof(buf));

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EAGAIN)
			break;
		if (k < 0)
			return neg_errno();
		for (char *p = buf; p < buf + k;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			ssize_t i = fw_find_wd(w, ev->wd);

			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW)
				overflow = 1;
			else if (i >= 0 && (ev->mask & IN_IGNORED))
				fw_remove(w, (size_t)i, false);
			else if (i >= 0)
				handle_event(w, (size_t)i, ev);
		}
	}
	return overflow;
}

int flatpak_watch_scan(struct flatpak_watch *w, struct flatpak_instance *out, size_t max, size_t *n)
{
	int r;

	*n = 0;
	r = track_root(w, true);
	if (r < 0)
		return r;
	collect(w, out, max, n);
	return 0;
}

int flatpak_watch_process(struct flatpak_watch *w, struct flatpak_instance *out, size_t max,
			  size_t *n)
{
	struct epoll_event evs[2];
	int r;

	*n = 0;
	/* Clears the inner ready list; mountinfo's POLLPRI was already consumed
	 * when the caller's epoll saw us readable, so re-check ROOT every time. */
	while (epoll_wait(w->efd, evs, ARRAY_SIZE(evs), 0) < 0 && errno == EINTR)
		;
	r = drain_inotify(w);
	if (r < 0)
		return r;
	r = track_root(w, r == 1);
	if (r < 0)
		return r;
	collect(w, out, max, n);
	return 0;
}

static int watch_setup(struct flatpak_watch *w)
{
	struct epoll_event ev = {.events = EPOLLIN};
	struct stat st;

	w->rootfd = open(w->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->rootfd < 0 || fstat(w->rootfd, &st) < 0)
		return neg_errno();
	w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	w->efd = epoll_create1(EPOLL_CLOEXEC);
	if (w->ifd < 0 || w->efd < 0)
		return neg_errno();
	if (epoll_ctl(w->efd, EPOLL_CTL_ADD, w->ifd, &ev) < 0)
		return neg_errno();
	/* Mount table changes: POLLPRI only, since mountinfo is always POLLIN. */
	w->mfd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	ev.events = EPOLLPRI;
	if (w->mfd >= 0 && epoll_ctl(w->efd, EPOLL_CTL_ADD, w->mfd, &ev) < 0)
		return neg_errno();
	return fw_add(w, FW_ROOT, 0, NULL, &st);
}

int flatpak_watch_open(const char *root, struct flatpak_watch **out)
{
	struct flatpak_watch *w;
	int r;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->efd = w->ifd = w->mfd = w->rootfd = -1;
	w->root = strdup(root);
	r = w->root ? watch_setup(w) : -ENOMEM;
	if (r < 0) {
		flatpak_watch_free(w);
		return r;
	}
	*out = w;
	return 0;
}

void flatpak_watch_free(struct flatpak_watch *w)
{
	if (!w)
		return;
	closep(&w->efd);
	closep(&w->ifd);
	closep(&w->mfd);
	closep(&w->rootfd);
	free(w->root);
	free(w->e);
	free(w);
}

int flatpak_watch_fd(const struct flatpak_watch *w)
{
	return w->efd;
}

size_t flatpak_watch_dropped(const struct flatpak_watch *w)
{
	return w->dropped;
}

size_t flatpak_watch_count(const struct flatpak_watch *w)
{
	return w->n;
}
