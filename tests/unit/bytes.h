/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bytes.h - hand-written byte strings for the protocol unit tests: B("text")
 * without its NUL, RAW(0x05, 0x00, ...) from byte values, both as a struct
 * bytes initializer.
 */
#ifndef NETNSP_TEST_BYTES_H
#define NETNSP_TEST_BYTES_H

#include <stddef.h>
#include <stdint.h>

struct bytes {
	const void *p;
	size_t n;
};

#define B(s)                       \
	{                          \
		(s), sizeof(s) - 1 \
	}
#define RAW(...)                                                                       \
	{                                                                              \
		(const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}) \
	}

#endif
