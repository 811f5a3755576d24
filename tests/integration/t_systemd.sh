#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_systemd.sh - what systemd sees of netnsp, on a machine whose PID 1 is not
# systemd: `meson install` into a DESTDIR (files, modes, the sample config
# never replacing an existing one); `systemd-analyze verify` on the installed
# unit and `systemd-analyze security` (score printed, must stay <= 5.5); no
# option that would put the daemon in a mount namespace of its own; then the
# daemon under a stand-in notification socket: READY=1 with STATUS= only once
# the subject is applied, RELOADING=1 ... READY=1 around SIGHUP reloads (also
# a refused one), STOPPING=1; journal priority prefixes only when stderr is
# the stream $JOURNAL_STREAM names.
#
#   meson install --destdir $T/dest (build/)
#   [S work: curl via `netnsp exec`]   no link
#        ^ setns
#   [H: netnsp daemon  NOTIFY_SOCKET=$T/notify  JOURNAL_STREAM=dev:ino of its stderr]
#        |                                   \---> notify_sink.py (bound at $T/notify)
#   [P1: microsocks :1080]  198.51.100.2
#        | 203.0.113.1
#   [W: world.py 203.0.113.100:80]
. "$(dirname "$0")/lib.sh"
lib_init microsocks meson systemd-analyze

BUILD=${NETNSP_BUILD:-$SRC_ROOT/build}
[ -f "$BUILD/build.ninja" ] || bail "no meson build dir at $BUILD (meson setup build, or set NETNSP_BUILD)"

# ---------------------------------------------------------------- meson install
DEST=$T/dest
meson install -C "$BUILD" --destdir "$DEST" --no-rebuild >"$T/install.log" 2>&1
tap_ok $? "meson install --destdir" || diag_file "$T/install.log"
find "$DEST" -type f >"$T/files"
bin=$(grep -m1 '/sbin/netnsp$' "$T/files")
unit=$(grep -m1 '/systemd/system/netnsp.service$' "$T/files")
conf=$DEST/etc/netns-proxy/netnsp.conf
[ -n "$bin" ] && [ "$(stat -c %a "$bin")" = 755 ]
tap_ok $? "netnsp in sbindir, mode 0755 without -Dsetuid=true (${bin#"$DEST"})"
for f in /man1/netnsp.1 /bash-completion/completions/netnsp /_netnsp \
	/fish/vendor_completions.d/netnsp.fish /doc/netns-proxy/netnsp.conf.example; do
	grep -q -- "$f\$" "$T/files" || missing="${missing:-} $f"
done
[ -n "$unit" ] && [ -z "${missing:-}" ]
tap_ok $? "unit, man page, completions (bash, zsh, fish), example config installed${missing:+ (missing:$missing)}"
is "$(stat -c %a "$conf" 2>/dev/null)" 600 "sample config at /etc/netns-proxy/netnsp.conf, mode 0600"
echo "# the admin's own" >"$conf"
meson install -C "$BUILD" --destdir "$DEST" --no-rebuild >>"$T/install.log" 2>&1
is "$(cat "$conf")" "# the admin's own" "a second install leaves an existing config alone"
grep -q "^ExecStart=$(grep -o '/[^ ]*/sbin/netnsp' <<<"$bin" | sed "s|^$DEST||") daemon\$" "$unit"
tap_ok $? "the unit's ExecStart is the installed binary"

# ---------------------------------------------------------------- systemd-analyze
# verify needs ExecStart's binary to exist: point it at the DESTDIR copy.
sed "s|=/[^ ]*/sbin/netnsp|=$bin|" "$unit" >"$T/netnsp.service"
systemd-analyze verify --man=no "$T/netnsp.service" >"$T/verify.log" 2>&1 && ! [ -s "$T/verify.log" ]
tap_ok $? "systemd-analyze verify: no complaint" || diag_file "$T/verify.log"
systemd-analyze security --offline=true "$T/netnsp.service" >"$T/security.log" 2>&1
score=$(sed -n 's/.*Overall exposure level for netnsp.service: \([0-9.]*\).*/\1/p' "$T/security.log")
diag "systemd-analyze security: exposure $score (0 = locked down, 10 = unprotected)"
grep -E '^✗' "$T/security.log" | sed 's/  */ /g' | cut -c1-100 | sed 's/^/#   /'
[ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 5.5) }'
tap_ok $? "systemd-analyze security: exposure $score <= 5.5"
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tr ' ' '\n' | sort | tr '\n' ' ')
is "$caps" "CAP_DAC_READ_SEARCH CAP_NET_ADMIN CAP_NET_BIND_SERVICE CAP_SYS_ADMIN CAP_SYS_PTRACE " \
	"capability bounding set: exactly the five the daemon uses"
