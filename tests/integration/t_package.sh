#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_package.sh - the Debian package, for real: `dpkg-buildpackage -us -uc -b`
# in a temp copy of the tree, lintian (no errors; warnings listed), `dpkg -i`
# (files and modes in place, not setuid), systemd-analyze verify on the
# installed unit, the debconf opt-in that makes netnsp setuid through
# dpkg-statoverride, the installed daemon with its built-in paths and
# `netnsp exec` through it as root and as an unprivileged listed user,
# `dpkg -r` (state kept), `dpkg -P` (state, config, override gone); and the
# Nix files parse and evaluate against stubs (nothing here can fetch nixpkgs).
#
# This installs a package on the machine: it refuses to run (SKIP) if
# netns-proxy is installed or /etc/netns-proxy, /var/lib/netns-proxy or
# /usr/sbin/netnsp exist, and purges everything it installed on any exit.
#
#   dpkg-buildpackage ($T/src) -> netns-proxy_*.deb -> lintian, dpkg -i
#   [S work: curl via /usr/sbin/netnsp exec (root; nobody via setuid)]  no link
#        ^ setns
#   [H: /usr/sbin/netnsp daemon (/etc/netns-proxy/netnsp.conf, /var/lib/netns-proxy)]
#        | 198.51.100.1 -- 198.51.100.2
#   [P1: microsocks :1080] -- 203.0.113.1 -- [W: world.py 203.0.113.100:80]
. "$(dirname "$0")/lib.sh"
lib_init microsocks dpkg-buildpackage lintian dpkg-statoverride debconf-set-selections \
	systemd-analyze setpriv nix-instantiate

SBIN=/usr/sbin/netnsp
# One package test per machine at a time: it owns the real paths below.
exec 9>/run/lock/netnsp-t_package.lock
flock -w 900 9 || bail "another t_package run holds /run/lock/netnsp-t_package.lock"

# ---------------------------------------------------------------- Nix (offline)
nix-instantiate --parse "$SRC_ROOT/nix/package.nix" >/dev/null 2>"$T/nix.err" &&
	nix-instantiate --parse "$SRC_ROOT/nix/module.nix" >/dev/null 2>>"$T/nix.err"
tap_ok $? "nix-instantiate --parse nix/package.nix nix/module.nix" || diag_file "$T/nix.err"
nix-instantiate --eval --strict --json "$SRC_ROOT/tests/nix/eval.nix" >"$T/nix.json" 2>>"$T/nix.err"
"$PYTHON" - "$T/nix.json" <<-'PY'
	import json, sys
	d = json.load(open(sys.argv[1]))
	ok = (d["pname"] == "netns-proxy" and "-Dsetuid=false" in d["mesonFlags"]
	      and d["etcMode"] == "0600" and d["wrapper"]["setuid"] is True
	      and d["wrapper"]["source"].endswith("/bin/netnsp") and d["noWrapperByDefault"]
	      and "route=*.onion tor\nroute=10.0.0.0/8 block\n" in d["ini"]
	      and d["srcFilterDropsBuildDirs"] and d["unitFromPackage"])
	sys.exit(0 if ok else 1)
PY
tap_ok $? "Nix package and module evaluate against stubs (wrapper, 0600 config, repeated keys)" ||
	{ diag_file "$T/nix.json"; diag_file "$T/nix.err"; }

# ---------------------------------------------------------------- preconditions
busy=''
dpkg-query -W -f='${Status}' netns-proxy 2>/dev/null | grep -q 'installed' && busy="netns-proxy is installed"
for p in /etc/netns-proxy /var/lib/netns-proxy "$SBIN"; do
	[ -e "$p" ] && busy="${busy:+$busy, }$p exists"
done
if [ -n "$busy" ]; then
	diag "this machine has a netns-proxy of its own ($busy): not touching it"
	for what in "dpkg-buildpackage, lintian" "dpkg -i, daemon, exec" "dpkg -r, dpkg -P"; do
		skip "real install present: $busy" "$what"
	done
	tap_done
	exit
fi

pkg_cleanup() { # whatever happened: stop our daemon, remove namespaces, purge
	[ -n "$DAEMON_PID" ] && kill -TERM "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=''
	[ -x "$SBIN" ] && nsenter --net="/run/netns/$NS_H" "$SBIN" down >/dev/null 2>&1
	dpkg-query -W -f='${Status}' netns-proxy 2>/dev/null | grep -q 'installed\|config-files' &&
		dpkg -P netns-proxy >>"$T/dpkg.log" 2>&1
	dpkg-statoverride --list "$SBIN" >/dev/null 2>&1 && dpkg-statoverride --remove "$SBIN"
	echo PURGE | debconf-communicate netns-proxy >/dev/null 2>&1
	rm -rf /etc/netns-proxy /var/lib/netns-proxy /run/netns-proxy
}
at_cleanup pkg_cleanup

# ---------------------------------------------------------------- build + lint
VER=$(sed -n '1s/^netns-proxy (\([^)]*\)).*/\1/p' "$SRC_ROOT/debian/changelog")
mkdir -p "$T/src/netns-proxy-$VER"
tar -C "$SRC_ROOT" --exclude='./build*' --exclude=./.git -cf - . | tar -C "$T/src/netns-proxy-$VER" -xf -
t0=$(now_ms)
(cd "$T/src/netns-proxy-$VER" && dpkg-buildpackage -us -uc -b) >"$T/build.log" 2>&1
rc=$?
debs=("$T"/src/netns-proxy_"$VER"_*.deb)
DEB=''
[ -f "${debs[0]}" ] && DEB=${debs[0]}
[ "$rc" -eq 0 ] && [ -n "$DEB" ]
tap_ok $? "dpkg-buildpackage -us -uc -b ($(( ($(now_ms) - t0) / 1000 )) s): ${DEB##*/}" ||
	{ diag_file "$T/build.log" 30; bail "no package"; }
