/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * parse.h - the two grammars every module shares: a netnsp name (profile,
 * proxy, network namespace) and a strict unsigned decimal.  Each exists only
 * here, so the config, the setuid exec path and the namespace code cannot
 * disagree about what they accept.
 */
#ifndef NETNSP_PARSE_H
#define NETNSP_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#define NAME_LEN_MAX 32 /* a netnsp name's longest length, in bytes */

/**
 * name_valid() - whether @s is a netnsp name: a profile, a proxy or a
 * network namespace under /run/netns.
 * @s: candidate, or NULL.
 *
 * 1..NAME_LEN_MAX bytes of ASCII [A-Za-z0-9_.-], not starting with '-'
 * (it would read as an option) or '.' (which also rules out "." and "..",
 * and hidden files under /run/netns and /etc/netns).  Bytes are compared as
 * ASCII whatever the locale: this runs on the setuid path.
 *
 * Return: true if so.
 */
bool name_valid(const char *s);

/**
 * parse_uint() - a strict unsigned decimal.
 * @s: the text: digits only (no sign, blank, base prefix or trailing byte);
 *     leading zeros are allowed.
 * @max: the largest value accepted.
 * @out: receives the value; untouched on error.
 *
 * Return: 0, -EINVAL if @s is NULL, empty or not all digits, -ERANGE if the
 * value exceeds @max (however many digits it has).
 */
int parse_uint(const char *s, uint64_t max, uint64_t *out);

/**
 * parse_uint_canon() - parse_uint() of the canonical form only: no leading
 * zero ("0" itself is fine), so that one value has one spelling (a uid as a
 * directory name, a number recorded in the state file).
 * @s: the text.
 * @max: the largest value accepted.
 * @out: receives the value; untouched on error.
 *
 * Return: as parse_uint(); a leading zero is -EINVAL.
 */
int parse_uint_canon(const char *s, uint64_t max, uint64_t *out);

#endif
