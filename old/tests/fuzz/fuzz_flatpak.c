/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_flatpak.c - libFuzzer target for the two Flatpak instance files:
 * the same bytes go through flatpak_parse_info() and
 * flatpak_parse_bwrapinfo() (the seed corpus has both kinds).  On success
 * the fields must satisfy what the parsers promise; on failure the output
 * must be untouched.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flatpak/flatpak.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_info(const uint8_t *data, size_t size)
{
	struct flatpak_instance in, before;
	size_t n;

	memset(&in, 0x5a, sizeof(in));
	in.app_id[sizeof(in.app_id) - 1] = '\0';
	in.instance_id[sizeof(in.instance_id) - 1] = '\0';
	before = in;
	if (flatpak_parse_info((const char *)data, size, &in) < 0) {
		if (memcmp(&in, &before, sizeof(in)) != 0)
			abort();
		return;
	}
	n = strnlen(in.app_id, sizeof(in.app_id));
	if (n == 0 || n == sizeof(in.app_id) || !strchr(in.app_id, '.'))
		abort();
	n = strnlen(in.instance_id, sizeof(in.instance_id));
	if (n == 0 || n == sizeof(in.instance_id) || strspn(in.instance_id, "0123456789") != n)
		abort();
	if (in.child_pid != before.child_pid || in.uid != before.uid)
		abort();
}

static void check_bwrapinfo(const uint8_t *data, size_t size)
{
	struct flatpak_instance in, before;

	memset(&in, 0x5a, sizeof(in));
	before = in;
	if (flatpak_parse_bwrapinfo((const char *)data, size, &in) < 0) {
		if (memcmp(&in, &before, sizeof(in)) != 0)
			abort();
		return;
	}
	if (in.child_pid <= 0 || in.net_ns > UINT32_MAX)
		abort();
	if (memcmp(in.app_id, before.app_id, sizeof(in.app_id)) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_info(data, size);
	check_bwrapinfo(data, size);
	return 0;
}
