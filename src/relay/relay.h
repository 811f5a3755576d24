/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * relay.h - the TCP datapath of one subject.
 *
 * Transparent listeners (IP_TRANSPARENT, 127.0.0.1 and ::1) are created
 * inside the subject's namespace; accepted sockets tell the app's original
 * destination by getsockname().  For each, the daemon connects from its own
 * namespace to the first hop, runs every hop's handshake in turn on that one
 * socket (proxy.h), then relays both ways with splice(2) through a pipe per
 * direction.  Any failure before the tunnel is up resets the app's
 * connection (SO_LINGER 0), so an app never hangs on a dead upstream.
 */
#ifndef NETNSP_RELAY_H
#define NETNSP_RELAY_H

#include <stdbool.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config/config.h"
#include "loop.h"
#include "proxy/isolate.h"
#include "state/state.h"
#include "util/macro.h"
#include "proxy/proxy.h"
#include "util/ratelog.h"

/* The transparent listener's port inside every subject (below the ephemeral range). */
#define RELAY_TPROXY_PORT 1
/* Connect plus all handshakes must finish within this many seconds. */
#define RELAY_HANDSHAKE_TIMEOUT 30
/* Hard cap on live connections per daemon; beyond it new ones are reset. */
#define RELAY_MAX_CONNS 65536
/*
 * File descriptors (accept.c).  A connection slot is budgeted at its worst
 * case: a relayed TCP connection holds 6 (two sockets, two pipes), a DNS
 * query forwarded through the chain 7 (the same plus the daemon's end of
 * its socketpair); a UDP flow holds 3 and a DNS-over-TCP client 1.  The
 * daemon keeps RELAY_FD_RESERVE for itself (control clients, netlink, nft,
 * namespace threads, the egress namespaces' fds and socket pools (egress.h:
 * 1 + 2 * EGRESS_POOL each), state files) and RELAY_FD_RESERVE_SUBJECT per subject
 * (its namespace, listeners, resolver and UDP sockets).
 */
#define RELAY_SLOT_FDS 7
#define RELAY_FD_RESERVE 256
#define RELAY_FD_RESERVE_SUBJECT 32
#define RELAY_CAP_MIN 16 /* the derived per-subject cap never goes below this */

struct relay_hop {
	enum proxy_kind kind;	    /* as spoken on the wire: a managed tor is PROXY_SOCKS5H */
	struct proxy_target target; /* where this hop is (for hop 0: informational) */
	char *user;		    /* owned, or NULL; derived when @isolate is not none */
	char *pass;		    /* owned, or NULL */
	enum isolate_mode isolate;
	bool managed;  /* a tor or i2pd netnsp runs; the daemon sets its address (hop 0 only) */
	bool pipeline; /* pipeline = yes: every SOCKS5 request at once (proxy_hs_pipeline()) */
};

struct relay_egress;
struct egress_ns;

struct relay_chain {
	struct sockaddr_storage first; /* resolved address of hop 0 (AF_UNIX for a managed tor) */
	struct relay_egress *egress;   /* not owned: `netnsp run`'s socket broker, or NULL */
	socklen_t first_len;
	struct relay_hop hops[CONF_CHAIN_MAX];
	size_t n_hops;
	/*
	 * The egress namespace hop 0 is dialled from (a proxy's netns), "" for the
	 * daemon's own.  The daemon holds it in @ens (egress.h: checked by name at
	 * each connection, so a namespace made afresh is used at once and a
	 * missing one refuses); without @ens it is opened by name each time.
	 */
	char egress_ns[CONF_NAME_MAX + 1];
	struct egress_ns *ens;	/* owned reference (egress_ns_get()), or NULL */
	bool direct;		/* hop 0 is url = direct: connect to the destination itself */
	bool fastopen;		/* hop 0 has fastopen = yes: TCP_FASTOPEN_CONNECT */
	struct isolate_key key; /* the per-install secret (relay_chain_isolate()) */
	uint32_t subject_id;	/* the subject's id in the Derivative */
};

