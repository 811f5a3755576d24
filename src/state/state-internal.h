/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * state-internal.h - helpers shared by the files of src/state and its tests.
 *
 * Not a contract with other modules: only the .c files of src/state and the state unit
 * and fuzz tests include it.
 */
#ifndef NETNSP_STATE_INTERNAL_H
#define NETNSP_STATE_INTERNAL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "state/state.h"
#include "util/macro.h"

/*
 * Ids live in 100.64.0.0/10 (RFC 6598 shared address space) as id*4 + 1, so
 * the largest id whose address still fits in the /10 is 2^22/4 - 1.
 */
#define STATE_ID_MAX ((UINT32_C(1) << 20) - 1)
/* Bytes of a state file we accept (and write): about 800,000 fake-IP mappings in all. */
#define STATE_FILE_MAX (64u * 1024 * 1024)
#define STATE_SUBJECTS_MAX 100000u
/* The kernel's PID_MAX_LIMIT on 64-bit (include/linux/threads.h): no pid is larger. */
#define STATE_PID_MAX 4194304
#define STATE_JSON_DEPTH 16 /* a valid file nests 8 deep (subjects, profile, routes, chain) */

/* Serialisation flags: no whitespace variance, '/' kept as is. */
#define STATE_JSON_PLAIN (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/**
 * state_uplink4() - the IPv4 uplink address of subject @id.
 * @id: subject id, 1..STATE_ID_MAX.
 *
 * Return: 100.64.0.0 + id*4 + 1 in network byte order.
 */
struct in_addr state_uplink4(uint32_t id);

/**
 * state_uplink6() - the IPv6 uplink address of subject @id.
 * @id: subject id.
 *
 * Return: fd6e:7370:HHHH:LLLL::1 where HHHH:LLLL is @id split in two 16-bit
 * groups; for ids below 65536 this reads fd6e:7370:0:ID::1 as state.h says.
 */
struct in6_addr state_uplink6(uint32_t id);

/**
 * state_json_add() - add @val under @key to @obj, taking ownership of @val.
 * @obj: JSON object.
 * @key: a string constant.
 * @val: value, or NULL for JSON null.
 * @want: true if @val must not be NULL (a NULL then means allocation failure).
 *
 * Return: 0 or -ENOMEM (then @val has been released).
 */
int state_json_add(struct json_object *obj, const char *key, struct json_object *val, bool want);

/**
 * state_json_add_cidr() - add "ADDR/LEN" under @key to @o.
 * @o: JSON object.
 * @key: a string constant.
 * @af: AF_INET or AF_INET6.
 * @addr: the address (struct in_addr / struct in6_addr).
 * @prefix: its prefix length.
 *
 * Return: 0, -EINVAL for a bad @af, or -ENOMEM.
 */
int state_json_add_cidr(struct json_object *o, const char *key, int af, const void *addr,
			unsigned prefix);

/**
 * state_next_id() - the first id not handed out yet in @d.
 * @d: derivative.
 *
 * Never below @d's counter or any live id, so an id is not reused while a
 * namespace might still carry its addresses.
 *
 * Return: 1..STATE_ID_MAX, or STATE_ID_MAX + 1 when none is left.
 */
uint32_t state_next_id(const struct derivative *d);

/**
 * state_subject_cmp() - qsort/bsearch order of subjects.
 * @a: struct subject_state.
 * @b: struct subject_state.
 *
 * By name, then named entries before Pid entries, then by pid; so the named
 * entry of a profile is found by bsearch with a key of kind SUBJ_NAMED, pid 0.
 *
 * Return: <0, 0 or >0 as strcmp().
 */
int state_subject_cmp(const void *a, const void *b);

/**
 * state_subject_free() - release what entry @e owns (not @e itself).
 * @e: entry.
 */
void state_subject_free(struct subject_state *e);

/**
 * state_snapshot_build() - profile_snapshot() that tells the reasons apart.
 * @s: settings.
 * @p: one of its profiles.
 * @out: receives the malloc'd canonical text.
 *
 * Return: 0, -ENOMEM, or -EINVAL for settings that did not pass validation.
 */
int state_snapshot_build(const struct settings *s, const struct profile_conf *p, char **out);

/**
 * derivative_to_json() - serialise @d as the version-1 state file text.
 * @d: derivative, every snapshot valid JSON text.
 * @flags: json-c serialisation flags (STATE_JSON_PLAIN or pretty).
 * @out: receives malloc'd text.
 *
 * Return: 0, -ENOMEM, or -EINVAL if a snapshot is not a JSON object.
 */
int derivative_to_json(const struct derivative *d, int flags, char **out);

/**
 * state_fake6_default() - the default fake-IPv6 pool of subject @id.
 * @id: subject id, 1..STATE_ID_MAX.
 *
 * Return: fd6e:7370:fa4H:LLLL:: (a /64) where HLLLL is @id in hex; the
 * uplink's fd6e:7370:H:LLLL::/64 never has 0xfa4 in the third group.
 */
struct in6_addr state_fake6_default(uint32_t id);

/**
 * state_fake_pools() - set the fake-IP pools of entry @e from profile @p.
 * @p: the profile, or NULL for the defaults.
 * @id: the entry's id (for the default IPv6 pool).
 * @e: entry; only its fake4_* and fake6_* fields are written.
 */
void state_fake_pools(const struct profile_conf *p, uint32_t id, struct subject_state *e);

