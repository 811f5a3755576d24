// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_notify.c - the sd_notify datagram (util/notify.c) against real unix
 * datagram sockets (a path in a temp dir and an abstract name), and the
 * journal-stream check of util/log.c.  Needs no privilege.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "util/log.h"
#include "util/notify.h"
#include "tap.h"

/* A bound datagram socket at @addr ("/path" or "@abstract"), or -1. */
static int bind_dgram(const char *addr)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	size_t n = strlen(addr);
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memcpy(sun.sun_path, addr, n);
	if (addr[0] == '@')
		sun.sun_path[0] = '\0';
	else
		len++;
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sun, len) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static const char *recv_msg(int fd, char *buf, size_t len)
{
	ssize_t n = recv(fd, buf, len - 1, MSG_DONTWAIT);

	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

static void test_path(void)
{
	char dir[] = "/tmp/nsp-notify-XXXXXX", path[128], buf[256];
	int fd;

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/notify", dir);
	fd = bind_dgram(path);
	ok(fd >= 0, "bound %s", path);
	is_int(notify_send_to(path, "READY=1\nSTATUS=2 of 2 subjects applied"), 0,
	       "send to a path");
	is_str(recv_msg(fd, buf, sizeof(buf)), "READY=1\nSTATUS=2 of 2 subjects applied",
	       "the datagram is the message, byte for byte");
	setenv("NOTIFY_SOCKET", path, 1);
	is_int(notify_send("RELOADING=1"), 0, "notify_send() uses $NOTIFY_SOCKET");
	is_str(recv_msg(fd, buf, sizeof(buf)), "RELOADING=1", "received RELOADING=1");
	close(fd);
	unlink(path);
	ok(notify_send("READY=1") < 0, "a socket that is gone is an error, not a crash");
	unsetenv("NOTIFY_SOCKET");
	is_int(notify_send("READY=1"), 0, "without $NOTIFY_SOCKET: a no-op");
	rmdir(dir);
}

static void test_abstract(void)
{
	char name[64], buf[64];
	int fd;

	snprintf(name, sizeof(name), "@nsp-notify-test-%d", (int)getpid());
	fd = bind_dgram(name);
	ok(fd >= 0, "bound abstract %s", name);
	is_int(notify_send_to(name, "STOPPING=1"), 0, "send to an abstract name");
	is_str(recv_msg(fd, buf, sizeof(buf)), "STOPPING=1", "received on the abstract socket");
	/*
	 * bind_dgram() gave the name's exact length: had notify.c counted a
	 * trailing NUL, the send above would have found no socket.  A name
	 * nobody bound is an error.
	 */
	name[1] = 'X';
	ok(notify_send_to(name, "READY=1") < 0, "an abstract name nobody bound: error");
	ok(recv_msg(fd, buf, sizeof(buf)) == NULL, "nothing reached the bound socket");
	close(fd);
}

static void test_bad(void)
{
	char longp[200];

	is_int(notify_send_to("", "READY=1"), 0, "empty address: a no-op");
	is_int(notify_send_to("relative/sock", "READY=1"), -EINVAL, "relative path refused");
	is_int(notify_send_to("@", "READY=1"), -EINVAL, "empty abstract name refused");
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	is_int(notify_send_to(longp, "READY=1"), -EINVAL, "path longer than sun_path refused");
	notify_monotonic_usec(longp, sizeof(longp));
	ok(strncmp(longp, "MONOTONIC_USEC=", 15) == 0 && atoll(longp + 15) > 0,
	   "MONOTONIC_USEC=N with N > 0 (%s)", longp);
}

static void test_journal(void)
{
	struct stat st;
	char v[64];

	unsetenv("JOURNAL_STREAM");
	ok(!log_stderr_is_journal(), "no $JOURNAL_STREAM: not the journal");
	if (fstat(STDERR_FILENO, &st) < 0) {
		ok(0, "fstat stderr: %s", strerror(errno));
		return;
	}
	snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", v, 1);
	ok(log_stderr_is_journal(), "$JOURNAL_STREAM = stderr's dev:ino: the journal");
	snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino + 1);
	setenv("JOURNAL_STREAM", v, 1);
	ok(!log_stderr_is_journal(), "another inode (stderr redirected): not the journal");
	setenv("JOURNAL_STREAM", "12:34junk", 1);
	ok(!log_stderr_is_journal(), "malformed $JOURNAL_STREAM: not the journal");
	unsetenv("JOURNAL_STREAM");
}

int main(void)
{
	test_path();
	test_abstract();
	test_bad();
	test_journal();
	return tap_done();
}
