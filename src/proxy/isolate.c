// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * isolate.c - derived SOCKS5 credentials and the secret they are keyed with
 * (see isolate.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "proxy/isolate.h"
#include "util/macro.h"
#include "util/siphash.h"

void isolate_user(const struct isolate_key *key, const char *scope, uint32_t id, const char *value,
		  char out[ISOLATE_USER_LEN + 1])
{
	/* scope NUL id NUL value: the NULs keep ("a", "bc") apart from ("ab", "c"). */
	char msg[512];
	int n = snprintf(msg, sizeof(msg), "%s%c%u%c%s", scope, 0, id, 0, value ? value : "");
	size_t len = n < 0 ? 0 : (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1;
	uint64_t h0 = siphash24(key->k, msg, len),
		 h1 = siphash24(key->k + SIPHASH_KEY_LEN, msg, len);

	snprintf(out, ISOLATE_USER_LEN + 1, "%016llx%016llx", (unsigned long long)h0,
		 (unsigned long long)h1);
}

static int isolate_key_read(int fd, struct isolate_key *key)
{
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st) < 0)
		return neg_errno();
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 0077))
		return -EPERM;
	if (st.st_size != ISOLATE_KEY_LEN)
		return -EBADMSG;
	n = pread(fd, key->k, sizeof(key->k), 0);
	if (n < 0)
		return neg_errno();
	return n == ISOLATE_KEY_LEN ? 0 : -EBADMSG;
}

static int isolate_key_create(const char *path, struct isolate_key *key)
{
	char tmp[PATH_MAX + 16];
	_cleanup_close_ int fd = -1;
	int r = 0;

	if (getrandom(key->k, sizeof(key->k), 0) != (ssize_t)sizeof(key->k))
		return errno ? neg_errno() : -EIO;
	snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return neg_errno();
	if (write(fd, key->k, sizeof(key->k)) != (ssize_t)sizeof(key->k) || fsync(fd) < 0 ||
	    rename(tmp, path) < 0)
		r = errno ? neg_errno() : -EIO;
	if (r < 0)
		unlink(tmp);
	return r;
}

int isolate_key_load(const char *dir, struct isolate_key *key)
{
	char path[PATH_MAX];
	_cleanup_close_ int fd = -1;

	if (snprintf(path, sizeof(path), "%s/%s", dir, ISOLATE_KEY_FILE) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT)
		return isolate_key_create(path, key);
	if (fd < 0)
		return neg_errno();
	return isolate_key_read(fd, key);
}