/**
 * state_fake_pools_check() - whether @e's pools are ones derive() could have set.
 * @e: entry with id and pools.
 * @why: reason on failure.
 * @n: size of @why.
 *
 * Return: 0 or -EINVAL.
 */
int state_fake_pools_check(const struct subject_state *e, char *why, size_t n);

/**
 * state_fake_misfit() - why mapping @m cannot belong to entry @e.
 * @e: entry with valid pools.
 * @m: mapping.
 *
 * Return: NULL if it fits (host name, both addresses one slot's), else a reason.
 */
const char *state_fake_misfit(const struct subject_state *e, const struct fake_map *m);

/* Where state_fakes_check() found a fault: mapping @idx, and @other for a duplicate. */
struct state_fake_fault {
	size_t idx, other;
	const char *why;
};

/**
 * state_fakes_check() - the rules of a whole mapping list.
 * @e: entry with valid pools.
 * @maps: @n mappings.
 * @n: their number.
 * @f: receives the fault.
 *
 * Return: 0, -EINVAL (a misfit or a duplicate name or address), -E2BIG
 * (more than STATE_FAKES_MAX), -ENOMEM.
 */
int state_fakes_check(const struct subject_state *e, const struct fake_map *maps, size_t n,
		      struct state_fake_fault *f);

/**
 * state_fakes_sort() - sort mappings by IPv4 address (the slot order).
 * @maps: the mappings.
 * @n: their number.
 */
void state_fakes_sort(struct fake_map *maps, size_t n);

/**
 * state_fakes_free() - release @n mappings and the array; accepts NULL.
 * @maps: the array.
 * @n: its length.
 */
void state_fakes_free(struct fake_map *maps, size_t n);

/**
 * state_fakes_carry() - copy into @e the mappings of @old that fit @e's pools.
 * @e: new entry with pools set and no mappings yet.
 * @old: the previous entry.
 *
 * Return: 0 or -ENOMEM (what was copied stays owned by @e).
 */
int state_fakes_carry(struct subject_state *e, const struct subject_state *old);

/* ---- reading a state file (state_json_read.c, state_json_subject.c) ---- */

/* Where a reader writes its one-line error. */
struct state_lctx {
	char *err;
	size_t errlen;
};

/**
 * state_json_bad() - write "PATH: reason" into @c's buffer.
 * @c: reader context.
 * @path: JSON path at fault ("subjects[2].ns").
 * @fmt: printf format of the reason.
 *
 * Return: -EBADMSG, so callers can `return state_json_bad(...)`.
 */
int state_json_bad(struct state_lctx *c, const char *path, const char *fmt, ...) _printf_(3, 4);

/**
 * state_json_keys() - refuse keys of @o other than @allowed.
 * @c: reader context.
 * @path: @o's path.
 * @o: JSON object.
 * @allowed: NULL-terminated key list.
 *
 * Return: 0 or -EBADMSG.
 */
int state_json_keys(struct state_lctx *c, const char *path, struct json_object *o,
		    const char *const *allowed);

/**
 * state_json_member() - member @key of @o, which must have type @t.
 * @c: reader context.
 * @path: @o's path.
 * @o: JSON object.
 * @key: member name.
 * @t: wanted type.
 * @out: receives the member (borrowed).
 *
 * Return: 0 or -EBADMSG (missing, wrong type).
 */
int state_json_member(struct state_lctx *c, const char *path, struct json_object *o,
		      const char *key, enum json_type t, struct json_object **out);

/**
 * state_json_int() - integer member @key of @o within [@min, @max].
 * @c: reader context.
 * @path: @o's path.
 * @o: JSON object.
 * @key: member name.
 * @min: smallest value allowed.
 * @max: largest value allowed.
 * @v: receives the value.
 *
 * Return: 0 or -EBADMSG.
 */
int state_json_int(struct state_lctx *c, const char *path, struct json_object *o, const char *key,
		   int64_t min, int64_t max, int64_t *v);

/**
 * state_json_string() - string member @key of @o, without NUL characters.
 * @c: reader context.
 * @path: @o's path.
 * @o: JSON object.
 * @key: member name.
 * @s: receives the string (borrowed from @o).
 *
 * Return: 0 or -EBADMSG.
 */
int state_json_string(struct state_lctx *c, const char *path, struct json_object *o,
		      const char *key, const char **s);

/**
 * state_parse_u64() - a canonical decimal: no sign, no leading zeros, no overflow.
 * @s: text.
 * @v: receives the value.
 *
 * Return: true if @s is one.
 */
bool state_parse_u64(const char *s, uint64_t *v);

/**
 * state_json_ident() - a namespace identity {"dev","ino","cookie"} of decimal strings.
 * @c: reader context.
 * @path: @o's path.
 * @o: JSON object.
 * @id: receives the identity.
 *
 * Return: 0 or -EBADMSG.
 */
int state_json_ident(struct state_lctx *c, const char *path, struct json_object *o,
		     struct ns_ident *id);

/**
 * state_json_subject() - read and check one entry of "subjects".
 * @c: reader context.
 * @path: its path ("subjects[3]").
 * @o: the entry.
 * @next_id: the file's next_id (ids must be below it).
 * @e: zeroed entry to fill; on error the caller still releases what it owns.
 *
 * Return: 0, -EBADMSG or -ENOMEM.
 */
int state_json_subject(struct state_lctx *c, const char *path, struct json_object *o,
		       uint32_t next_id, struct subject_state *e);

#endif
