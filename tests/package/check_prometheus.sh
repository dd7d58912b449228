#!/bin/sh
# The Prometheus rules and scrape configuration of dist/prometheus: promtool
# checks and unit-tests them, and every smtptls_ metric a rule reads must be
# one the sensor writes (stats/sinks/prom.c).
#   check_prometheus.sh SRCDIR
set -u
src=$1
command -v promtool >/dev/null 2>&1 || { echo "promtool not installed (Debian package prometheus)"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0
promtool check rules "$src/dist/prometheus/smtptls.rules.yml" || fail=1
(cd "$src/dist/prometheus" && promtool test rules smtptls.rules.test.yml) || fail=1
cp "$src/dist/prometheus/smtptls.rules.yml" "$dir/"
sed "s|/etc/prometheus/smtptls.rules.yml|$dir/smtptls.rules.yml|" \
	"$src/dist/prometheus/scrape.yml" >"$dir/prometheus.yml"
promtool check config "$dir/prometheus.yml" || fail=1
for m in $(grep -o 'smtptls_[a-z_]*' "$src/dist/prometheus/smtptls.rules.yml" | sort -u); do
	grep -q "\"$m[ \"{]" "$src/stats/sinks/prom.c" || {
		echo "FAIL the rules read $m, which the sensor does not write"
		fail=1
	}
done
[ $fail = 0 ] && echo "prometheus rules: ok"
exit $fail
