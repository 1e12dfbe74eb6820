#!/usr/bin/env bash
# Installs what the demo and the tests need on a fresh Debian machine with Node 20:
# npm dependencies (when missing or stale) and Debian's Chromium (when missing).
# Playwright's own browser download cannot work here, so the tests drive /usr/bin/chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

node_major=$(node -p 'process.versions.node.split(".").map(Number).reduce((a, b, i) => i === 0 ? a + b * 1000 : i === 1 ? a + b : a, 0)')
if [ "$node_major" -lt 20012 ]; then
  echo "MicroMint needs Node 20.12 or newer (found $(node --version))." >&2
  exit 1
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # Measured on 2 cores: about 70 s in all, of which about 60 s compile better-sqlite3 (npm has no prebuilt binary
  # for it here); npm shows only a spinner meanwhile.
  echo "==> Installing dependencies: about a minute; most of it is the native build of better-sqlite3"
  npm ci --no-audit --no-fund
fi

chromium_path="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$chromium_path" ]; then
  echo "==> Installing Chromium from Debian's packages"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
