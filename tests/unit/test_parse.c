// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_parse.c - util/parse.c: the one netnsp name grammar (profiles, proxies,
 * namespaces; also the setuid exec path's check of its argument) and the
 * strict decimal parsers.  Needs no privilege.
 */
#include <errno.h>
#include <stdint.h>

#include "util/parse.h"
#include "tap.h"

static void test_names(void)
{
	ok(name_valid("work"), "name: work");
	ok(name_valid("a.b-c_9"), "name: a.b-c_9");
	ok(name_valid("Z9"), "name: upper case");
	ok(name_valid("0123456789abcdef0123456789abcdef"), "name: 32 bytes");
	ok(!name_valid("0123456789abcdef0123456789abcdef0"), "name: 33 bytes");
	ok(!name_valid(""), "name: empty");
	ok(!name_valid(NULL), "name: NULL");
	ok(!name_valid("-x"), "name: leading dash");
	ok(!name_valid("."), "name: .");
	ok(!name_valid(".."), "name: ..");
	/* The namespace check used to accept this one; the config never did. */
	ok(!name_valid(".hidden"), "name: leading dot");
	ok(!name_valid("a/b"), "name: slash");
	ok(!name_valid("../etc"), "name: path");
	ok(!name_valid("a b"), "name: space");
	ok(!name_valid("a\nb"), "name: newline");
	ok(!name_valid("w\xc3\xa9"), "name: non-ASCII");
}

static void test_uint(void)
{
	uint64_t v = 7;

	is_int(parse_uint("0", 10, &v), 0, "uint: 0");
	ok(v == 0, "uint: 0 read");
	is_int(parse_uint("65535", 65535, &v), 0, "uint: the maximum itself");
	ok(v == 65535, "uint: 65535 read");
	is_int(parse_uint("65536", 65535, &v), -ERANGE, "uint: one above the maximum");
	ok(v == 65535, "uint: untouched on error");
	is_int(parse_uint("007", 10, &v), 0, "uint: leading zeros");
	ok(v == 7, "uint: 007 is 7");
	is_int(parse_uint("18446744073709551615", UINT64_MAX, &v), 0, "uint: UINT64_MAX");
	ok(v == UINT64_MAX, "uint: UINT64_MAX read");
	is_int(parse_uint("18446744073709551616", UINT64_MAX, &v), -ERANGE, "uint: 2^64 overflows");
	is_int(parse_uint("99999999999999999999999", UINT64_MAX, &v), -ERANGE, "uint: long");
	is_int(parse_uint("9", 5, &v), -ERANGE, "uint: a digit above a small maximum");
	is_int(parse_uint("4294967295", UINT32_MAX - 1, &v), -ERANGE, "uint: (uid_t)-1 refused");
	is_int(parse_uint("", 10, &v), -EINVAL, "uint: empty");
	is_int(parse_uint(NULL, 10, &v), -EINVAL, "uint: NULL");
	is_int(parse_uint("-1", 10, &v), -EINVAL, "uint: sign");
	is_int(parse_uint("+1", 10, &v), -EINVAL, "uint: plus sign");
	is_int(parse_uint(" 1", 10, &v), -EINVAL, "uint: leading blank");
	is_int(parse_uint("1 ", 10, &v), -EINVAL, "uint: trailing blank");
	is_int(parse_uint("0x1", 10, &v), -EINVAL, "uint: hex prefix");
	is_int(parse_uint("99999999999999999999x", UINT64_MAX, &v), -EINVAL,
	       "uint: a bad byte after an overflow is still -EINVAL");
	is_int(parse_uint_canon("0", 10, &v), 0, "canon: 0");
	is_int(parse_uint_canon("10", 10, &v), 0, "canon: 10");
	ok(v == 10, "canon: 10 read");
	is_int(parse_uint_canon("010", 10, &v), -EINVAL, "canon: leading zero");
	is_int(parse_uint_canon("11", 10, &v), -ERANGE, "canon: above the maximum");
}

int main(void)
{
	test_names();
	test_uint();
	return tap_done();
}
