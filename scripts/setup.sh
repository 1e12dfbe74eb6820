#!/usr/bin/env bash
# Installs what the demo and the tests need on a fresh Debian machine with Node 20:
# npm dependencies (when missing or stale), and Debian's Chromium, PostgreSQL and nginx (when missing).
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

# Debian's packages the tests drive: Chromium, a PostgreSQL server (scripts/pg.sh starts a private cluster of it for the
# Postgres store's tests) and nginx (in front of two vendor processes).
chromium_path="${CHROMIUM_PATH:-/usr/bin/chromium}"
missing=()
[ -x "$chromium_path" ] || missing+=(chromium)
command -v initdb >/dev/null 2>&1 || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "==> Installing from Debian's packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
