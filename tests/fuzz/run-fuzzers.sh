#!/bin/sh
# Builds the libFuzzer targets with clang and runs each for a while.
#
#   tests/fuzz/run-fuzzers.sh [build-dir [seconds [target ...]]]
#
# build-dir defaults to build-fuzz (relative to the current directory),
# seconds to 30 per target, targets to every tests/fuzz/fuzz_<name>.c.
# Each target starts from a temporary copy of tests/fuzz/corpus/<name>/ (the
# committed corpus is never modified) with the dictionary smtp-tls.dict.
# A crash, leak, timeout or out-of-memory input is copied to
# tests/fuzz/crashes/<name>/ and the script exits 1 once every target has run.
# Per target it prints the executions, execs/s and coverage (cov/ft) from
# libFuzzer's final lines.
#
# Environment: FUZZ_BUILD_TYPE (default Debug), FUZZ_KEEP=1 keeps the
# temporary corpora (their path is printed), FUZZ_ARGS adds libFuzzer flags
# (e.g. FUZZ_ARGS="-fork=1 -ignore_timeouts=1 -ignore_crashes=1" to keep
# going past a known crash; every new reproducer is still copied).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${1:-build-fuzz}
secs=${2:-30}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] && shift
case $secs in
'' | *[!0-9]*) echo "run-fuzzers: seconds must be a number, got '$secs'" >&2; exit 2 ;;
esac

if ! command -v clang >/dev/null 2>&1; then
	echo "run-fuzzers: clang not found, installing it" >&2
	apt-get install -y clang libclang-rt-14-dev
fi

if [ $# -gt 0 ]; then
	targets="$*"
else
	targets=$(cd "$here" && find . -maxdepth 1 -name 'fuzz_*.c' | sed 's|^\./fuzz_||; s/\.c$//' | sort)
fi

CC=clang cmake -S "$repo" -B "$build" -DSMTPTLS_FUZZ=ON -DSMTPTLS_SANITIZE=ON \
	-DCMAKE_BUILD_TYPE="${FUZZ_BUILD_TYPE:-Debug}" >/dev/null
for t in $targets; do
	cmake --build "$build" --target "fuzz_$t" -j "$(nproc)" >/dev/null
done

work=$(mktemp -d "${TMPDIR:-/tmp}/smtptls-fuzz.XXXXXX")
if [ "${FUZZ_KEEP:-0}" != 1 ]; then
	trap 'rm -rf "$work"' EXIT
fi

failed=0
summary=""
for t in $targets; do
	bin="$build/tests/fuzz/fuzz_$t"
	corpus="$work/$t/corpus"
	artifacts="$work/$t/artifacts"
	log="$work/$t/fuzz.log"
	mkdir -p "$corpus" "$artifacts"
	if [ -d "$here/corpus/$t" ]; then
		find "$here/corpus/$t" -maxdepth 1 -type f ! -name 'README*' \
			-exec cp {} "$corpus/" \;
	fi
	echo "== $t: $secs s, $(find "$corpus" -type f | wc -l) seeds"
	rc=0
	# shellcheck disable=SC2086  # FUZZ_ARGS is a list of flags
	"$bin" -max_total_time="$secs" -dict="$here/smtp-tls.dict" -max_len=65536 \
		-rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$artifacts/" ${FUZZ_ARGS:-} "$corpus" >"$log" 2>&1 || rc=$?

	# The last status line ("#N DONE cov: ..", or "#N: cov: .." with -fork).
	final=$(grep -E '^#[0-9]+:?[[:space:]].*cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1 || true)
	execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' || true)
	speed=$(grep -E '^stat::average_exec_per_sec' "$log" | awk '{print $2}' || true)
	[ -n "$execs" ] || execs=$(echo "$final" | sed -n 's/^#\([0-9]*\).*/\1/p')
	if [ -z "$speed" ]; then
		# -fork prints no final stats: average over the whole run.
		took=$(echo "$final" | sed -n 's/.* time: \([0-9]*\)s.*/\1/p')
		if [ -n "$execs" ] && [ -n "$took" ] && [ "$took" -gt 0 ]; then
			speed=$((execs / took))
		fi
	fi
	cov=$(echo "$final" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$final" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$final" | sed -n 's/.*corp: \([^ ]*\).*/\1/p')
	line="$t: execs ${execs:-?}, exec/s ${speed:-?}, cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}"

	found=$(find "$artifacts" -type f | wc -l)
	if [ "$rc" -ne 0 ] || [ "$found" -ne 0 ]; then
		failed=1
		mkdir -p "$here/crashes/$t"
		find "$artifacts" -type f -exec cp {} "$here/crashes/$t/" \;
		line="$line  FAILED (exit $rc)"
		echo "-- $t failed; the reproducer(s):"
		find "$artifacts" -type f -exec basename {} \; | sed "s|^|   tests/fuzz/crashes/$t/|"
		echo "-- the report:"
		grep -E -A40 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|invariant violated' \
			"$log" | head -n 60 || tail -n 40 "$log"
	fi
	echo "$line"
	summary="$summary$line
"
done

echo "== summary"
printf '%s' "$summary"
if [ "${FUZZ_KEEP:-0}" = 1 ]; then
	echo "corpora and logs kept in $work"
fi
exit $failed
