#!/usr/bin/env bash
# Installs what xatm needs to build, test and run, from Debian 12 packages.
# Skips apt-get entirely when everything is already there.
set -euo pipefail

PACKAGES=(
  cmake make g++ pkg-config ccache
  libpq-dev postgresql-15 postgresql-client-15
  mariadb-server mariadb-client libmariadb-dev libmysqlcppconn-dev
  libboost-program-options-dev libspdlog-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  prometheus-cpp-dev nlohmann-json3-dev  # metrics endpoint, --json output
  curl openssl  # the metrics scrape test; the TLS tests' throwaway CA
  libssl-dev  # the TLS test's relay
  nftables iptables  # firewall black holes in the crash tests
  python3 git  # scripts/check-links.sh, scripts/check-cli-docs.sh
  python3-yaml  # scripts/check-metric-names.py reads the Prometheus rules
  groff-base  # the man page render check
  doxygen  # the API reference check (scripts/check-api-docs.sh)
  clang-format  # scripts/check-format.sh
  dpkg-dev file  # cpack -G DEB's Depends (dpkg-shlibdeps); check-packages.sh
)

# --fuzz: also what the libFuzzer run needs (clang and its runtime).
if [ "${1:-}" = "--fuzz" ]; then PACKAGES=(clang libclang-rt-14-dev); fi

# promtool alone, without Debian's prometheus package and its server.
[ "${1:-}" = "--fuzz" ] || "$(dirname "$0")/install-promtool.sh"

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
    missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
# Debian's policy-rc.d may refuse to start services; the scripts start their
# own throwaway servers, so that refusal is expected and harmless.
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
  --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
