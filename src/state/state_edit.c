/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * state_edit.c - changes to a Derivative between derives: Pid subjects, removal.
 *
 * `netnsp attach PID PROFILE` adds a Pid subject (docs/DESIGN.md "Subjects
 * at run time"), the daemon collects it when the process exits
 * (docs/GUARANTEES.md 7), and `down` / `gc` drop a profile's entries so that
 * the next derive() derives it anew.  Like derive.c, nothing here does I/O:
 * the caller reads /proc and stores.
 *
 * Every function keeps the order of state_subject_cmp(), so derivative_find()
 * still finds named entries by bsearch afterwards.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "state/state-internal.h"
#include "util/macro.h"

/**
 * derivative_find_pid() - the Pid entry of process @pid.
 * @d: derivative.
 * @pid: process id.
 *
 * Pid entries are sorted by pid only within one profile, so this is a scan;
 * a Derivative holds at most a few hundred subjects.
 *
 * Return: the SUBJ_PID entry or NULL.
 */
struct subject_state *derivative_find_pid(const struct derivative *d, int32_t pid)
{
	for (size_t i = 0; i < d->n_subjects; i++)
		if (d->subjects[i].kind == SUBJ_PID && d->subjects[i].pid == pid)
			return &d->subjects[i];
	return NULL;
}

/* Build the Pid entry @e (id 0 yet) of @pid under @p. */
static int edit_pid_entry(const struct settings *s, const struct profile_conf *p, int32_t pid,
			  uint64_t pid_start, struct subject_state *e)
{
	int r;

	/* derivative_load_buffer() would refuse what we cannot store. */
	if (!p->name || !name_valid(p->name))
		return -EINVAL;
	*e = (struct subject_state){.kind = SUBJ_PID, .pid = pid, .pid_start = pid_start};
	r = state_snapshot_build(s, p, &e->snapshot);
	if (r < 0)
		return r;
	e->name = strdup(p->name);
	return e->name ? 0 : -ENOMEM;
}

/* Insert @e at its sorted place in @d, taking what it owns; returns the slot. */
static struct subject_state *edit_insert(struct derivative *d, const struct subject_state *e)
{
	struct subject_state *grown = realloc(d->subjects, (d->n_subjects + 1) * sizeof(*grown));
	size_t at = 0;

	if (!grown)
		return NULL;
	d->subjects = grown;
	while (at < d->n_subjects && state_subject_cmp(&grown[at], e) < 0)
		at++;
	memmove(&grown[at + 1], &grown[at], (d->n_subjects - at) * sizeof(*grown));
	grown[at] = *e;
	d->n_subjects++;
	return &grown[at];
}

/**
 * derivative_add_pid() - add a Pid subject: the namespace of @pid under profile @p.
 * @d: derivative; its next_id advances.
 * @s: validated settings.
 * @p: one of its profiles.
 * @pid: the process, 1..STATE_PID_MAX.
 * @pid_start: its start time, field 22 of /proc/PID/stat (proc(5)), > 0.
 * @out: receives the new entry (NULL allowed); valid until @d next changes.
 *
 * The entry gets the next id and the addresses that follow from it, the
 * profile's fake-IP pools (no mappings yet), no ns identity yet (recorded at
 * apply) and the profile's snapshot.  On failure
 * @d is unchanged.
 *
 * Return: 0, -EEXIST if @pid is already a subject, -EINVAL for a bad @pid,
 * @pid_start or profile, -ENOSPC when ids are exhausted, or -ENOMEM.
 */
int derivative_add_pid(struct derivative *d, const struct settings *s, const struct profile_conf *p,
		       int32_t pid, uint64_t pid_start, struct subject_state **out)
{
	struct subject_state e = {0}, *slot;
	uint32_t id = state_next_id(d);
	int r;

	if (pid <= 0 || pid > STATE_PID_MAX || pid_start == 0)
		return -EINVAL;
	if (derivative_find_pid(d, pid))
		return -EEXIST;
	if (id > STATE_ID_MAX)
		return -ENOSPC;
	r = edit_pid_entry(s, p, pid, pid_start, &e);
	if (r < 0) {
		state_subject_free(&e);
		return r;
	}
	e.id = id;
	e.uplink4 = state_uplink4(id);
	e.uplink6 = state_uplink6(id);
	state_fake_pools(p, id, &e);
	slot = edit_insert(d, &e);
	if (!slot) {
		state_subject_free(&e);
		return -ENOMEM;
	}
	d->next_id = id + 1;
	if (out)
		*out = slot;
	return 0;
}

/**
 * derivative_remove() - remove entry @i of @d and free what it owns.
 * @d: derivative.
 * @i: index, < d->n_subjects; an index out of range is ignored.
 *
 * Later entries move down by one, so the order is kept; next_id is not
 * lowered, so the removed id is not handed out again.
 */
void derivative_remove(struct derivative *d, size_t i)
{
	if (i >= d->n_subjects)
		return;
	state_subject_free(&d->subjects[i]);
	memmove(&d->subjects[i], &d->subjects[i + 1],
		(d->n_subjects - i - 1) * sizeof(*d->subjects));
	d->n_subjects--;
	if (!d->n_subjects) {
		free(d->subjects);
		d->subjects = NULL;
	}
}

/**
 * derivative_drop_profile() - remove every entry (named and Pid) of @profile.
 * @d: derivative.
 * @profile: profile name.
 *
 * Return: how many entries were removed (0 if none).
 */
int derivative_drop_profile(struct derivative *d, const char *profile)
{
	int n = 0;

	for (size_t i = 0; i < d->n_subjects;) {
		if (strcmp(d->subjects[i].name, profile) != 0) {
			i++;
			continue;
		}
		derivative_remove(d, i);
		n++;
	}
	return n;
}
