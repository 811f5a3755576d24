#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_reconcile.sh - docs/GUARANTEES.md 7, start-up reconciliation of named subjects:
#   A. the /run/netns file is gone (daemon stopped, `ip netns del`): created
#      again, the Derivative entry reused (same id, same uplink address);
#   B. the file holds another namespace (`ip netns del` + `ip netns add` the
#      same name): logged, old entry dropped, derived anew (new id), applied,
#      and traffic goes through the proxy;
#   C. the same, but the new namespace got the old one's inode number (nsfs
#      reuses inode numbers after delete and add; when the kernel won't within
#      300 rounds, the Derivative is made to record the new namespace's inode
#      with the old cookie, which is what reuse shows the daemon): still
#      foreign, told apart by the netns cookie, never by (dev, ino) alone;
#   D. the state dir used by a daemon started in another host namespace (H2):
#      the recorded root namespace differs, the daemon refuses (exit 1).
#
#   [S rc: curl via `netnsp exec`]   no link; daemon's listeners inside
#        ^ setns
#   [H: netnsp daemon]  198.51.100.1          [H2: second daemon, refused]
#        | veth                                    (no links)
#   [P1: microsocks :1080]  198.51.100.2
#        | veth  203.0.113.1
#   [W: world.py 203.0.113.100:80 -> "client=ADDR"]
. "$(dirname "$0")/lib.sh"
lib_init microsocks setpriv

topo_p1_up
S=$(subject_ns rc)

conf_p1 rc other >"$CONF"

daemon_up
expect_client rc "http://$W4/" "$P1_W4" "rc proxies through P1"
id0=$(state_id rc)
ino0=$(state_q "n['rc']['ns']['ino']")
other0=$(state_id other)
is "$(ns_uplink4 "$S")" "$(id_uplink4 "${id0:-0}")" "uplink address is 100.64.0.0 + 4*id + 1 (id $id0)"
is "$(stat -L -c %i "/run/netns/$S")" "$ino0" "state records the inode of /run/netns/$S"

# ------------------------------------------------------------ A: file missing
stop_daemon
is "$?" 0 "SIGTERM: daemon exits 0"
ip netns del "$S" || bail "ip netns del $S"
[ ! -e "/run/netns/$S" ] || bail "/run/netns/$S still there"
restart_ready "A: restart with /run/netns/$S missing: every subject applied"
[ -e "/run/netns/$S" ]
tap_ok $? "A: /run/netns/$S created again"
is "$(state_id rc)" "$id0" "A: the Derivative entry is reused (same id)"
is "$(ns_uplink4 "$S")" "$(id_uplink4 "${id0:-0}")" "A: same uplink address in the new namespace"
is "$(state_q "n['rc']['ns']['ino']")" "$(stat -L -c %i "/run/netns/$S")" \
	"A: the state records the new namespace's inode"
is "$(state_id other)" "$other0" "A: the other subject keeps its id"
expect_client rc "http://$W4/" "$P1_W4" "A: the recreated subject proxies through P1"
if grep -q 'holds another namespace' "$T/daemon.log"; then
	fail "A: a missing file is not taken for a foreign namespace"
else
	pass "A: a missing file is not taken for a foreign namespace"
fi

# ------------------------------------------------------------ B: foreign namespace
stop_daemon
id1=$(state_id rc)
cookie1=$(state_q "n['rc']['ns']['cookie']")
ip netns del "$S" && ip netns add "$S" || bail "ip netns del/add $S"
log_mark
restart_ready "B: restart with a foreign namespace at /run/netns/$S: every subject applied"
wait_log 'holds another namespace than the recorded one; deriving anew' 10
tap_ok $? "B: logged 'holds another namespace than the recorded one; deriving anew'" ||
	diag_file "$T/daemon.log"
id2=$(state_id rc)
[ -n "$id2" ] && [ "$id2" != "$id1" ] && [ "$id2" -gt "$(state_q "max(s['id'] for s in d['subjects'] if s['name'] != 'rc')")" ]
tap_ok $? "B: derived anew: a new id (was $id1, now ${id2:-none})"
is "$(ns_uplink4 "$S")" "$(id_uplink4 "${id2:-0}")" "B: uplink address follows the new id"
[ "$(state_q "n['rc']['ns']['cookie']")" != "$cookie1" ]
tap_ok $? "B: the state records the new namespace's cookie"
is "$(state_id other)" "$other0" "B: the other subject keeps its id"
expect_client rc "http://$W4/" "$P1_W4" "B: the re-derived subject proxies through P1"
total=$(status_field rc connections_total)
[ "${total:-0}" -ge 1 ] 2>/dev/null
tap_ok $? "B: status counts the connection on rc (connections_total ${total:-none})"

