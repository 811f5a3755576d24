/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * state_file.c - the Derivative on disk: atomic store, bounded load, set aside.
 *
 * The file holds proxy credentials (see derive.c), so it is created 0600 in
 * a directory created 0700.  A store either leaves the old file or the new
 * one, never a mix: write PATH.tmp.PID, fsync it, rename(2) over PATH (atomic
 * within one file system), then fsync the directory so the rename itself is
 * durable (rename is a directory update; see fsync(2) NOTES).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "state/state-internal.h"
#include "util/fileio.h"
#include "util/macro.h"

/* mkdir -p of @dir with mode 0700 for every component we create. */
static int mkdir_parents(const char *dir)
{
	_cleanup_free_ char *p = strdup(dir);

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;

		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return neg_errno();
		*s = c;
		if (!c)
			return 0;
	}
}

/* The directory part of @path ("." if none), malloc'd. */
static char *path_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, slash - path);
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return neg_errno();
		buf += n;
		len -= n;
	}
	return 0;
}

static int fsync_dir(const char *dir)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return neg_errno();
	return fsync(fd) < 0 ? neg_errno() : 0;
}

/* Create @tmp exclusively, 0600, and fill it with @text durably. */
static int write_temp(const char *tmp, const char *text)
{
	_cleanup_close_ int fd =
		open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	int r;

	if (fd < 0)
		return neg_errno();
	r = write_all(fd, text, strlen(text));
	if (r >= 0 && fsync(fd) < 0)
		r = neg_errno();
	if (r >= 0 && close(TAKE_FD(fd)) < 0)
		r = neg_errno();
	return r;
}

/**
 * derivative_store() - write @d to @path atomically, mode 0600.
 * @path: state file; its directory is created 0700 if missing.
 * @d: derivative.
 *
 * On failure the temporary file is removed and @path is left as it was.
 *
 * Return: 0 or a negative errno (-EINVAL for a snapshot that is not JSON or
 * fake-IP pools that are not valid, -EFBIG when the text would be larger
 * than a load accepts: drop mappings and store again).
 */
int derivative_store(const char *path, const struct derivative *d)
{
	_cleanup_free_ char *dir = path_dirname(path), *text = NULL, *tmp = NULL;
	int r;

	if (!dir)
		return -ENOMEM;
	r = derivative_to_json(d, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE, &text);
	if (r < 0)
		return r;
	/* Never write what derivative_load() would refuse as corrupt. */
	if (strlen(text) > STATE_FILE_MAX)
		return -EFBIG;
	if (asprintf(&tmp, "%s.tmp.%ld", path, (long)getpid()) < 0) {
		tmp = NULL;
		return -ENOMEM;
	}
	r = mkdir_parents(dir);
	if (r < 0)
		return r;
	/* Only a crashed process with our pid could have left this name behind. */
	if (unlink(tmp) < 0 && errno != ENOENT)
		return neg_errno();
	r = write_temp(tmp, text);
	if (r >= 0 && rename(tmp, path) < 0)
		r = neg_errno();
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	return fsync_dir(dir);
}

/**
 * derivative_load() - read @path with derivative_load_buffer().
 * @path: state file.
 * @out: filled on success; an empty Derivative (version set, no root,
 *       next_id 1, no subjects) when the file does not exist.
 * @err: message on failure.
 * @errlen: size of @err.
 *
 * A file larger than STATE_FILE_MAX (64 MiB) is refused as corrupt without being parsed.
 *
 * Return: 0 (also for a missing file), -EBADMSG if corrupt, or a negative errno.
 */
int derivative_load(const char *path, struct derivative *out, char *err, size_t errlen)
{
	/* O_NONBLOCK: a FIFO planted at @path must not hang the daemon's start. */
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t len;
	int r;

	if (errlen)
		err[0] = '\0';
	if (fd < 0 && errno == ENOENT) {
		*out = (struct derivative){.version = DERIVATIVE_VERSION, .next_id = 1};
		return 0;
	}
	if (fd < 0) {
		r = neg_errno();
		snprintf(err, errlen, "%s: open: %s", path, strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return -EBADMSG;
	}
	r = fd_read_all(fd, STATE_FILE_MAX, &buf, &len);
	if (r == -EFBIG) {
		snprintf(err, errlen, "%s: larger than %u bytes", path, STATE_FILE_MAX);
		return -EBADMSG;
	}
	if (r < 0) {
		snprintf(err, errlen, "%s: read: %s", path, strerror(-r));
		return r;
	}
	return derivative_load_buffer(buf, len, out, err, errlen);
}

/* Move @path to @to unless @to exists; falls back where renameat2 is missing. */
static int rename_noreplace(const char *path, const char *to)
{
	struct stat st;

	if (renameat2(AT_FDCWD, path, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return neg_errno();
	/* File system without RENAME_NOREPLACE: the directory is ours (0700). */
	if (lstat(to, &st) == 0)
		return -EEXIST;
	return rename(path, to) < 0 ? neg_errno() : 0;
}

/**
 * derivative_set_aside() - rename a corrupt @path to PATH.corrupt-YYYYmmddTHHMMSS.
 * @path: state file.
 * @newpath: receives the new name; "-N" is appended if the name is taken.
 * @len: size of @newpath.
 *
 * Return: 0, -ENAMETOOLONG if @newpath is too small, or a negative errno.
 */
int derivative_set_aside(const char *path, char *newpath, size_t len)
{
	char stamp[32];
	struct tm tm;
	time_t now = time(NULL);

	if (!gmtime_r(&now, &tm) || strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm) == 0)
		return -EINVAL;
	for (unsigned i = 0; i < 1000; i++) {
		int n, r;

		if (i == 0)
			n = snprintf(newpath, len, "%s.corrupt-%s", path, stamp);
		else
			n = snprintf(newpath, len, "%s.corrupt-%s-%u", path, stamp, i);
		if (n < 0 || (size_t)n >= len)
			return -ENAMETOOLONG;
		r = rename_noreplace(path, newpath);
		if (r != -EEXIST)
			return r;
	}
	return -EEXIST;
}
