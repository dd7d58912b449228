#!/bin/sh
# Every output smtptls writes, for every capture of pcaps/ and of
# ../shared/pcaps-external/, into one folder, so that two builds can be
# compared file by file:
#
#   sh tests/tools/outputs.sh OLD/smtptls /tmp/out-old
#   sh tests/tools/outputs.sh NEW/smtptls /tmp/out-new
#   diff -r /tmp/out-old /tmp/out-new && echo identical
#
# Per capture: the summary, the session log, the statistics snapshot, the
# alerts, the record dump and the history; for each corpus as a whole: the
# same with --jobs 2, the merge of the per-capture snapshots, the history
# listing and the report (page and charts). Nothing depends on the machine:
# the corpus CA is the only trust anchor and the country and AS databases are
# the test databases of ../shared/mmdb-test (skipped when absent).
set -eu
bin=$(realpath "$1")
out=$2
rm -rf "$out"
mkdir -p "$out"
out=$(realpath "$out")
# relative paths, so that messages naming a file are alike in every checkout
cd "$(dirname "$0")/../.."
repo=.
shared=../shared

ca=$repo/pcaps/ca/corpus-ca.pem
geo="--geoip none"
if [ -f "$shared/mmdb-test/GeoLite2-Country-Test.mmdb" ]; then
	geo="--geoip $shared/mmdb-test/GeoLite2-Country-Test.mmdb --asn $shared/mmdb-test/GeoLite2-ASN-Test.mmdb"
fi
common="-q --no-sandbox --ca-file $ca --local-net 10.0.0.0/8 --local-net 192.168.0.0/16 $geo"

one() { # corpus-name capture
	name=$(printf '%s' "$2" | sed "s|^$3/||; s|/|__|g")
	d=$out/$1/$name
	mkdir -p "$d"
	# shellcheck disable=SC2086
	"$bin" analyze $common "$2" >"$d/summary.txt" 2>"$d/stderr.txt" || echo "exit $?" >>"$d/stderr.txt"
	# shellcheck disable=SC2086
	"$bin" analyze $common --sessions "$d/sessions.jsonl" --stats "$d/stats.json" \
		--alerts "$d/alerts.jsonl" --dump "$d/dump.bin" --history "$d/history.db" \
		"$2" >/dev/null 2>>"$d/stderr.txt" || echo "exit $?" >>"$d/stderr.txt"
	if [ -f "$d/history.db" ]; then
		"$bin" history "$d/history.db" >"$d/history.txt" 2>>"$d/stderr.txt" || true
		rm -f "$d/history.db"
	fi
}

corpus() { # name dir
	[ -d "$2" ] || return 0
	find "$2" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | LC_ALL=C sort >"$out/$1.list"
	while IFS= read -r f; do one "$1" "$f" "$2"; done <"$out/$1.list"
	rm -f "$out/$1.list"
	d=$out/$1/_all
	mkdir -p "$d"
	# shellcheck disable=SC2086
	"$bin" analyze $common --jobs 2 --sessions "$d/sessions.jsonl" --stats "$d/stats.json" \
		--alerts "$d/alerts.jsonl" --history "$d/history.db" "$2" >"$d/summary.txt" 2>"$d/stderr.txt" || echo "exit $?" >>"$d/stderr.txt"
	"$bin" history "$d/history.db" >"$d/history.txt" 2>>"$d/stderr.txt" || true
	rm -f "$d"/history.db*
	find "$out/$1" -name stats.json ! -path "*/_all/*" | LC_ALL=C sort | xargs "$bin" merge -o "$d/merged.json" 2>>"$d/stderr.txt" || echo "merge exit $?" >>"$d/stderr.txt"
	find "$out/$1" -name dump.bin | LC_ALL=C sort | xargs "$bin" analyze $common --records --stats "$d/records-stats.json" \
		--sessions "$d/records-sessions.jsonl" >/dev/null 2>>"$d/stderr.txt" || echo "records exit $?" >>"$d/stderr.txt"
	mkdir -p "$d/report"
	"$bin" report "$d/stats.json" -o "$d/report/report.html" --plots "$d/report" 2>>"$d/stderr.txt" || echo "report exit $?" >>"$d/stderr.txt"
	# timing lines of the live progress never appear with -q; the run-time
	# fields of a snapshot are none (capture time only)
}

corpus repo "$repo/pcaps"
corpus external "$shared/pcaps-external"
echo "outputs in $out: $(find "$out" -type f | wc -l) files"
