#!/usr/bin/env bash
# Runs a command beside a fresh, private PostgreSQL server, and stops the server afterwards:
#
#   bash scripts/pg.sh npm run test:unit
#
# The server is a new cluster (initdb) in a temp folder, listening on a free port of 127.0.0.1 only, with its
# Unix socket in that folder (never /var/run/postgresql), a random password for the user `micromint`, and a
# database `micromint`. The command gets MICROMINT_PG_URL=postgres://micromint:<password>@127.0.0.1:<port>/micromint.
# The cluster and its folder are removed when the command ends, however it ends; the command's exit status is kept.
#
# When MICROMINT_PG_URL is already set, the command simply runs against that server. Run as root, the server runs
# as the unprivileged `postgres` user (initdb refuses root); Debian's `postgresql` package provides both.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: bash scripts/pg.sh <command> [args...]" >&2
  exit 2
fi
if [ -n "${MICROMINT_PG_URL:-}" ]; then
  exec "$@"
fi

bindir=""
if command -v initdb >/dev/null 2>&1; then
  bindir=$(dirname "$(readlink -f "$(command -v initdb)")")
else
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
fi
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "pg.sh: no PostgreSQL server found (initdb); install it with: apt-get install -y postgresql" >&2
  exit 1
fi

started=$(date +%s%N)
dir=$(mktemp -d "${TMPDIR:-/tmp}/mm-pg.XXXXXX")
as=()
if [ "$(id -u)" -eq 0 ]; then
  as=(runuser -u postgres --)
fi

stop() {
  "${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

password=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
mkdir -p "$dir/socket"
printf '%s\n' "$password" >"$dir/pwfile"
chmod 700 "$dir" "$dir/socket"
chmod 600 "$dir/pwfile"
[ "${#as[@]}" -eq 0 ] || chown -R postgres: "$dir"

# --no-sync: a throw-away cluster needs no fsync of its initial files; the server itself keeps fsync on, so the
# tests see PostgreSQL's real durable commits.
"${as[@]}" "$bindir/initdb" -D "$dir/data" -U micromint --pwfile="$dir/pwfile" --auth=scram-sha-256 \
  -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 || {
  cat "$dir/initdb.log" >&2
  exit 1
}

free_port() {
  node -e "const s = require('node:net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })"
}

# A port chosen free may be taken before the server binds it: try a few.
port=""
for _ in 1 2 3; do
  candidate=$(free_port)
  if "${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $candidate -k $dir/socket" start >/dev/null; then
    port=$candidate
    break
  fi
done
if [ -z "$port" ]; then
  echo "pg.sh: the PostgreSQL server did not start; its log:" >&2
  cat "$dir/server.log" >&2 || true
  exit 1
fi

PGPASSWORD=$password "$bindir/createdb" -h 127.0.0.1 -p "$port" -U micromint micromint
export MICROMINT_PG_URL="postgres://micromint:${password}@127.0.0.1:${port}/micromint"
version=$("$bindir/postgres" --version | awk '{ print $3 }')
elapsed=$((($(date +%s%N) - started) / 1000000))
echo "pg.sh: PostgreSQL ${version} on 127.0.0.1:${port} (fresh cluster, ready in ${elapsed} ms)" >&2

set +e
"$@"
status=$?
set -e
exit "$status"
