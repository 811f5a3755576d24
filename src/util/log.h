/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * log.h - the one place that writes diagnostics.
 *
 * Only cli/ and daemon/ (and relay/ for per-connection debug) log; library
 * modules return a negative errno and an error text to their caller, which
 * logs once with context.  Every line starts with "netnsp: ".  When stderr
 * is systemd's journal stream, each line starts with its syslog priority
 * ("<3>netnsp: ...") so `journalctl -p err` finds the errors.
 */
#ifndef NETNSP_LOG_H
#define NETNSP_LOG_H

#include <stdbool.h>

#include "macro.h"

enum log_level { LOG_LVL_ERR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/**
 * log_set_level() - set the most verbose level that is printed.
 * @lvl: LOG_LVL_ERR (with -q) .. LOG_LVL_DEBUG (with -v).
 */
void log_set_level(enum log_level lvl);

/**
 * log_get_level() - the level set by log_set_level().
 *
 * Return: the current level.
 */
enum log_level log_get_level(void);

/**
 * log_stderr_is_journal() - whether stderr is the stream systemd connected
 * to the journal: $JOURNAL_STREAM ("DEV:INO") equals stderr's device and inode.
 *
 * Return: true if so.
 */
bool log_stderr_is_journal(void);

/**
 * log_msg() - print one line "netnsp: MESSAGE" to stderr if @lvl is enabled.
 * @lvl: severity.
 * @fmt: printf format, without a trailing newline.
 */
void log_msg(enum log_level lvl, const char *fmt, ...) _printf_(2, 3);

#define log_err(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)                                       \
	do {                                                 \
		if (log_get_level() >= LOG_LVL_DEBUG)        \
			log_msg(LOG_LVL_DEBUG, __VA_ARGS__); \
	} while (0)

#endif
