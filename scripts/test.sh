#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test.sh - install deps, build (regular, ASan+UBSan, libFuzzer), check
# formatting, run unit tests (ASan), integration tests (ASan daemon), fuzz
# targets, and print one summary line per suite and "N passed, N failed".
# Exit status: 0 only if nothing failed.  Needs root (namespaces, apt).
#
# Environment: FUZZ_TIME (seconds per fuzz target, default 30),
# IT_TIMEOUT (seconds per integration test, default 600),
# ONLY_IT="t_socks5 t_chain" (run only these integration tests),
# SKIP_DEPS=1 (don't run deps.sh), NETNSP_MUST_WORK=1 (every SKIP is a
# failure: .ci/run sets it, where the test bed is complete).
#
# Tests: meson suite unit (C programs, no privileges), suite kernel (C programs
# that make namespaces, and every tests/integration/t_*.sh, also in suite
# integration).  This script runs the C programs through meson and the t_*.sh
# itself (the same glob tests/integration/meson.build uses), for the summary.
set -u
set -o pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
FUZZ_TIME=${FUZZ_TIME:-30}
IT_TIMEOUT=${IT_TIMEOUT:-600}
LOGS=$ROOT/build-asan/test-logs
PASSED=0
FAILED=0
SUMMARY=()

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

say() { printf '\n=== %s\n' "$*"; }
MUST_WORK=${NETNSP_MUST_WORK:-}
export NETNSP_MUST_WORK=$MUST_WORK
# suite NAME PASSED FAILED [NOTE]: record one suite's result.
suite() {
	local name=$1 p=$2 f=$3 note=${4:-} st=PASS
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ] && [ "$MUST_WORK" = 1 ]; then
		f=1 # a suite that checked nothing
		note="${note:+$note; }NETNSP_MUST_WORK=1: nothing checked"
	fi
	PASSED=$((PASSED + p))
	FAILED=$((FAILED + f))
	[ "$f" -gt 0 ] && st=FAIL
	[ "$p" -eq 0 ] && [ "$f" -eq 0 ] && st=SKIP
	SUMMARY+=("$(printf '%-4s %-28s %4d passed, %4d failed%s' "$st" "$name" "$p" "$f" \
		"${note:+  ($note)}")")
}
# tap_count FILE: "PASSED FAILED SKIPPED PLANNED" from TAP lines in FILE.
tap_count() {
	awk '
	/^not ok / { f++; next }
	/^ok .*# [Ss][Kk][Ii][Pp]/ { s++; next }
	/^ok / { p++; next }
	/^1\.\.[0-9]+/ { sub(/^1\.\./, ""); plan += $0 }
	END { printf "%d %d %d %d\n", p, f, s, plan }' "$1"
}
# skipped_lines FILE: the SKIP test points with their reasons.
skipped_lines() { grep -E '^ok .*# [Ss][Kk][Ii][Pp]' "$1" | sed 's/^/    SKIP: /'; }

if [ "$(id -u)" -ne 0 ]; then
	echo "test.sh: must run as root (namespaces, setuid test, apt)" >&2
	exit 1
fi

# ------------------------------------------------------------- deps
if [ -z "${SKIP_DEPS:-}" ]; then
	say "dependencies"
	if bash scripts/deps.sh; then suite deps 1 0; else suite deps 0 1 "deps.sh failed"; fi
fi

# ------------------------------------------------------------- builds
build() { # build DIR [env...] -- meson args
	local dir=$1
	shift
	say "build $dir"
	if [ ! -f "$dir/build.ninja" ]; then
		env "$@" meson setup "$dir" "${MESON_ARGS[@]}" || return 1
	fi
	ninja -C "$dir"
}
MESON_ARGS=()
if build build; then suite build 1 0; else suite build 0 1 "meson/ninja failed"; fi
MESON_ARGS=(-Db_sanitize=address,undefined -Db_lundef=false)
if build build-asan; then ASAN_OK=1; suite build-asan 1 0; else ASAN_OK=0; suite build-asan 0 1 "meson/ninja failed"; fi
# The copy the setuid tests install: built-in paths under /mnt, where each
# test binds its own directory in a private mount namespace (a setuid start
# ignores --config and friends; tests/integration/lib.sh suid_setup).  Only
# the netnsp binary is needed.
say "build build-suid"
if { [ -f build-suid/build.ninja ] ||
	meson setup build-suid -Ddefault_config=/mnt/netnsp.conf \
		-Ddefault_state_dir=/mnt/state -Ddefault_run_dir=/mnt/run; } &&
	ninja -C build-suid netnsp; then
	suite build-suid 1 0
