// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"

/* The process-wide verbosity: set once by main() from -v/-q. */
static enum log_level log_level = LOG_LVL_INFO;

/* -1 not checked yet, 0 no, 1 stderr is the journal: lines get "<N>" prefixes. */
static int log_journal = -1;

bool log_stderr_is_journal(void)
{
	unsigned long long dev, ino;
	const char *e = getenv("JOURNAL_STREAM");
	struct stat st;
	char tail;

	/* "DEV:INO" of the stream systemd connected; a redirected stderr no longer matches. */
	if (!e || sscanf(e, "%llu:%llu%c", &dev, &ino, &tail) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_set_level(enum log_level lvl)
{
	log_level = lvl;
}

enum log_level log_get_level(void)
{
	return log_level;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	/* syslog priorities (sd-daemon(3)): err 3, warning 4, info 6, debug 7. */
	static const char *const prio[] = {"<3>", "<4>", "<6>", "<7>"};

	if (lvl > log_level)
		return;
	if (log_journal < 0)
		log_journal = log_stderr_is_journal();
	n = snprintf(line, sizeof(line), "%snetnsp: ", log_journal ? prio[lvl] : "");
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	/* One write per line so concurrent writers never interleave. */
	strcat(line, "\n");
	(void)!fwrite(line, 1, strlen(line), stderr);
}
