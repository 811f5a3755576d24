// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fastpath.c - load and drive the sockmap fast path (fastpath.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "fastpath.h"
#include "util/macro.h"

#ifdef NETNSP_SOCKMAP

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "sockmap.skel.h"

struct fastpath {
	struct sockmap_bpf *skel;
	int socks_fd;
	int peers_fd;
	int prog_fd;
};

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0; /* the daemon says once which path it uses; libbpf's chatter is noise */
}

int fastpath_open(struct fastpath **out)
{
	struct fastpath *fp = calloc(1, sizeof(*fp));
	int r;

	if (!fp)
		return -ENOMEM;
	libbpf_set_print(quiet_print);
	fp->skel = sockmap_bpf__open_and_load();
	if (!fp->skel) {
		r = errno ? -errno : -EINVAL;
		free(fp);
		return r;
	}
	fp->socks_fd = bpf_map__fd(fp->skel->maps.socks);
	fp->peers_fd = bpf_map__fd(fp->skel->maps.peers);
	fp->prog_fd = bpf_program__fd(fp->skel->progs.relay_verdict);
	r = bpf_prog_attach(fp->prog_fd, fp->socks_fd, BPF_SK_SKB_STREAM_VERDICT, 0);
	if (r < 0) {
		r = errno ? -errno : r;
		fastpath_close(fp);
		return r;
	}
	*out = fp;
	return 0;
}

void fastpath_close(struct fastpath *fp)
{
	if (!fp)
		return;
	(void)bpf_prog_detach2(fp->prog_fd, fp->socks_fd, BPF_SK_SKB_STREAM_VERDICT);
	sockmap_bpf__destroy(fp->skel);
	free(fp);
}

static int sock_cookie(int fd, uint64_t *cookie)
{
	socklen_t len = sizeof(*cookie);

	return getsockopt(fd, SOL_SOCKET, SO_COOKIE, cookie, &len) < 0 ? neg_errno() : 0;
}

void fastpath_unpair(struct fastpath *fp, const uint64_t cookies[2])
{
	for (int i = 0; i < 2; i++) {
		(void)bpf_map_delete_elem(fp->peers_fd, &cookies[i]);
		(void)bpf_map_delete_elem(fp->socks_fd, &cookies[i]);
	}
}

int fastpath_pair(struct fastpath *fp, int a, int b, uint64_t cookies[2])
{
	const int fds[2] = {a, b};
	int one = 1;

	for (int i = 0; i < 2; i++)
		if (sock_cookie(fds[i], &cookies[i]) < 0)
			return -errno;
	/* Peers first: from the moment a socket is in the hash its bytes are redirected. */
	for (int i = 0; i < 2; i++) {
		if (bpf_map_update_elem(fp->peers_fd, &cookies[i], &cookies[!i], BPF_ANY) < 0)
			goto fail;
	}
	for (int i = 0; i < 2; i++) {
		uint64_t fd = (uint64_t)fds[i];

		if (bpf_map_update_elem(fp->socks_fd, &cookies[i], &fd, BPF_NOEXIST) < 0)
			goto fail;
	}
	/*
	 * Setting SO_RCVLOWAT runs the socket's data_ready, now the verdict's:
	 * bytes that arrived before the socket joined the hash go through it
	 * under the socket lock, ahead of anything newer (docs/DESIGN.md).
	 */
	for (int i = 0; i < 2; i++)
		(void)setsockopt(fds[i], SOL_SOCKET, SO_RCVLOWAT, &one, sizeof(one));
	return 0;
fail:;
	int r = neg_errno();

	fastpath_unpair(fp, cookies);
	return r;
}

#else

int fastpath_open(struct fastpath **out)
{
	*out = NULL;
	return -EOPNOTSUPP;
}

void fastpath_close(struct fastpath *fp)
{
}

int fastpath_pair(struct fastpath *fp, int a, int b, uint64_t cookies[2])
{
	return -EOPNOTSUPP;
}

void fastpath_unpair(struct fastpath *fp, const uint64_t cookies[2])
{
}

#endif