lintian --tag-display-limit 0 "$DEB" >"$T/lintian.log" 2>&1
grep -E '^[EW]: ' "$T/lintian.log" | sed 's/^/#   lintian /'
errors=$(grep -c '^E: ' "$T/lintian.log")
is "$errors" 0 "lintian: no errors ($(grep -c '^W: ' "$T/lintian.log") warnings)"

# ---------------------------------------------------------------- install
dpkg -i "$DEB" >"$T/dpkg.log" 2>&1
tap_ok $? "dpkg -i" || diag_file "$T/dpkg.log"
is "$(stat -c '%a %U' "$SBIN" 2>/dev/null)" "755 root" "$SBIN installed 0755 root: not setuid by default"
for f in /lib/systemd/system/netnsp.service /usr/share/man/man1/netnsp.1.gz \
	/usr/share/bash-completion/completions/netnsp /usr/share/zsh/vendor-completions/_netnsp \
	/usr/share/fish/vendor_completions.d/netnsp.fish /usr/share/doc/netns-proxy/README.Debian; do
	[ -f "$f" ] || missing="${missing:-} $f"
done
[ -z "${missing:-}" ]
tap_ok $? "unit, man page, completions, README.Debian in place${missing:+ (missing:$missing)}"
[ "$(stat -c %a /etc/netns-proxy/netnsp.conf 2>/dev/null)" = 600 ] &&
	dpkg-query --showformat='${Conffiles}' -W netns-proxy | grep -q /etc/netns-proxy/netnsp.conf
tap_ok $? "/etc/netns-proxy/netnsp.conf: a conffile, mode 0600"
systemd-analyze verify /lib/systemd/system/netnsp.service >"$T/verify.log" 2>&1 && ! [ -s "$T/verify.log" ]
tap_ok $? "systemd-analyze verify on the installed unit" || diag_file "$T/verify.log"
bash --norc -c '. /usr/share/bash-completion/completions/netnsp && complete -p netnsp' >/dev/null
tap_ok $? "the installed bash completion loads"

echo 'netns-proxy netns-proxy/setuid boolean true' | debconf-set-selections
DEBIAN_FRONTEND=noninteractive dpkg-reconfigure netns-proxy >>"$T/dpkg.log" 2>&1
is "$(stat -c %a "$SBIN") $(dpkg-statoverride --list "$SBIN")" "4755 root root 4755 $SBIN" \
	"debconf opt-in: setuid root through dpkg-statoverride"

# ---------------------------------------------------------------- run it
topo_p1_up
cat >/etc/netns-proxy/netnsp.conf <<-EOF
	[proxy p1]
	url = socks5://$P1_H4:1080

	[profile work]
	via = p1
	netns = $(subject_ns work)
	users = nobody
EOF
ins() { nsenter --net="/run/netns/$NS_H" "$SBIN" "$@"; } # the installed binary, built-in paths
bg nsenter --net="/run/netns/$NS_H" "$SBIN" daemon 2>>"$T/daemon.log"
DAEMON_PID=$LAST_PID
wait_until 10 ins status >/dev/null 2>&1 && wait_until 10 ins status --json 2>/dev/null | grep -q '"applied": *true'
tap_ok $? "installed daemon up with /etc/netns-proxy/netnsp.conf" || diag_file "$T/daemon.log"
is "$(ins exec work -- curl -gsS --max-time 8 "http://$W4/" 2>"$T/curl.err")" "client=$P1_W4" \
	"installed netnsp exec (root): through P1" || diag_file "$T/curl.err"
got=$(nsenter --net="/run/netns/$NS_H" setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$SBIN" exec work -- sh -c 'id -u; curl -gsS --max-time 8 "http://'"$W4"'/"' 2>"$T/curl.err" | tr '\n' ' ')
is "$got" "65534 client=$P1_W4 " "installed setuid netnsp exec as nobody (listed): runs as nobody, through P1" ||
	diag_file "$T/curl.err"
[ -f /var/lib/netns-proxy/state.json ] && [ "$(stat -c %a /var/lib/netns-proxy)" = 700 ]
tap_ok $? "state in /var/lib/netns-proxy (0700)"

# ---------------------------------------------------------------- remove, purge
stop_daemon
ins down >>"$T/daemon.log" 2>&1 # the namespaces and /etc/netns entries; the state file stays
dpkg -r netns-proxy >>"$T/dpkg.log" 2>&1 && ! [ -e "$SBIN" ]
tap_ok $? "dpkg -r removes the binary" || diag_file "$T/dpkg.log"
[ -f /var/lib/netns-proxy/state.json ] && [ -f /etc/netns-proxy/netnsp.conf ]
tap_ok $? "dpkg -r keeps /var/lib/netns-proxy/state.json and the config"
dpkg -P netns-proxy >>"$T/dpkg.log" 2>&1
tap_ok $? "dpkg -P" || diag_file "$T/dpkg.log"
left=$(ls -d /var/lib/netns-proxy /etc/netns-proxy /run/netns-proxy 2>/dev/null)
ov=$(dpkg-statoverride --list "$SBIN")
is "$left|$ov|$(dpkg-query -W -f='${Status}' netns-proxy 2>/dev/null)" "||" \
	"after purge: no state, config, run dir, statoverride or package"
sanitizer_clean
tap_done
