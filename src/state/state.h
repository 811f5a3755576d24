/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * state.h - the Derivative: Settings plus runtime facts (docs/DESIGN.md
 * "Settings → Derivative → Apply").
 *
 * derive() is a pure function of (Settings, previous Derivative, runtime
 * facts); derivative_store() writes JSON atomically (temp, fsync, rename,
 * fsync dir); derivative_load() validates everything it reads and refuses a
 * corrupt file rather than trusting part of it.
 */
#ifndef NETNSP_STATE_H
#define NETNSP_STATE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "netns/netns.h"

#define DERIVATIVE_VERSION 1
#define STATE_FILE_NAME "state.json"

/*
 * One fake-IP mapping of a subject (docs/GUARANTEES.md 3): @name was answered
 * with @v4 and @v6.  As in src/dns (struct dns_fake), slot i of a subject's
 * pools is base + 1 + i in both families, so @v4 and @v6 always lie at the
 * same offset from their pools' bases.
 */
struct fake_map {
	char *name;	    /* owned: lowercase host name (dns_name_is_host()), <= 253 */
	struct in_addr v4;  /* in the entry's IPv4 pool, network order */
	struct in6_addr v6; /* in the entry's IPv6 pool, the same slot as @v4 */
	uint64_t last_used; /* the relay's clock, seconds */
};

/* Mappings one subject may hold in the Derivative. */
#define STATE_FAKES_MAX 1000000u

/* How a subject's namespace is referred to (docs/DESIGN.md "Namespace identity"). */
enum subject_kind {
	SUBJ_NAMED = 0, /* created by netnsp, /run/netns/NAME */
	SUBJ_PID,	/* the namespace of a running process (netnsp attach PID PROFILE) */
};

struct subject_state {
	char *name;		 /* owned: profile name (several Pid subjects may share one) */
	uint32_t id;		 /* stable, unique, >= 1, never reused while the entry lives */
	enum subject_kind kind;	 /* SUBJ_NAMED or SUBJ_PID */
	char *netns;		 /* owned: namespace name under /run/netns; NULL for SUBJ_PID */
	int32_t pid;		 /* SUBJ_PID: the process, > 0; 0 for SUBJ_NAMED */
	uint64_t pid_start;	 /* SUBJ_PID: its start time in clock ticks (field 22 of
				  * /proc/PID/stat), so a reused pid is never mistaken; 0 for
				  * SUBJ_NAMED */
	struct ns_ident ns;	 /* identity recorded at the last apply; all 0 = not yet */
	struct in_addr uplink4;	 /* 100.64.0.0/10 + id*4 + 1, a /32 on the uplink device */
	struct in6_addr uplink6; /* fd6e:7370:0:ID::1, a /128 on the uplink device (ULA) */
	char *snapshot;		 /* owned: canonical JSON text of the profile and its chain */
	/*
	 * The fake-IP pools the entry was derived with: the profile's fake-ipv4
	 * (default 198.18.0.0/15) and fake-ipv6 (default fd6e:7370:fa4H:LLLL::/64
	 * with HLLLL the id, distinct from the uplink's fd6e:7370:H:LLLL::/64).
	 */
	struct in_addr fake4_base;
	unsigned fake4_prefix;
	struct in6_addr fake6_base;
	unsigned fake6_prefix;
	struct fake_map *fakes; /* owned array, sorted by v4; every address in the pools */
	size_t n_fakes;
};

struct derivative {
	int version;			/* DERIVATIVE_VERSION */
	bool have_root;			/* @root was recorded */
	struct ns_ident root;		/* the daemon's netns at first start */
	struct subject_state *subjects; /* owned array, sorted by name, then named before
					 * pid entries, then by pid */
	size_t n_subjects;
	uint32_t next_id; /* next id to hand out, > every id in @subjects */
};

/**
 * profile_snapshot() - canonical JSON of a profile and every proxy it uses.
 * @s: validated settings.
 * @p: one of its profiles.
 *
 * Same inputs give byte-identical text, so snapshots compare with strcmp().
 *
 * Return: malloc'd string, or NULL on allocation failure.
 */
char *profile_snapshot(const struct settings *s, const struct profile_conf *p);

