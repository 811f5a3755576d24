// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * egress_status.c - the "egress" array of `status --json`: for each proxy
 * with `netns = NAME`, whether that namespace is there now (and which one it
 * is: its inode), and how many connections had to wait for a socket made
 * there (relay/egress.h).
 */
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon.h"
#include "netns/netns.h"

struct egress_find {
	const char *name;
	struct egress_info info; /* copied, name pointing at @name */
	bool found;
};

static void egress_find_one(void *arg, const struct egress_info *info)
{
	struct egress_find *f = arg;

	if (f->found || strcmp(info->name, f->name) != 0)
		return;
	f->info = *info;
	f->info.name = f->name;
	f->found = true;
}

/* @name as the daemon holds it, or (no chain dials from it) as /run/netns shows it now. */
static void egress_lookup(struct daemon *d, const char *name, struct egress_info *info)
{
	struct egress_find f = {.name = name};
	char path[PATH_MAX];
	struct stat st;

	egress_set_each(&d->egress, egress_find_one, &f);
	if (f.found) {
		*info = f.info;
		return;
	}
	*info = (struct egress_info){.name = name};
	snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, name);
	if (stat(path, &st) == 0 && st.st_dev != 0) {
		struct stat root;

		/* A bind mount of an nsfs inode, not the empty file left by a failed mount. */
		if (stat(NETNS_RUN_DIR, &root) == 0 && st.st_dev != root.st_dev) {
			info->present = true;
			info->dev = (unsigned long long)st.st_dev;
			info->ino = (unsigned long long)st.st_ino;
		}
	}
}

static json_object *egress_entry(const struct proxy_conf *pc, const struct egress_info *info)
{
	json_object *o = json_object_new_object();
	char buf[24];

	json_object_object_add(o, "proxy", json_object_new_string(pc->name));
	json_object_object_add(o, "netns", json_object_new_string(pc->netns));
	json_object_object_add(o, "present", json_object_new_boolean(info->present));
	snprintf(buf, sizeof(buf), "%llu", info->ino);
	json_object_object_add(o, "inode", info->present ? json_object_new_string(buf) : NULL);
	json_object_object_add(o, "waiting", json_object_new_uint64(info->waiting));
	json_object_object_add(o, "queued", json_object_new_uint64(info->queued));
	return o;
}

json_object *egress_status_json(struct daemon *d)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < d->settings.n_proxies; i++) {
		const struct proxy_conf *pc = &d->settings.proxies[i];
		struct egress_info info;

		if (!pc->netns)
			continue;
		egress_lookup(d, pc->netns, &info);
		json_object_array_add(arr, egress_entry(pc, &info));
	}
	return arr;
}