else
	suite build-suid 0 1 "meson/ninja failed"
fi
MESON_ARGS=(-Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false)
if build build-fuzz CC=clang; then FUZZ_OK=1; suite build-fuzz 1 0; else FUZZ_OK=0; suite build-fuzz 0 1 "meson/ninja failed"; fi
mkdir -p "$LOGS"

# ------------------------------------------------------------- format
say "clang-format --dry-run --Werror"
mapfile -t CFILES < <(find src tests bench -name '*.[ch]' | sort)
if clang-format --dry-run --Werror "${CFILES[@]}" >"$LOGS/format.log" 2>&1; then
	suite format 1 0 "${#CFILES[@]} files"
else
	bad=$(sed -n 's/^\([^: ]*\.[ch]\):[0-9]*:[0-9]*: error.*/\1/p' "$LOGS/format.log" | sort -u)
	echo "unformatted (clang-format -i FILE to fix):"
	printf '    %s\n' $bad
	head -n 20 "$LOGS/format.log"
	suite format 0 1 "$(echo "$bad" | grep -c .) unformatted files, see $LOGS/format.log"
fi

# ------------------------------------------------------------- layers
say "module layering (scripts/check-layers.sh)"
bash scripts/check-layers.sh | tee "$LOGS/layers.tap"
read -r p f s plan < <(tap_count "$LOGS/layers.tap")
[ $((p + f + s)) -eq "$plan" ] || f=$((f + 1))
suite layers "$p" "$f"