/**
 * profile_snapshot_users() - the `users` entries a profile snapshot recorded.
 * @snapshot: text made by profile_snapshot() (a subject_state's snapshot).
 * @users: receives a NULL-terminated array of strings; release with
 *         profile_users_free().
 * @n: receives the number of entries.
 *
 * For `netnsp exec` when the config on disk does not parse: the profile as
 * it was last applied.  A snapshot without "users" admits root only, like a
 * profile without `users`.
 *
 * Return: 0, -EBADMSG if @snapshot is not such a JSON text, or -ENOMEM.
 */
int profile_snapshot_users(const char *snapshot, char ***users, size_t *n);

/**
 * profile_users_free() - release what profile_snapshot_users() returned.
 * @users: the array, or NULL.
 */
void profile_users_free(char **users);

/**
 * derive() - compute the Derivative for @s.
 * @s: validated settings.
 * @prev: the previous Derivative (may have no subjects; never NULL).
 * @root_now: identity of the namespace the daemon runs in.
 * @out: filled on success; release with derivative_free().
 *
 * An entry of @prev whose profile still exists keeps its id and addresses
 * (and its recorded ns identity); its snapshot is refreshed.  Entries of
 * removed profiles are dropped.  New profiles get next_id.  @root is copied
 * from @prev if recorded there, else taken from @root_now.  Pid entries of
 * @prev are carried over (id, addresses, ns identity, pid, pid_start) while
 * their profile exists, and dropped with it; derive() never invents one.
 * Every entry gets the fake-IP pools of its profile (the defaults where it
 * sets none) and keeps those mappings of @prev's entry that still lie in
 * them at a coherent slot; the others are dropped.
 *
 * Return: 0, -ENOMEM, -ENOSPC when ids are exhausted, or -EINVAL for settings
 * that did not pass validation.
 */
int derive(const struct settings *s, const struct derivative *prev, const struct ns_ident *root_now,
	   struct derivative *out);

/**
 * derivative_set_fakes() - replace the fake-IP mappings of one entry.
 * @st: an entry of a Derivative (its pools set by derive() or a load).
 * @maps: @n mappings; ownership of the array and its names passes to the
 *        callee, also on failure.  An all-zero v6 (::) is taken to mean "the
 *        same slot as v4" and filled in.
 * @n: their number, at most STATE_FAKES_MAX.
 *
 * The mappings are checked as derivative_load_buffer() checks them (host
 * names, addresses in the pools at the same slot, no duplicate names or
 * addresses), so that what is stored always loads again, then sorted by v4.
 * On failure @st keeps its previous mappings.
 *
 * Return: 0, -EINVAL for a mapping that breaks a rule, -E2BIG for too many,
 * or -ENOMEM.
 */
int derivative_set_fakes(struct subject_state *st, struct fake_map *maps, size_t n);

/**
 * derivative_find() - the entry of profile @name.
 * @d: derivative.
 * @name: profile name.
 *
 * Return: the named (SUBJ_NAMED) entry or NULL; Pid entries are never returned.
 */
struct subject_state *derivative_find(const struct derivative *d, const char *name);

/**
 * derivative_find_pid() - the Pid entry of process @pid.
 * @d: derivative.
 * @pid: process id.
 *
 * Return: the SUBJ_PID entry or NULL.
 */
struct subject_state *derivative_find_pid(const struct derivative *d, int32_t pid);

/**
 * derivative_add_pid() - add a Pid subject: the namespace of @pid under profile @p.
 * @d: derivative; its next_id advances.
 * @s: validated settings.
 * @p: one of its profiles.
 * @pid: the process, 1..4194304 (the kernel's PID_MAX_LIMIT).
 * @pid_start: its start time, field 22 of /proc/PID/stat, > 0.
 * @out: receives the new entry (NULL allowed); valid until @d next changes.
 *
 * The entry gets the next id and the addresses that follow from it, no ns
 * identity (the caller records it at apply) and the profile's snapshot.
 *
 * Return: 0, -EEXIST if @pid is already a subject, -EINVAL for a bad @pid,
 * @pid_start or profile, -ENOSPC when ids are exhausted, or -ENOMEM.
 */
int derivative_add_pid(struct derivative *d, const struct settings *s, const struct profile_conf *p,
		       int32_t pid, uint64_t pid_start, struct subject_state **out);

