#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# deps.sh - install every Debian package netnsp needs to build and test.
# The one list of dependencies; test.sh, demo.sh and .ci/run use it.
# Needs root.  Skips apt when everything is already installed, unless
# NETNSP_DEPS_UPDATE=1 or CI is set (CI machines are fresh: always update).
set -euo pipefail

BUILD_DEPS=(meson ninja-build pkg-config gcc clang clang-format libnftables-dev libmnl-dev
	libinih-dev libjson-c-dev)
TEST_DEPS=(nftables iproute2 microsocks tinyproxy dante-server curl iperf3 dnsutils
	dnsmasq-base tcpdump socat python3 util-linux procps iputils-ping
	tor i2pd busybox-static proxychains4 redsocks tmux python3-pexpect
	debhelper devscripts lintian fakeroot dpkg-dev systemd nix-bin zsh fish
	systemd-container)

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: must run as root (apt-get install)" >&2
	exit 1
fi

missing=()
for p in "${BUILD_DEPS[@]}" "${TEST_DEPS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ] && [ -z "${CI:-}" ] && [ -z "${NETNSP_DEPS_UPDATE:-}" ]; then
	echo "deps.sh: all ${#BUILD_DEPS[@]} build and ${#TEST_DEPS[@]} test packages installed"
	exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# Debian's tinyproxy and danted packages start system services on install;
# the tests run their own instances, so keep the packaged ones from starting.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 0755 /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -q --no-install-recommends "${BUILD_DEPS[@]}" "${TEST_DEPS[@]}" </dev/null
