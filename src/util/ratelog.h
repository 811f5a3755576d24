/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ratelog.h - log lines that something outside the daemon can repeat at
 * will (a subject killing its listeners, flooding connections): at most one
 * line per RATELOG_PERIOD per struct ratelog; the lines held back are
 * counted and the next line says how many ("(N more suppressed)").
 *
 * The caller keeps one struct ratelog per source and kind of event (per
 * subject: listener died, out of file descriptors, at its cap ...), so one
 * subject's noise never hides another's.
 */
#ifndef NETNSP_RATELOG_H
#define NETNSP_RATELOG_H

#include <stdint.h>

#include "log.h"

#define RATELOG_PERIOD 60 /* seconds */

struct ratelog {
	uint64_t next; /* CLOCK_MONOTONIC seconds: no line before then (0: none yet) */
	uint64_t held; /* events since the last line */
};

/**
 * ratelog_msg() - log one line unless one was logged within RATELOG_PERIOD.
 * @rl: the event kind's state (zeroed to start).
 * @lvl: severity.
 * @fmt: printf format, without a trailing newline.
 *
 * A line that is held back only increments the count; the next line that
 * goes out ends with "(N more suppressed)".
 */
void ratelog_msg(struct ratelog *rl, enum log_level lvl, const char *fmt, ...) _printf_(3, 4);

#endif
