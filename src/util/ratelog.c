// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "ratelog.h"
#include "util/monotime.h"

void ratelog_msg(struct ratelog *rl, enum log_level lvl, const char *fmt, ...)
{
	char line[768];
	uint64_t now = mono_now();
	va_list ap;

	if (rl->next && now < rl->next) {
		rl->held++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (rl->held)
		log_msg(lvl, "%s (%llu more suppressed)", line, (unsigned long long)rl->held);
	else
		log_msg(lvl, "%s", line);
	rl->held = 0;
	rl->next = now + RATELOG_PERIOD;
}
