/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fileio.h - reading a whole file through an fd that was already checked.
 */
#ifndef NETNSP_FILEIO_H
#define NETNSP_FILEIO_H

#include <stddef.h>

/**
 * fd_read_all() - read all of @fd into a new NUL-terminated buffer.
 * @fd: an open fd (read through it, never reopened by name: no TOCTOU).
 * @max: largest size accepted.
 * @buf: receives the malloc'd text (also NUL-terminated after @len bytes).
 * @len: receives its length.
 *
 * Return: 0, -EFBIG if the file holds more than @max bytes, -ENOMEM, or the
 * negative errno of read(2).
 */
int fd_read_all(int fd, size_t max, char **buf, size_t *len);

/**
 * fd_write_text() - write all of the NUL-terminated @text to @fd.
 * @fd: an open fd.
 * @text: what to write (without its NUL).
 *
 * Retries short writes and EINTR.
 *
 * Return: 0 or the negative errno of write(2).
 */
int fd_write_text(int fd, const char *text);

#endif