# ------------------------------------------------------------ C: inode reused
stop_daemon
id3=$(state_id rc)
ino3=$(state_q "n['rc']['ns']['ino']")
cookie3=$(state_q "n['rc']['ns']['cookie']")
is "$(stat -L -c %i "/run/netns/$S")" "$ino3" "C: state and /run/netns/$S agree on the inode"
reused=0
fills=0
try=0
ip netns del "$S" 2>/dev/null
for try in $(seq 300); do
	# The old namespace is freed (and its inode number released) by the
	# kernel's cleanup_net work, asynchronously: give it a moment.
	sleep 0.02
	ip netns add "$S" || bail "ip netns add $S"
	ino=$(stat -L -c %i "/run/netns/$S")
	if [ "$ino" = "$ino3" ]; then
		reused=1
		break
	fi
	if [ "$ino" -lt "$ino3" ]; then
		# nsfs numbers come from one allocator (all namespace kinds) that
		# hands out the lowest free one: a hole below took it.  Keep that
		# namespace under another name (removed at cleanup), so the next
		# add moves up towards the old number.
		fills=$((fills + 1))
		f=/run/netns/${PFX}f$fills
		touch "$f" && mount --bind "/run/netns/$S" "$f" || bail "hold $f"
	fi
	ip netns del "$S" || bail "ip netns del $S"
done
if [ "$reused" != 1 ]; then
	# Something still holds the old namespace (its number is not free), and
	# the kernel cannot be made to reuse it.  Make the same situation from
	# the other side: record the new namespace's inode in the Derivative
	# while keeping the old cookie.  The daemon sees exactly what a reused
	# inode shows it: same (dev, ino), another cookie.
	ip netns add "$S" || bail "ip netns add $S"
	ino3=$(stat -L -c %i "/run/netns/$S")
	"$PYTHON" - "$T/state/state.json" rc "$ino3" <<-'PY' || bail "edit state.json"
		import json, sys
		path, name, ino = sys.argv[1], sys.argv[2], int(sys.argv[3])
		d = json.load(open(path))
		for s in d["subjects"]:
		    if s.get("name") == name and s.get("kind", "named") == "named":
		        s["ns"]["ino"] = str(ino)  # the Derivative keeps 64-bit numbers as strings
		with open(path, "r+") as f:  # r+ keeps the file's owner and mode
		    f.truncate(0)
		    json.dump(d, f)
	PY
	diag "kernel did not reuse inode within $try rounds ($fills holes filled): state.json now records inode $ino3 (the new namespace's) with the old cookie"
fi
diag "inode $ino3: state and /run/netns/$S agree, cookies differ"
log_mark
restart_ready "C: restart with a new namespace on the recorded inode: every subject applied"
wait_log 'holds another namespace than the recorded one; deriving anew' 10
tap_ok $? "C: same inode, different cookie: taken as foreign (logged)" ||
	diag_file "$T/daemon.log"
id4=$(state_id rc)
[ -n "$id4" ] && [ "$id4" != "$id3" ]
tap_ok $? "C: derived anew (id $id3 -> ${id4:-none})"
is "$(state_q "n['rc']['ns']['ino']")" "$ino3" "C: the new entry has the same inode number"
[ "$(state_q "n['rc']['ns']['cookie']")" != "$cookie3" ]
tap_ok $? "C: ... and a different cookie"
is "$(ns_uplink4 "$S")" "$(id_uplink4 "${id4:-0}")" "C: uplink address follows the new id"
expect_client rc "http://$W4/" "$P1_W4" "C: the re-derived subject proxies through P1"

# ------------------------------------------------------------ D: another root namespace
stop_daemon
sum0=$(sha256sum <"$T/state/state.json")
NS_H2=${PFX}h2
ns_add "$NS_H2" || bail "namespace $NS_H2"
mkdir -m 0700 "$T/run2"
t0=$(now_ms)
timeout 20 nsenter --net="/run/netns/$NS_H2" "$NETNSP" --config "$CONF" --state-dir "$T/state" \
	--run-dir "$T/run2" daemon >"$T/d2.out" 2>"$T/d2.err"
rc=$?
is "$rc" 1 "D: a daemon in another host namespace with the same state dir exits 1 ($(($(now_ms) - t0)) ms)" ||
	diag_file "$T/d2.err"
grep -q "$T/state/state.json" "$T/d2.err"
tap_ok $? "D: its error names the state file" || diag_file "$T/d2.err"
is "$(grep -c '' "$T/d2.err")" 1 "D: the refusal is one line" || diag_file "$T/d2.err"
is "$(sha256sum <"$T/state/state.json")" "$sum0" "D: the state file is left as it was"
[ ! -S "$T/run2/control.sock" ]
tap_ok $? "D: no control socket left in its run dir"
restart_ready "D: the daemon in H still starts with that state"
expect_client rc "http://$W4/" "$P1_W4" "D: rc still proxies through P1"

kill -0 "$DAEMON_PID"
tap_ok $? "daemon still running"
sanitizer_clean
tap_done
