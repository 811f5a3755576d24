// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_relay.c - the relay's fd budget (relay_limits()) and the
 * rate-limited logger it uses (util/ratelog.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "relay/relay.h"
#include "util/ratelog.h"

#include "tap.h"

static void test_limits(void)
{
	uint64_t share = 0, slots;

	/* 20000 - 256 - 2 * 32 = 19680 fds, 7 a slot: 2811, 1405 a subject. */
	slots = relay_limits(20000, 2, &share);
	is_int(slots, 2811, "20000 fds, 2 subjects: daemon-wide slots");
	is_int(share, 1405, "20000 fds, 2 subjects: per-subject share");
	ok(share * 2 * RELAY_SLOT_FDS + RELAY_FD_RESERVE + 2 * RELAY_FD_RESERVE_SUBJECT <= 20000,
	   "the shares and the reserve fit in the limit");
	slots = relay_limits(1024, 2, &share);
	is_int(slots, 100, "1024 fds, 2 subjects: slots");
	is_int(share, 50, "1024 fds, 2 subjects: share");
	slots = relay_limits(1024, 0, &share);
	is_int(share, slots, "no subjects counts as one");
	slots = relay_limits(100, 3, &share);
	is_int(slots, RELAY_CAP_MIN, "below the reserve: the minimum");
	is_int(share, RELAY_CAP_MIN, "below the reserve: the minimum share");
	slots = relay_limits(1u << 30, 1, &share);
	is_int(slots, RELAY_MAX_CONNS, "a huge limit stops at RELAY_MAX_CONNS");
	is_int(share, RELAY_MAX_CONNS, "one subject gets all of it");
}

/* Lines ratelog_msg() wrote to stderr while @fn ran. */
static int count_lines(const char *path, char *last, size_t len)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		n++;
		snprintf(last, len, "%s", line);
	}
	fclose(f);
	return n;
}

static void test_ratelog(void)
{
	char path[] = "/tmp/test_ratelog.XXXXXX", last[1024] = "";
	struct ratelog a = {0}, b = {0};
	int fd = mkstemp(path), saved = dup(2);

	if (!ok(fd >= 0 && saved >= 0, "temp file"))
		return;
	dup2(fd, 2);
	for (int i = 0; i < 5; i++)
		ratelog_msg(&a, LOG_LVL_WARN, "kind a %d", i);
	ratelog_msg(&b, LOG_LVL_WARN, "kind b");
	fflush(stderr);
	is_int(count_lines(path, last, sizeof(last)), 2, "one line per kind within the period");
	is_int(a.held, 4, "the others are counted");
	/* The period is over: the next line says how many were held back. */
	a.next = 1;
	ratelog_msg(&a, LOG_LVL_WARN, "kind a again");
	fflush(stderr);
	dup2(saved, 2);
	is_int(count_lines(path, last, sizeof(last)), 3, "a line again after the period");
	is_str(last, "netnsp: kind a again (4 more suppressed)\n", "with the count");
	is_int(a.held, 0, "count reset");
	close(fd);
	close(saved);
	unlink(path);
}

int main(void)
{
	test_limits();
	test_ratelog();
	return tap_done();
}
