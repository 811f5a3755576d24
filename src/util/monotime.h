/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * monotime.h - the one reading of CLOCK_MONOTONIC: deadlines, rate limits
 * and timeouts never follow the wall clock (a settime or NTP step must not
 * expire every connection at once).
 */
#ifndef NETNSP_MONOTIME_H
#define NETNSP_MONOTIME_H

#include <stdint.h>

/**
 * mono_usec() - CLOCK_MONOTONIC in microseconds.
 *
 * Return: the time; it cannot fail for CLOCK_MONOTONIC (clock_gettime(2)).
 */
uint64_t mono_usec(void);

/* CLOCK_MONOTONIC in whole seconds: the unit of every deadline and tick. */
static inline uint64_t mono_now(void)
{
	return mono_usec() / 1000000u;
}

/* CLOCK_MONOTONIC in milliseconds. */
static inline uint64_t mono_msec(void)
{
	return mono_usec() / 1000u;
}

#endif
