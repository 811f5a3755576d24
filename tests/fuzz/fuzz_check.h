/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_check.h - FUZZ_CHECK(cond): the fuzz targets' invariant check; a
 * broken invariant traps, which libFuzzer reports as a crash with the input.
 */
#ifndef NETNSP_FUZZ_CHECK_H
#define NETNSP_FUZZ_CHECK_H

#define FUZZ_CHECK(cond)                  \
	do {                              \
		if (!(cond))              \
			__builtin_trap(); \
	} while (0)

#endif