# ------------------------------------------------------------- unit
say "unit tests (build-asan; suite unit, and suite kernel's C programs)"
if [ "$ASAN_OK" = 1 ]; then
	rm -f build-asan/meson-logs/testlog.json
	meson test -C build-asan --suite unit --suite kernel --no-suite integration --print-errorlogs
	mrc=$?
	# Every unit test's stdout is in meson's JSON log: count its TAP points.
	python3 - "$ROOT/build-asan/meson-logs/testlog.json" >"$LOGS/unit.tap" <<-'PY'
		import json, sys
		try:
		    lines = open(sys.argv[1]).read().splitlines()
		except OSError:
		    lines = []
		for line in lines:
		    t = json.loads(line)
		    # No integration test ran, so every entry is a C program.
		    print("# %s: %s" % (t["name"], t["result"]))
		    print(t.get("stdout") or "")
	PY
	read -r p f s plan < <(tap_count "$LOGS/unit.tap")
	note="$(grep -c '^# .*: ' "$LOGS/unit.tap") programs"
	[ "$s" -gt 0 ] && note="$note, $s skipped" && skipped_lines "$LOGS/unit.tap"
	if [ "$s" -gt 0 ] && [ "$MUST_WORK" = 1 ]; then
		f=$((f + s))
		note="$note: NETNSP_MUST_WORK=1 counts them as failures"
	fi
	# A crash or a wrong plan fails the suite even if no point said "not ok".
	if [ "$mrc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		note="$note, meson test failed without a 'not ok' (crash, sanitizer, bad plan)"
	fi
	suite unit "$p" "$f" "$note"
else
	suite unit 0 1 "could not run: build-asan failed"
fi

# ------------------------------------------------------------- integration
say "integration tests (daemon: build-asan/netnsp)"
echo "note: the setuid tests install build-suid/netnsp (not the ASan build): ASan/LSan refuse or"
echo "      misbehave in setuid programs (secure mode drops ASAN_OPTIONS, LSan needs ptrace)."
for t in tests/integration/t_*.sh; do
	name=$(basename "$t" .sh)
	if [ -n "${ONLY_IT:-}" ] && [[ " $ONLY_IT " != *" $name "* ]]; then
		continue
	fi
	if [ "$ASAN_OK" != 1 ] && [ "$name" != t_topology ]; then
		suite "$name" 0 1 "could not run: build-asan failed"
		continue
	fi
	say "$name"
	NETNSP=$ROOT/build-asan/netnsp NETNSP_SUID=$ROOT/build-suid/netnsp \
		timeout -k 10 "$IT_TIMEOUT" bash "$t" 2>"$LOGS/$name.stderr" </dev/null |
		tee "$LOGS/$name.tap"
	rc=$?
	read -r p f s plan < <(tap_count "$LOGS/$name.tap")
	note=""
	[ "$s" -gt 0 ] && note="$s skipped" && skipped_lines "$LOGS/$name.tap"
	# lib.sh's skip already fails under NETNSP_MUST_WORK=1; this catches any other.
	if [ "$s" -gt 0 ] && [ "$MUST_WORK" = 1 ]; then
		f=$((f + s))
		note="$note: NETNSP_MUST_WORK=1 counts them as failures"
	fi
	if grep -q '^Bail out!' "$LOGS/$name.tap"; then
		f=$((f + 1))
		note="bailed out: $(grep -m1 '^Bail out!' "$LOGS/$name.tap" | cut -c12-)"
	elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=$((f + 1))
		note="exit $rc without a failing point (timeout or crash)"
	elif [ "$plan" -ne $((p + f + s)) ]; then
		f=$((f + 1))
		note="plan 1..$plan but $((p + f + s)) points"
	fi
	[ "$f" -gt 0 ] && tail -n 15 "$LOGS/$name.stderr" | sed 's/^/    stderr: /'
	suite "$name" "$p" "$f" "$note"
done

# ------------------------------------------------------------- fuzz
say "fuzz targets (build-fuzz, ${FUZZ_TIME}s each)"
if [ "$FUZZ_OK" = 1 ]; then
	mapfile -t FUZZERS < <(find build-fuzz -maxdepth 4 -type f -name 'fuzz_*' -perm -u+x | sort)
	[ ${#FUZZERS[@]} -eq 0 ] && suite fuzz 0 0 "SKIP: no fuzz targets registered"
	for fz in "${FUZZERS[@]}"; do
		name=${fz##*/fuzz_}
		work=$(mktemp -d)
		corpus=()
		[ -d "tests/fuzz/corpus/$name" ] && corpus=("tests/fuzz/corpus/$name")
		echo "fuzz_$name: ${corpus[*]:-no corpus}"
		# New inputs go to the temp dir first; the repo's corpus is only read.
		# -timeout: one input running 10 s is a hang (libFuzzer's default is 20
		# minutes); the outer timeout catches a fuzzer that never stops at all.
		timeout -k 10 $((FUZZ_TIME + 120)) "$fz" -max_total_time="$FUZZ_TIME" -timeout=10 \
			-print_final_stats=1 -artifact_prefix="$LOGS/fuzz_$name-" \
			"$work" "${corpus[@]}" >"$LOGS/fuzz_$name.log" 2>&1
		frc=$?
		rm -rf "$work"
		tail -n 3 "$LOGS/fuzz_$name.log"
		if [ "$frc" -eq 0 ]; then
			suite "fuzz_$name" 1 0 "${corpus[*]:-no corpus}"
		else
			grep -m3 -E 'ERROR|SUMMARY|Deadly|timeout after' "$LOGS/fuzz_$name.log" | sed 's/^/    /'
			suite "fuzz_$name" 0 1 "exit $frc, artifacts in $LOGS"
		fi
	done
else
	suite fuzz 0 1 "could not run: build-fuzz failed"
fi

# ------------------------------------------------------------- summary
say "summary (logs in $LOGS)"
printf '%s\n' "${SUMMARY[@]}"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
