#!/usr/bin/env bash
# Installs promtool, Prometheus's rule checker, as /usr/local/bin/promtool:
# extracted from Debian's prometheus package without installing the
# package, which would add a system user and start a Prometheus server
# (its service is enabled on install). Nothing is left running. Does
# nothing when a promtool is already on the PATH.
#
#   scripts/install-promtool.sh
set -euo pipefail

if command -v promtool >/dev/null; then exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# apt's download user must be able to write there (else a warning).
if id _apt >/dev/null 2>&1; then $SUDO chown _apt "$TMP"; fi
cd "$TMP"
echo "install-promtool: extracting promtool from Debian's prometheus package"
if ! apt-get download -qq prometheus 2>/dev/null; then
  $SUDO apt-get update -qq
  apt-get download -qq prometheus
fi
dpkg-deb --fsys-tarfile prometheus_*.deb | tar -xO ./usr/bin/promtool >promtool
$SUDO install -m 0755 promtool /usr/local/bin/promtool
promtool --version | head -1
