#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_completion.sh - the shell completions in data/completions: bash loads
# them (`complete -p netnsp`), completes commands (the table of `netnsp
# --help`), options, and profile names read from the config that the
# command line names (--config F, --config=F, $NETNSP_CONFIG); a real
# interactive bash completes on TAB; fish's engine (complete -C) offers the
# same; zsh parses its file.  No network, no namespaces:
#
#   bash (scripted: COMP_WORDS/COMP_CWORD -> _netnsp -> COMPREPLY)
#     |-- netnsp --help (PATH -> $NETNSP)       commands
#     `-- $T/c.conf  [profile alpha] [ profile beta ] [proxy p]   profiles
#   bash -i under pexpect: "netnsp ex<TAB>" -> "netnsp exec "
. "$(dirname "$0")/lib.sh"
lib_init awk

COMP=$SRC_ROOT/data/completions
mkdir -p "$T/bin"
ln -s "$NETNSP" "$T/bin/netnsp"
cat >"$T/c.conf" <<-EOF
	[proxy p]
	url = socks5://198.51.100.2:1080

	[profile alpha]
	via = p

	  [ profile  beta ]   # spaces inside the brackets are fine
	via = p
EOF
cat >"$T/other.conf" <<-EOF
	[proxy p]
	url = socks5://198.51.100.2:1080
	[profile gamma]
	via = p
EOF

# comp WORD...: what _netnsp offers for the last word (space-separated, sorted).
comp() {
	PATH=$T/bin:$PATH bash --norc --noprofile -c '
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_netnsp
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " " | sed "s/ $//"' \
		_ "$COMP/netnsp.bash" "$@"
}

got=$(PATH=$T/bin:$PATH bash --norc --noprofile -c '. "$1" && complete -p netnsp' _ "$COMP/netnsp.bash")
is "$got" "complete -F _netnsp netnsp" "bash: complete -p netnsp after loading the file"

want=$("$NETNSP" --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }' |
	sort | tr '\n' ' ' | sed 's/ $//')
[ -n "$want" ] && [[ " $want " == *" exec "* ]]
tap_ok $? "netnsp --help lists the commands ($want)"
is "$(comp netnsp '')" "$want" "netnsp <TAB>: every command of netnsp --help"
is "$(comp netnsp st)" "status" "netnsp st<TAB>: status"
is "$(comp netnsp --ver)" "--verbose --version" "netnsp --ver<TAB>: global options"
is "$(comp netnsp --config "$T/c.conf" exec '')" "alpha beta" \
	"exec <TAB> with --config F: the config's profiles, not its proxies"
is "$(comp netnsp --config = "$T/c.conf" down a)" "alpha" \
	"--config=F (split at '=' by bash) then down a<TAB>: alpha"
is "$(NETNSP_CONFIG=$T/other.conf comp netnsp -v gc '')" "--all gamma" \
	"no --config: profiles from \$NETNSP_CONFIG (gc: and --all)"
is "$(NETNSP_CONFIG=$T/other.conf comp netnsp --config "$T/c.conf" attach 1 '')" "alpha beta" \
	"--config wins over \$NETNSP_CONFIG (attach PID <TAB>)"
is "$(comp netnsp --config "$T/c.conf" exec alpha '')" "--" "exec PROFILE <TAB>: --"
got=$(comp netnsp --config "$T/c.conf" exec alpha -- bas)
[[ " $got " == *" bash "* ]]
tap_ok $? "exec PROFILE -- bas<TAB>: commands from PATH (bash among: ${got:0:60})"
is "$(comp netnsp status --j)" "--json" "status --j<TAB>: --json"
is "$(comp netnsp reload --d)" "--dry-run" "reload --d<TAB>: --dry-run"
is "$(comp netnsp --config "$T/c.co")" "$T/c.conf" "--config <TAB>: file names"
chmod 000 "$T/other.conf"
got=$(NETNSP_CONFIG=$T/other.conf setpriv --reuid=65534 --regid=65534 --clear-groups \
	bash --norc --noprofile -c '. "$1"; COMP_WORDS=(netnsp exec ""); COMP_CWORD=2; _netnsp 2>&1
	echo "n=${#COMPREPLY[@]}"' _ "$COMP/netnsp.bash" 2>&1)
is "$got" "n=0" "a config the user cannot read: no profiles, no error"

# A real interactive bash: type "netnsp ... ex", TAB, and read what it inserted.
"$PYTHON" - "$COMP/netnsp.bash" "$T/bin" "$T/c.conf" >"$T/pexpect.out" 2>&1 <<-'PY'
	import os, sys, pexpect
	comp, bindir, conf = sys.argv[1:4]
	env = dict(os.environ, PATH=bindir + ":" + os.environ["PATH"], PS1="P> ", TERM="dumb")
	sh = pexpect.spawn("bash", ["--norc", "--noprofile", "-i"], env=env, encoding="utf-8", timeout=10)
	sh.expect_exact("P> ")
	sh.sendline(". " + comp)
	sh.expect_exact("P> ")
	# Complete on a netnsp command line, then (Ctrl-A) prefix "echo " so
	# Enter prints the line readline built instead of running it.
	sh.send("netnsp --config " + conf + " ex\t")
	sh.send("al\t")
	sh.send("\x01echo \n")
	sh.expect(r"\r\n(netnsp .*)\r\n")
	print(sh.match.group(1).strip())
	sh.sendline("exit")
PY
is "$(tail -n 1 "$T/pexpect.out")" "netnsp --config $T/c.conf exec alpha" \
	"interactive bash: 'ex<TAB>al<TAB>' completes to 'exec alpha'" || diag_file "$T/pexpect.out"

if command -v zsh >/dev/null; then
	zsh -n "$COMP/_netnsp"
	tap_ok $? "zsh -n _netnsp"
else
	skip "zsh not installed" "zsh parses _netnsp"
fi
if command -v fish >/dev/null; then
	fish --no-execute "$COMP/netnsp.fish"
	tap_ok $? "fish --no-execute netnsp.fish"
	# fish's own completion engine: complete -C "LINE" prints "candidate<TAB>description".
	fcomp() { PATH=$T/bin:$PATH fish --no-config -c 'source $argv[1]; complete -C $argv[2]' "$COMP/netnsp.fish" "$1" |
		cut -f1 | sort | tr '\n' ' ' | sed 's/ $//'; }
	is "$(fcomp "netnsp --config $T/c.conf exec ")" "alpha beta" "fish: exec <TAB>: the config's profiles"
	is "$(fcomp "netnsp status --")" "--json" "fish: status --<TAB>: --json"
	is "$(fcomp "netnsp ")" "$want" "fish: netnsp <TAB>: every command of netnsp --help"
else
	skip "fish not installed" "fish parses netnsp.fish"
	skip "fish not installed" "fish: exec <TAB>: the config's profiles"
	skip "fish not installed" "fish: status --<TAB>: --json"
	skip "fish not installed" "fish: netnsp <TAB>: every command of netnsp --help"
fi
tap_done
