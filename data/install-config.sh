#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# install-config.sh SAMPLE DIR NAME: meson install step that puts SAMPLE at
# $DESTDIR/DIR/NAME (mode 0600: a config may hold proxy passwords) unless a
# file is already there.  An admin's config is never overwritten.
set -eu
sample=$1
dir=${DESTDIR:-}$2
dest=$dir/$3
if [ -e "$dest" ]; then
	echo "install-config: $dest exists, left as it is"
	exit 0
fi
install -d -m 0755 "$dir"
install -m 0600 "$sample" "$dest"
echo "install-config: installed $dest"