/**
 * derivative_remove() - remove entry @i of @d and free what it owns.
 * @d: derivative.
 * @i: index, < d->n_subjects.
 *
 * Later entries move down by one; the order is kept and next_id is not
 * lowered, so the removed id is not handed out again.
 */
void derivative_remove(struct derivative *d, size_t i);

/**
 * derivative_drop_profile() - remove every entry (named and Pid) of @profile.
 * @d: derivative.
 * @profile: profile name.
 *
 * For `gc` and `down`: the next derive() derives the profile anew.
 *
 * Return: how many entries were removed (0 if none).
 */
int derivative_drop_profile(struct derivative *d, const char *profile);

/* What a reload does to one profile. */
enum derive_change_what {
	CHANGE_ADDED,	/* in the new Settings only */
	CHANGE_CHANGED, /* in both, snapshot differs */
	CHANGE_REMOVED, /* in the old Derivative only */
};

/* One line of a reload plan. */
struct derive_change {
	char *profile;		      /* owned: profile name */
	enum derive_change_what what; /* added, changed or removed */
	char **keys;		      /* owned: CHANGE_CHANGED: the snapshot's top-level keys
				       * whose values differ, in snapshot key order; else NULL */
	size_t n_keys;
};

/**
 * derive_plan() - what a reload to @new_settings would change.
 * @old: the current Derivative (sorted).
 * @new_settings: validated settings.
 * @out: receives a malloc'd array sorted by profile name (NULL when empty);
 *       release with derive_plan_free().
 * @n: receives its length.
 *
 * Compares the named entries of @old with the profiles of @new_settings by
 * name: a profile only in @new_settings is added, one only in @old removed,
 * one in both whose snapshot text differs is changed.  Unchanged profiles
 * are not listed.  Pure: nothing is modified.
 *
 * Return: 0, -ENOMEM, or -EINVAL for settings that did not pass validation.
 */
int derive_plan(const struct derivative *old, const struct settings *new_settings,
		struct derive_change **out, size_t *n);

/**
 * derive_plan_free() - release a plan from derive_plan(); accepts NULL.
 * @c: the array.
 * @n: its length.
 */
void derive_plan_free(struct derive_change *c, size_t n);

/**
 * derive_plan_text() - a plan as the user reads it, one line per change.
 * @c: the plan from derive_plan().
 * @n: its length.
 *
 * Return: malloc'd "+ profile a\n~ profile b: via, chain\n- profile c\n", or
 * "no changes\n" for an empty plan; NULL on allocation failure.
 */
char *derive_plan_text(const struct derive_change *c, size_t n);

/**
 * derivative_load_buffer() - parse and validate a Derivative from JSON text.
 * @buf: text.
 * @len: its length.
 * @out: filled on success.
 * @err: one line saying what is wrong and where (JSON path).
 * @errlen: size of @err.
 *
 * Return: 0, or -EBADMSG for any malformed, foreign or impossible content.
 */
int derivative_load_buffer(const char *buf, size_t len, struct derivative *out, char *err,
			   size_t errlen);

/**
 * derivative_load() - read @path with derivative_load_buffer().
 * @path: state file.
 * @out: filled on success; an empty Derivative when the file does not exist.
 * @err: message on failure.
 * @errlen: size of @err.
 *
 * Return: 0 (also for a missing file), -EBADMSG if corrupt, or a negative errno.
 */
int derivative_load(const char *path, struct derivative *out, char *err, size_t errlen);

/**
 * derivative_store() - write @d to @path atomically, mode 0600.
 * @path: state file; its directory is created 0700 if missing.
 * @d: derivative.
 *
 * Return: 0 or a negative errno.
 */
int derivative_store(const char *path, const struct derivative *d);

/**
 * derivative_set_aside() - rename @path to PATH.TAG-YYYYmmddTHHMMSS (kept, never deleted).
 * @path: state file.
 * @tag: why: "corrupt" (unreadable), "foreign" (`netnsp gc --all`).
 * @newpath: receives the new name.
 * @len: size of @newpath.
 *
 * Return: 0 or a negative errno.
 */
int derivative_set_aside(const char *path, const char *tag, char *newpath, size_t len);

/**
 * derivative_free() - release what @d owns; accepts a zeroed struct.
 * @d: derivative.
 */
void derivative_free(struct derivative *d);

#endif
