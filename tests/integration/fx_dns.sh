# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# fx_dns.sh - DNS fixtures (sourced by lib.sh, never run): a dnsmasq in W that
# logs every query it sees, and dig inside a subject reduced to one line.

DNS4=203.0.113.53      # the DNS tests' resolver address in W (w_service)
DNS6=2001:db8:100::53

# start_dnsmasq_w ADDR [DNSMASQ ARGS...]: dnsmasq in W on ADDR:53 (added to
# W's lo, routed from P1: w_service) and on any other --listen-address in
# ARGS, every query logged to $T/dnsmasq.log (made empty first); waits until
# it answers, probed with a name no test asks (localhost.test), so the log's
# lines for the tests' names are the subjects' own.
start_dnsmasq_w() {
	local a=$1
	shift
	w_service "$a" "$NS_P1" || return 1
	: >"$T/dnsmasq.log"
	bg nsx "$NS_W" dnsmasq --keep-in-foreground --no-resolv --no-hosts --pid-file= \
		--user=root --group=root --log-queries --log-facility="$T/dnsmasq.log" \
		--listen-address="$a" --bind-interfaces --port=53 "$@" 2>>"$T/dnsmasq.err"
	DNSMASQ_PID=$LAST_PID
	wait_until 10 nsx "$NS_W" dig +tries=1 +time=1 +short @"$a" localhost.test A >/dev/null
}

# dig_in PROFILE ARGS...: dig inside the subject, one line: "STATUS TYPE=DATA ..."
# (DATA's spaces as "_"), "NONE" if no reply (after 4 s: generous on a busy
# machine; no test expects silence from it).
dig_in() {
	local prof=$1
	shift
	nexec "$prof" dig +tries=1 +time=4 +noall +comments +answer "$@" 2>&1 |
		awk '/status:/ { sub(/,.*/, "", $6); st = $6 }
		     !/^;/ && NF >= 5 { d = $5; for (i = 6; i <= NF; i++) d = d "_" $i
		                        a = a " " $4 "=" d }
		     END { print (st ? st : "NONE") a }'
}

# dig_query_ms <DIG-OUTPUT: the "Query time" dig printed (from its query to
# the answer: neither dig's nor netnsp exec's start-up is in it, which on a
# busy machine can take longer than an "at once" budget); empty if no answer.
dig_query_ms() { sed -n 's/^;; Query time: \([0-9]*\) msec.*/\1/p'; }