struct relay_stats {
	uint64_t live;
	uint64_t total;
	uint64_t failed;     /* reset before the tunnel was up */
	uint64_t refused;    /* reset at accept: the subject was at max-connections */
	uint64_t bytes_up;   /* app -> proxy */
	uint64_t bytes_down; /* proxy -> app */
	/* UDP (udp.c): its bytes are counted in bytes_up / bytes_down too */
	uint64_t udp_live;	  /* flows (one UDP ASSOCIATE each) */
	uint64_t udp_total;	  /* flows started */
	uint64_t udp_failed;	  /* refused, or no association */
	uint64_t udp_refused;	  /* datagrams dropped: no flow, and the subject at its cap */
	uint64_t udp_dgrams_up;	  /* app -> proxy */
	uint64_t udp_dgrams_down; /* proxy -> app */
};

/*
 * Counters a worker thread writes and the main thread reads (status,
 * admission): one writer each, so a relaxed load and store are enough and
 * no lock is taken (docs/DESIGN.md "Workers").
 */
static inline void relay_stat_add(uint64_t *p, uint64_t n)
{
	__atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

static inline uint64_t relay_stat_get(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/*
 * A hand-over taken in: released after the connection counted itself live,
 * so whoever sees it (acquire) sees that too, and admission never counts a
 * connection neither live nor in flight.
 */
static inline void relay_stat_taken(uint64_t *p)
{
	__atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + 1, __ATOMIC_RELEASE);
}

static inline uint64_t relay_stat_get_taken(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

struct conn;
struct relay_dns;
struct udp_flow;
struct udp_probe;
struct udp_subject;

/* What one worker thread holds of a subject (worker.c): only that thread writes it. */
struct relay_shard {
	struct relay_stats stats; /* its connections' counters (TCP fields only) */
	struct conn *conns;	  /* owned by that worker: its live connections */
	uint64_t taken;		  /* hand-overs it has taken in (counted after stats.live) */
	struct ratelog own_err;	  /* that loop's lines for tunnels ended by the daemon's own
				   * errors (tcp.c); the main loop's too, in [0] */
};

/* How a subject's UDP (other than DNS) is handled; relay_udp_mode() decides. */
enum relay_udp_mode {
	RELAY_UDP_REFUSED = 0, /* refused at once (udp = off, or the chain cannot carry it) */
	RELAY_UDP_ASSOCIATE,   /* relayed with SOCKS5 UDP ASSOCIATE (RFC 1928 §7) with the
				* chain's last hop, the chain carrying its control connection */
	RELAY_UDP_DIRECT,      /* url = direct: sent from a socket in the egress namespace */
};

/* The resolver's port inside every subject (wildcard, transparent, UDP and TCP). */
#define RELAY_DNS_PORT 53

/* Kinds of events a subject can cause at will: each is logged at most once a minute. */
enum relay_rlog {
	RLOG_LISTENER, /* a listener died (accept: EINVAL after ss -K) */
	RLOG_RELISTEN, /* recreating it failed */
	RLOG_FDS,      /* the daemon ran out of file descriptors at accept */
	RLOG_CAP,      /* refused at max-connections */
	RLOG_N
};

/* What a subject gives the relay: its chain, counters and live connections. */
struct relay_subject {
	char name[CONF_NAME_MAX + 1]; /* profile name, for messages */
	struct relay_chain
		chain; /* the default (via); n_hops 0: what no route matches is refused */
	struct route_conf *routes; /* owned copies of the profile's route lines (pattern owned) */
	struct relay_chain *route_chains; /* owned: one per route line; n_hops 0 = block */
	size_t n_routes;
	struct relay_stats stats;
	struct ev lis[2];      /* IPv4 and IPv6 listeners; fd -1 if closed (owned) */
	struct ev ep[4];       /* endpoints: SOCKS5 v4, v6, HTTP v4, v6; fd -1 if closed (owned) */
	uint16_t socks_port;   /* socks-port, 0 = none */
	uint16_t http_port;    /* http-port, 0 = none */
	struct relay_dns *dns; /* owned: the resolver (resolver.c), NULL when not applied */
	enum relay_udp_mode udp_mode; /* set by the daemon from relay_udp_mode() */
	char udp_why[128];	      /* why UDP is refused, for status */
	struct ev udp_lis[2];	      /* UDP relay listeners v4, v6 (udp.c); fd -1 if closed */
	struct udp_subject *udp;      /* owned by udp.c: the UDP relay's state, or NULL */
	struct conn *conns;	      /* owned: doubly linked list of live connections */
	char last_error[192];	      /* the last failed connection or flow, for status */
	int64_t last_error_time;      /* when (CLOCK_REALTIME seconds); 0 = none yet */
	uint64_t max_conns; /* cap on connections + UDP flows + DNS-over-TCP clients (accept.c) */
	bool relisten;	    /* a listener died and was closed: recreate it at the next tick */
	struct ratelog rlog[RLOG_N];
	int diag_fd; /* owned: NETLINK_SOCK_DIAG inside the subject (isolate = app), or -1 */
	bool spread; /* new transparent TCP connections go to the workers (relay_subject_open()) */
	uint64_t handed;	/* main loop: connections handed to workers (admission counts those
				 * not yet taken in: handed - the shards' taken) */
	pthread_mutex_t err_mu; /* guards last_error*: workers note failures too */
	struct relay_shard wk[CONF_WORKERS_MAX]; /* per worker thread, by relay id; [0] only
						  * own_err (the main loop's are stats and conns) */
};

struct relay_workers;

/*
 * One per event loop: the main loop's (id 0) also accepts, and serves
 * endpoints, DNS and UDP; a worker thread's (id 1..) serves the transparent
 * TCP connections the main loop hands it (worker.c).
 */
struct relay {
	struct loop *loop;	       /* not owned: the loop every fd of this relay is in */
	unsigned id;		       /* 0: the main loop; else the worker's index */
	struct relay_workers *workers; /* main loop only: owned, NULL with workers = 1 */
	uint64_t total;		       /* connections this loop has served (status) */
	uint64_t handed;	       /* main loop: connections it handed to workers */
	uint64_t taken;		       /* a worker: hand-overs it has taken in */
	uint64_t live;		       /* connections across all subjects */
	struct conn *handshaking;      /* not owned: conns in handshake, for the timeout tick */
	struct udp_flow *udp_flows;    /* not owned (udp_flow.c frees): all subjects' flows */
	struct udp_probe *udp_probes;  /* not owned (udp_probe.c frees): running probes */
	uint64_t udp_live;	       /* UDP flows across all subjects */
	uint64_t dns_clients;	       /* DNS-over-TCP clients across all subjects */
	uint64_t max_slots;	       /* cap on live + udp_live + dns_clients (fd budget) */
	int spare_fd;		       /* owned: released to accept-and-reset at EMFILE, or -1 */
	uint32_t pipe_max;	       /* what a bulk pipe grows to (tcp.c), 0 until first needed */
	unsigned ep_pending;	       /* endpoint request parsers allocated (endpoint.c) */
};

/**
 * relay_chain_build() - turn the chain ending at a proxy into what the relay needs.
 * @s: validated settings.
 * @last: index of the chain's last proxy (a profile's via_idx, a route's
 *        proxy_idx); negative: an empty chain (n_hops 0), which refuses.
 * @chain: output; release with relay_chain_free().
 * @err: "proxy 'x': reason" on failure.
 * @errlen: size of @err.
 *
 * The first hop's host is resolved here (getaddrinfo, numeric first), once,
 * outside the event loop; later hops are handed to the previous hop as they
 * are written (names go to the proxy unresolved).
 *
 * Return: 0 or a negative errno.
 */
int relay_chain_build(const struct settings *s, int last, struct relay_chain *chain, char *err,
		      size_t errlen);

/**
 * relay_routes_build() - copy a profile's route lines into @rs, each with its chain.
 * @s: validated settings.
 * @p: the profile.
 * @rs: subject; its old routes are released first.
 * @err: "proxy 'x': reason" on failure.
 * @errlen: size of @err.
 *
 * Return: 0 or a negative errno (then @rs has no routes).
 */
int relay_routes_build(const struct settings *s, const struct profile_conf *p,
		       struct relay_subject *rs, char *err, size_t errlen);

/**
 * relay_routes_free() - release @rs's routes and their chains.
 * @rs: subject.
 */
void relay_routes_free(struct relay_subject *rs);

/**
 * relay_route() - the chain a destination takes: the first matching route's,
 * else the default (rs->chain).
 * @rs: subject.
 * @t: the destination: a name (the app's, from the fake map or an endpoint) or an address.
 * @why: receives the reason when refused.
 * @len: size of @why.
 *
 * Refused: a `block` route; no match and no default; a .onion or .i2p name
 * that no route line names, in a profile that has routes (such a name is
 * only ever handed to its own route's proxy).
 *
 * Return: the chain (rs->chain or one of rs->route_chains), or NULL.
 */
const struct relay_chain *relay_route(const struct relay_subject *rs, const struct proxy_target *t,
				      char *why, size_t len);

/**
 * relay_route_name() - relay_route() for a name the resolver is asked about.
 * @rs: subject.
 * @name: the name.
 *
 * Return: 1 when a route line (not the default) matched it with a proxy,
 * 0 when it takes the default, -EACCES when it is refused.
 */
int relay_route_name(const struct relay_subject *rs, const char *name);

/**
 * relay_subject_isolates_apps() - does any of @rs's chains (default or route) use isolate = app?
 * @rs: subject.
 *
 * Return: true if so.
 */
bool relay_subject_isolates_apps(const struct relay_subject *rs);

/**
 * relay_chain_isolate() - derive the isolation credentials of a built chain.
 * @chain: chain from relay_chain_build().
 * @key: the per-install secret.
 * @subject_id: the subject's id in the Derivative.
 *
 * Hops with isolate = profile get their username now; isolate = destination
 * ones per connection, from relay_hop_user().
 *
 * Return: 0 or -ENOMEM.
 */
int relay_chain_isolate(struct relay_chain *chain, const struct isolate_key *key,
			uint32_t subject_id);

/**
 * relay_chain_set_unix() - make hop 0 a unix socket (a managed tor's SocksPort).
 * @chain: chain whose hop 0 is managed.
 * @path: the socket's path.
 *
 * Return: 0 or -ENAMETOOLONG.
 */
int relay_chain_set_unix(struct relay_chain *chain, const char *path);

/**
 * relay_hop_user() - the username hop @i is to be given for target @t.
 * @chain: chain.
 * @i: hop index.
 * @t: what hop @i is asked to connect to.
 * @app: the connecting app's identity ("UID:CGROUP", isolate = app), or NULL.
 * @buf: room for a derived username (isolate = destination or app).
 *
 * Return: the username (the hop's own, or @buf), or NULL for none.
 */
const char *relay_hop_user(const struct relay_chain *chain, size_t i, const struct proxy_target *t,
			   const char *app, char buf[ISOLATE_USER_LEN + 1]);

/**
 * relay_hop_hs_pipeline() - finish a hop's handshake set-up: with the hop's
 * `pipeline = yes`, every request goes out at once (proxy_hs_pipeline()).
 * @hop: the hop the handshake is with.
 * @hs: the handshake proxy_hs_init() or proxy_hs_init_udp() just set up.
 * @init: what that call returned.
 *
 * Return: @init if it failed or the hop does not pipeline, else what
 * proxy_hs_pipeline() returns.
 */
int relay_hop_hs_pipeline(const struct relay_hop *hop, struct proxy_hs *hs, int init);

/**
 * relay_chain_isolates_apps() - does any hop have isolate = app?
 * @chain: chain.
 *
 * Return: true if so.
 */
bool relay_chain_isolates_apps(const struct relay_chain *chain);

/**
 * relay_chain_free() - release what relay_chain_build() allocated.
 * @chain: chain; accepts a zeroed one.
 */
void relay_chain_free(struct relay_chain *chain);

/**
 * relay_note_error() - remember the last failure of a subject for status.
 * @rs: subject: its last_error and last_error_time are set.
 * @fmt: printf format of one line, e.g. "DST: via HOP: WHY".
 *
 * Return: the text (the calling thread's copy), for the caller's log line.
 */
const char *relay_note_error(struct relay_subject *rs, const char *fmt, ...) _printf_(2, 3);

/**
 * relay_chain_describe() - "socks5://host:port" of hop @i, without credentials.
 * @chain: chain.
 * @i: hop index.
 * @buf: output.
 * @len: size of @buf.
 */
void relay_chain_describe(const struct relay_chain *chain, size_t i, char *buf, size_t len);

/**
 * relay_target_describe() - "198.51.100.9:443", "[2001:db8::9]:443" or "name:443" (a name
 * also once url = direct resolved it), for messages.
 * @t: destination.
 * @buf: output.
 * @len: size of @buf.
 */
void relay_target_describe(const struct proxy_target *t, char *buf, size_t len);

/**
 * relay_chain_connect() - start a non-blocking TCP connect to the chain's first hop.
 * @ch: chain.
 *
 * From the daemon's own namespace, so its traffic never crosses a subject's rules
 * (`netnsp run`: a socket from @ch->egress, made in the caller's namespace).
 *
 * With @ch->fastopen the connect may be deferred (TCP Fast Open with a cached
 * cookie): the socket then polls writable at once, and the first send()
 * carries the SYN and its data.
 *
 * Never waits on the event loop's behalf: a TCP connection that may queue for
 * an egress namespace's socket uses relay_chain_connect_wait() (conn.h).
 *
 * Return: the socket (connect in progress or deferred) or a negative errno.
 */
int relay_chain_connect(const struct relay_chain *ch, const struct proxy_target *dst);

/**
 * relay_chain_socket() - a socket where the chain's hop 0 is dialled from.
 * @ch: chain.
 * @family: AF_INET or AF_INET6 (or AF_UNIX for a managed tor's hop 0).
 * @type: SOCK_STREAM or SOCK_DGRAM, | SOCK_NONBLOCK.
 *
 * Hop 0's egress namespace (`netns = NAME`: the daemon's held one, or opened
 * by name), else `netnsp run`'s broker, else the daemon's own namespace.  A
 * UDP flow's socket to its proxy's relay, or to the destination itself
 * (url = direct), is made here too: it leaves where the chain leaves.
 *
 * Return: the fd (close-on-exec) or a negative errno.
 */
int relay_chain_socket(const struct relay_chain *ch, int family, int type);

/**
 * relay_hs_send() - send what the handshake @hs has queued, until the socket would block.
 * @hs: handshake.
 * @fd: the upstream socket.
 *
 * Return: 0 (all sent, or EAGAIN / EINPROGRESS: wait for EPOLLOUT) or a negative errno.
 */
int relay_hs_send(struct proxy_hs *hs, int fd);

/**
 * relay_subject_listen() - open the subject's transparent listeners.
 * @r: relay.
 * @rs: the subject's relay state; its lis[] are set.
 * @nsfd: the subject's namespace.
 *
 * Return: 0 or a negative errno.  Listeners already open are kept.
 */
int relay_subject_listen(struct relay *r, struct relay_subject *rs, int nsfd);

/**
 * relay_on_listener() - accept every pending connection on @ev.
 * @r: relay.
 * @rs: the subject that owns @ev.
 * @ev: one of rs->lis.
 */
void relay_on_listener(struct relay *r, struct relay_subject *rs, struct ev *ev);

/**
 * relay_on_endpoint() - accept clients of an in-namespace endpoint (socks-port, http-port).
 * @r: relay.
 * @rs: the subject that owns @ev.
 * @ev: one of rs->ep.
 */
void relay_on_endpoint(struct relay *r, struct relay_subject *rs, struct ev *ev);

/**
 * relay_on_conn() - progress the connection behind @ev (EV_APP or EV_UP).
 * @r: relay.
 * @ev: the connection's app or upstream ev.
 * @events: epoll events.
 */
void relay_on_conn(struct relay *r, struct ev *ev, uint32_t events);

struct egress_waiter;

/**
 * relay_on_egress() - the socket a waiting connection queued for (egress_set_on_event()).
 * @arg: the struct relay.
 * @w: the connection's waiter.
 * @fd: the socket (owned from now on) or a negative errno: the connection fails.
 */
void relay_on_egress(void *arg, struct egress_waiter *w, int fd);

/**
 * relay_tunnel_open() - a stream to @dst through @rs's chain, for the daemon's own use.
 * @r: relay.
 * @rs: subject whose chain carries it.
 * @dst: destination (address or name).
 *
 * The far end of a socketpair is relayed like an app's connection: bytes
 * written to the returned fd before the tunnel is up wait in its buffer;
 * a failure shows as EOF or a reset on it.
 *
 * Return: a non-blocking fd (owned by the caller), or a negative errno.
 */
int relay_tunnel_open(struct relay *r, struct relay_subject *rs, const struct proxy_target *dst);

/**
 * relay_fake_target() - map a destination that may be a fake address (fake_map.c).
 * @rs: subject.
 * @t: the destination as an address; replaced by the name when it is a mapped fake address.
 *
 * A mapped fake address takes a reference that keeps the mapping from being
 * reused; release it with relay_fake_put() and the *original* address.
 *
 * Return: 0 (not a fake address: @t unchanged), 1 (@t is now the name),
 * -EHOSTUNREACH (inside the fake range but not mapped: refuse the flow).
 */
int relay_fake_target(struct relay_subject *rs, struct proxy_target *t);

/**
 * relay_fake_put() - drop the reference relay_fake_target() took.
 * @rs: subject.
 * @family: AF_INET or AF_INET6.
 * @addr: the fake address (4 or 16 bytes).
 */
void relay_fake_put(struct relay_subject *rs, int family, const void *addr);

/**
 * relay_udp_mode() - how a profile's UDP can be carried (udp.c).
 * @chain: the profile's chain.
 * @udp_on: the profile's `udp` key.
 * @why: receives the reason when refused ("udp = off", "an HTTP proxy cannot carry UDP", ...).
 * @len: size of @why.
 *
 * Return: the mode.
 */
enum relay_udp_mode relay_udp_mode(const struct relay_chain *chain, bool udp_on, char *why,
				   size_t len);

/**
 * typedef relay_udp_probe_fn - told the outcome of relay_udp_probe_start().
 * @rs: the subject probed.
 * @err: 0 (UDP ASSOCIATE granted), or a negative errno: the subject is now
 *       RELAY_UDP_REFUSED with @rs->udp_why saying why, its UDP listeners
 *       and flows closed; the caller re-applies its routing refusal.
 * @arg: the caller's argument.
 */
typedef void relay_udp_probe_fn(struct relay_subject *rs, int err, void *arg);

/**
 * relay_udp_on_event() - an EV_UDP fd is ready (udp.c).
 * @r: relay.
 * @ev: the fd's ev.
 * @events: epoll events.
 */
void relay_udp_on_event(struct relay *r, struct ev *ev, uint32_t events);

/**
 * relay_limits() - the connection caps that an fd limit allows (accept.c).
 * @nofile: RLIMIT_NOFILE (soft, after raising it to the hard limit).
 * @n_subjects: subjects that share it (at least 1 is assumed).
 * @per_subject: receives the derived per-subject default of max-connections.
 *
 * Return: the daemon-wide cap on slots (r->max_slots).
 */
uint64_t relay_limits(uint64_t nofile, size_t n_subjects, uint64_t *per_subject);

/**
 * relay_admit() - may @rs hold one more connection, UDP flow or DNS client? (accept.c)
 * @r: relay.
 * @rs: subject.
 * @udp: a UDP flow (counted in udp_refused) rather than a TCP connection.
 *
 * Beyond the subject's max_conns, or the daemon's fd budget, the refusal is
 * counted in @rs's stats and logged at most once a minute.
 *
 * Return: true to go ahead.
 */
bool relay_admit(struct relay *r, struct relay_subject *rs, bool udp);

/**
 * relay_accept() - accept4() on one of @rs's listeners, whatever the subject did to it (accept.c).
 * @r: relay.
 * @rs: the subject that owns @ev.
 * @ev: the listener (lis, ep, or the resolver's TCP listener).
 * @what: the listener, for messages ("TCP relay", "SOCKS5 endpoint", ...).
 *
 * A listener that the subject destroyed (ss -K: accept() fails with EINVAL
 * for ever, and epoll reports it ready for ever) is unregistered and closed,
 * and @rs->relisten set so the next tick recreates it (relay_subject_relisten()).
 * At EMFILE / ENFILE the spare fd makes room to accept and reset one
 * connection, so the backlog drains instead of spinning; when even that
 * fails the listener is closed and recreated like a dead one.
 *
 * Return: the accepted non-blocking fd; -EAGAIN: stop this batch (nothing
 * more, or @ev was closed); -ECONNABORTED: that one was lost, go on.
 */
int relay_accept(struct relay *r, struct relay_subject *rs, struct ev *ev, const char *what);

/**
 * relay_reset_close() - close @fd with a reset (SO_LINGER 0): a refusal the app sees at once.
 * @fd: socket.
 */
void relay_reset_close(int fd);

/**
 * relay_subject_relisten() - recreate the listeners that relay_accept() closed (accept.c).
 * @r: relay.
 * @rs: subject with @rs->relisten set.
 * @nsfd: its namespace.
 *
 * The same code that opened them at apply (relay_subject_listen(),
 * relay_dns_reopen()); @rs->relisten stays set while it fails.
 *
 * Return: 0 or a negative errno.
 */
int relay_subject_relisten(struct relay *r, struct relay_subject *rs, int nsfd);

/*
 * The relay's API for one subject.  The daemon hands the profile and the
 * Derivative entry over; the relay makes its listeners, UDP relay and
 * resolver from them.
 */
struct relay_subject_conf {
	const struct profile_conf *p;	/* socks-port, http-port, dns, dns-server, ipv6 */
	const struct subject_state *st; /* the fake ranges and the stored mappings */
	relay_udp_probe_fn *udp_probed; /* told the UDP probe's outcome (relay_udp_probe_start()) */
	void *arg;			/* passed to @udp_probed */
};

/**
 * relay_subject_open() - open (or, applied again, converge) what @rs serves in @nsfd (relay.c).
 * @r: relay.
 * @rs: subject whose chain, routes and udp_mode are set.
 * @nsfd: its namespace.
 * @conf: what it is opened from.
 * @what: receives what failed ("listeners", "UDP relay", "resolver").
 *
 * Listeners already open are kept; so is the resolver's pool while its
 * ranges stay the same.
 *
 * Return: 0 or a negative errno.
 */
int relay_subject_open(struct relay *r, struct relay_subject *rs, int nsfd,
		       const struct relay_subject_conf *conf, const char **what);

/**
 * relay_subject_stop() - close listeners and the UDP relay, reset every live
 * connection; the resolver and its fake-IP pool stay for the next open (relay.c).
 * @r: relay.
 * @rs: the subject.
 */
void relay_subject_stop(struct relay *r, struct relay_subject *rs);

/**
 * relay_subject_close() - relay_subject_stop(), and close the resolver and its pool (relay.c).
 * @r: relay.
 * @rs: the subject (its chain and routes stay: relay_chain_free(), relay_routes_free()).
 */
void relay_subject_close(struct relay *r, struct relay_subject *rs);

/**
 * relay_subject_tick() - once a second: time out forwarded DNS queries,
 * recreate listeners the subject killed (relay.c).
 * @r: relay.
 * @rs: subject.
 * @nsfd: its namespace, or -1 (not applied: nothing is recreated).
 * @now: CLOCK_MONOTONIC seconds.
 *
 * Return: true when fake mappings were made since the last tick (to be saved).
 */
bool relay_subject_tick(struct relay *r, struct relay_subject *rs, int nsfd, uint64_t now);

/**
 * relay_subject_stats() - the counters of @rs, for status (relay.c).
 * @rs: subject.
 * @out: receives them.
 */
void relay_subject_stats(const struct relay_subject *rs, struct relay_stats *out);

/**
 * relay_subject_live() - connections of @rs on every loop, and those handed to a
 * worker that has not taken them in yet (relay.c; main thread).
 * @rs: subject.
 *
 * Return: their number (for a moment one may count twice, never not at all).
 */
uint64_t relay_subject_live(const struct relay_subject *rs);

/**
 * relay_subject_spreads() - may @rs's connections be served by worker threads? (relay.c)
 * @rs: subject with its chains built.
 *
 * Not when a chain goes through an egress namespace or the `netnsp run`
 * broker, or asks the subject's sock_diag socket (isolate = app): those
 * are the main loop's.
 *
 * Return: true if so.
 */
bool relay_subject_spreads(const struct relay_subject *rs);

/**
 * relay_subject_last_error() - copy the last failure of @rs (relay.c).
 * @rs: subject.
 * @buf: receives the text.
 * @len: size of @buf.
 *
 * Return: when it happened (CLOCK_REALTIME seconds), 0 for never.
 */
int64_t relay_subject_last_error(struct relay_subject *rs, char *buf, size_t len);

/**
 * relay_tick() - reset connections whose handshake took too long, expire idle UDP flows.
 * @r: relay.
 * @now: CLOCK_MONOTONIC seconds.
 */
void relay_tick(struct relay *r, uint64_t now);

#endif
