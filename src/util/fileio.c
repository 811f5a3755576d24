// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"

int fd_read_all(int fd, size_t max, char **buf, size_t *len)
{
	_cleanup_free_ char *b = NULL;
	size_t size = 0, used = 0;

	for (;;) {
		ssize_t n;

		if (used + 1 >= size) {
			size_t nsize = size ? size * 2 : 4096;
			char *nb;

			if (size > max + 1)
				return -EFBIG;
			nb = realloc(b, nsize);
			if (!nb)
				return -ENOMEM;
			b = nb;
			size = nsize;
		}
		n = read(fd, b + used, size - used - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return neg_errno();
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > max)
			return -EFBIG;
	}
	b[used] = '\0';
	*len = used;
	*buf = TAKE_PTR(b);
	return 0;
}

int fd_write_text(int fd, const char *text)
{
	size_t len = strlen(text), off = 0;

	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return neg_errno();
		off += (size_t)n;
	}
	return 0;
}
