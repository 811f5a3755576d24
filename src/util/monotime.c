// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * monotime.c - CLOCK_MONOTONIC (monotime.h).
 */
#include <time.h>

#include "util/monotime.h"

uint64_t mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