# Each of these makes systemd give the service its own mount namespace, where
# the /run/netns/NAME bind mounts would be invisible to the host (see the unit).
mntns=$(grep -E '^(ProtectSystem|ProtectHome|PrivateTmp|PrivateDevices|PrivateMounts|ReadWritePaths|ReadOnlyPaths|InaccessiblePaths|BindPaths|TemporaryFileSystem|ProtectKernel[A-Za-z]*|ProtectControlGroups|ProtectHostname|ProtectProc|ProcSubset|MountFlags)=' "$unit")
is "$mntns" "" "no option that puts the daemon in a private mount namespace"

# ---------------------------------------------------------------- sd_notify
topo_p1_up
conf_p1 work >"$CONF"
bg "$PYTHON" "$LIB_DIR/notify_sink.py" "$T/notify" "$T/notify.log"
wait_until 5 grep -qs listening "$T/notify.log" || bail "notify sink did not start"
: >"$T/daemon.log"
JS=$(stat -c '%d:%i' "$T/daemon.log")
NOTIFY_SOCKET=$T/notify JOURNAL_STREAM=$JS start_daemon
wait_until 10 grep -q '^READY=1' "$T/notify.log"
tap_ok $? "READY=1 received" || diag_file "$T/notify.log"
is "$(grep -m1 '^READY=1' "$T/notify.log")" "READY=1|STATUS=1 of 1 subjects applied" \
	"READY=1 comes with STATUS=1 of 1 subjects applied"
# READY=1 is sent after the apply: the subject works from that moment.
expect_client work "http://$W4/" "$P1_W4" "at READY=1 the subject already proxies through P1"

log_mark
sed -i 's/^dns = off$/dns = fake/' "$CONF"
kill -HUP "$DAEMON_PID"
readys() { [ "$(grep -c '^READY=1' "$T/notify.log")" -ge "$1" ]; } # readys N: N READY=1 lines, re-read on every try
wait_until 10 readys 2
tail -n 2 "$T/notify.log" >"$T/reload1"
grep -Eq '^RELOADING=1\|MONOTONIC_USEC=[0-9]+$' <(head -n 1 "$T/reload1") &&
	grep -q '^READY=1|STATUS=1 of 1 subjects applied$' <(tail -n 1 "$T/reload1")
tap_ok $? "SIGHUP: RELOADING=1 (with MONOTONIC_USEC) then READY=1 with STATUS" || diag_file "$T/notify.log"
wait_log 'reload: ~ profile work' 5
tap_ok $? "the reload applied the change (log: ~ profile work)"

log_mark
printf '\n[profile bad]\nvia = nowhere\n' >>"$CONF"
kill -HUP "$DAEMON_PID"
wait_until 10 readys 3
tail -n 2 "$T/notify.log" >"$T/reload2"
grep -q '^RELOADING=1' <(head -n 1 "$T/reload2") &&
	grep -q '^READY=1|STATUS=1 of 1 subjects applied$' <(tail -n 1 "$T/reload2")
tap_ok $? "a refused reload (config error) still ends with READY=1, old status" ||
	diag_file "$T/notify.log"

# Journal priorities: stderr is the file JOURNAL_STREAM names.
wait_log 'reload refused' 5
grep -q '^<3>netnsp: reload refused' "$T/daemon.log"
tap_ok $? "error lines start with <3> when stderr is the journal stream" || diag_file "$T/daemon.log"
grep -q '^<6>netnsp: ready: 1 of 1 subjects applied' "$T/daemon.log"
tap_ok $? "info lines start with <6>"
n=$(grep '^netnsp: ' "$T/daemon.log" | grep -vc 'Sanitizer')
is "$n" 0 "no daemon line without a priority prefix"
JOURNAL_STREAM=$JS nsp no-such-command 2>"$T/cli.err" >/dev/null
grep -q '^netnsp: ' "$T/cli.err" && ! grep -q '^<' "$T/cli.err"
tap_ok $? "same JOURNAL_STREAM, stderr elsewhere: no prefix ($(head -c 60 "$T/cli.err"))"

stop_daemon
wait_until 5 grep -q '^STOPPING=1' "$T/notify.log"
tap_ok $? "SIGTERM: STOPPING=1" || diag_file "$T/notify.log"
sanitizer_clean
tap_done
