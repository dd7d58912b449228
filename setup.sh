#!/bin/sh
# smtptls set-up: installs what the build needs (Debian 12, as root), builds,
# and runs either the analysis of the bundled captures or the test suite.
#
#   sh setup.sh demo   Release build in build/, then analyse pcaps/
#   sh setup.sh test   ASan+UBSan build in build-asan/, each fuzz target for a
#                      few seconds (FUZZ_SECONDS, default 15), then the whole
#                      test suite
#
# Both are idempotent: packages already installed are not fetched again and
# the builds are incremental.
set -eu

cd "$(dirname "$0")"
mode=${1:-}

BUILD_PKGS="gcc libc6-dev make cmake pkg-config libpcap-dev libjansson-dev libssl-dev libmaxminddb-dev libsqlite3-dev libpq-dev libseccomp-dev zlib1g-dev gnuplot-nox python3 libmaxmind-db-writer-perl publicsuffix"
TEST_PKGS="libcmocka-dev python3 clang-format tcpreplay iproute2 clang libclang-rt-14-dev tshark chromium slurm-wlm munge python3-jsonschema man-db prometheus systemd logrotate postgresql"

need_install() {
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || return 0
	done
	return 1
}

install_pkgs() {
	if need_install "$@"; then
		if [ "$(id -u)" != 0 ]; then
			echo "setup.sh: missing packages ($*); run as root to install them" >&2
			exit 1
		fi
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -q
		apt-get install -y -q --no-install-recommends "$@"
	fi
}

# The default country database (CC0, from the npm registry), pinned so that
# every machine maps addresses alike.
GEO_PKG="@ip-location-db/geo-whois-asn-country-mmdb@2.3.2026061719"
GEO_DB=/usr/local/share/smtptls/country.mmdb
install_geo() {
	[ -s "$GEO_DB" ] && return 0
	command -v npm >/dev/null 2>&1 || install_pkgs npm
	tmp=$(mktemp -d)
	npm install --silent --no-save --no-audit --no-fund --prefix "$tmp" "$GEO_PKG"
	mkdir -p "$(dirname "$GEO_DB")"
	cp "$tmp/node_modules/@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb" "$GEO_DB.tmp"
	mv "$GEO_DB.tmp" "$GEO_DB"
	rm -rf "$tmp"
}

# The default AS database (CC-BY-4.0: RouteViews and DB-IP, see
# docs/usage.md), pinned likewise; it comes as CSV and is turned into a
# MaxMind DB here (libmaxmind-db-writer-perl). smtptls-update-geoip pins the
# same versions.
ASN_PKG="@ip-location-db/asn@2.3.2026061719"
ASN_DB=/usr/local/share/smtptls/asn.mmdb
install_asn() {
	[ -s "$ASN_DB" ] && return 0
	command -v npm >/dev/null 2>&1 || install_pkgs npm
	tmp=$(mktemp -d)
	npm install --silent --no-save --no-audit --no-fund --prefix "$tmp" "$ASN_PKG"
	mkdir -p "$(dirname "$ASN_DB")"
	perl dist/geoip/asn-csv-to-mmdb.pl "$ASN_DB" "$tmp/node_modules/@ip-location-db/asn/asn-ipv4.csv" \
		"$tmp/node_modules/@ip-location-db/asn/asn-ipv6.csv"
	rm -rf "$tmp"
}

jobs=$(nproc 2>/dev/null || echo 2)

case "$mode" in
demo)
	install_pkgs $BUILD_PKGS
	install_geo
	install_asn
	cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DSMTPTLS_WERROR=ON -DSMTPTLS_TESTS=OFF >/dev/null
	cmake --build build -j "$jobs"
	./build/smtptls analyze -q --stats build/corpus-stats.json pcaps/
	./build/smtptls report build/corpus-stats.json -o build/report.html
	./build/smtptls analyze pcaps/
	echo "report: $(pwd)/build/report.html"
	;;
test)
	# The tests need promtool from the prometheus package and the PostgreSQL
	# server binaries (each test starts a server of its own), not the
	# services these packages start: where systemd runs, the ones this
	# set-up installed are stopped and disabled again.
	fresh=""
	for p in prometheus postgresql; do
		dpkg -s "$p" >/dev/null 2>&1 || fresh="$fresh $p"
	done
	install_pkgs $BUILD_PKGS $TEST_PKGS
	if [ -d /run/systemd/system ]; then
		for p in $fresh; do
			systemctl disable --now "$p" >/dev/null 2>&1 || true
		done
	fi
	install_geo
	install_asn
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSMTPTLS_WERROR=ON \
		-DSMTPTLS_SANITIZE=ON -DSMTPTLS_TESTS=ON >/dev/null
	cmake --build build-asan -j "$jobs"
	# every fuzz target for a short, bounded time (libFuzzer, clang)
	sh tests/fuzz/run-fuzzers.sh build-fuzz "${FUZZ_SECONDS:-15}"
	cd build-asan && ctest --output-on-failure -j "$jobs"
	;;
*)
	echo "usage: sh setup.sh demo|test" >&2
	exit 2
	;;
esac
