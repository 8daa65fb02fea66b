#!/usr/bin/env bash
# Installs what client/'s tests (npm test) need on a fresh Debian machine that has only
# Java, Maven and Node/npm: Debian's Chromium (unless CHROMIUM names a browser to use) and the
# npm dev dependencies of client/ (playwright-core, which drives the installed Chromium and
# never downloads a browser of its own; typescript; esbuild; fake-indexeddb).
set -euo pipefail
client="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if [ -n "${CHROMIUM:-}" ]; then
  [ -x "$CHROMIUM" ] || { echo "CHROMIUM=$CHROMIUM is not an executable file" >&2; exit 1; }
  echo "install-deps: using CHROMIUM=$CHROMIUM"
elif [ -x /usr/bin/chromium ]; then
  echo "install-deps: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium) is installed"
else
  echo "install-deps: installing Debian's chromium"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y chromium
fi

echo "install-deps: npm ci in $client"
(cd "$client" && npm ci --no-audit --no-fund)
