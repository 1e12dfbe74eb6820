#!/usr/bin/env bash
# The demo: the broker on http://127.0.0.1:4000 (it mints the demo epoch on its first start, with a
# progress bar), the demo shop on http://127.0.0.1:4001, and the wallet extension built into
# dist/extension. With a display, Chromium opens with the wallet loaded. Ctrl-C stops everything.
# Data lives in .data/demo; `npm run demo -- --fresh` starts from scratch.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

if [ "${1:-}" = "--fresh" ]; then rm -rf .data/demo; fi
mkdir -p .data/demo
broker=http://127.0.0.1:4000
shop=http://127.0.0.1:4001
# The broker and the shop run from the TypeScript sources; @micromint/* imports resolve to them too.
tsx=(node_modules/.bin/tsx --conditions=@micromint/source)

for port in 4000 4001; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "Port $port is already in use: stop what listens there, then run the demo again." >&2
    exit 1
  fi
done

echo "==> Building the wallet extension (dist/extension, dist/micromint-wallet.zip)"
npm run --silent build
echo "==> Building the middleware package (middleware/dist: the redeem command below runs it)"
npm run --silent build --workspace middleware

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

# Waits (up to 5 minutes: the first start mints) until URL answers, using Node's fetch.
wait_for() {
  node -e '
    const [url, name] = process.argv.slice(1);
    const until = Date.now() + 300_000;
    (async function poll() {
      try { if ((await fetch(url)).ok) return; } catch {}
      if (Date.now() > until) { console.error(`${name} did not come up`); process.exit(1); }
      setTimeout(poll, 500);
    })();' "$1" "$2"
}

# Measured on 2 cores: the 3.9e7 hashes of the demo epoch take 2-3 s with the native kernel, 25-30 s without it.
if [ -f broker/native/build/Release/mint_kernel.node ]; then
  minting="a few seconds with the native mint kernel"
else
  minting="about half a minute: the native mint kernel is not built, so the JavaScript loop mints"
fi
echo "==> Starting the broker (without a current epoch it mints the demo epoch first: $minting)"
"${tsx[@]}" broker/src/bin.ts serve --port 4000 --host 127.0.0.1 --db .data/demo/broker.db --public-url "$broker" --mint demo \
  --wallet-zip dist/micromint-wallet.zip &
pids+=($!)
wait_for "$broker/api/epochs/current" "The broker"

echo "==> Starting the demo shop"
"${tsx[@]}" middleware/examples/shop/server.ts --port 4001 --host 127.0.0.1 --broker "$broker" --data .data/demo/shop &
pids+=($!)
wait_for "$shop/" "The shop"

cat <<MSG

  MicroMint demo is running.

  Broker      $broker        create an account, add sandbox funds, buy a superbin set
  Demo shop   $shop        free and paid articles; the wallet pays them
  Extension   $(pwd)/dist/extension
              load it unpacked: chrome://extensions -> Developer mode -> Load unpacked

  Redeem the shop's coins at the broker (from $(pwd)):
    node middleware/dist/bin.js redeem --db .data/demo/shop/micromint-vendor.db --broker $broker --api-key "\$(node -p "require('./.data/demo/shop/vendor.json').apiKey")"

  Ctrl-C stops the demo.
MSG

chromium_path="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -x "$chromium_path" ]; then
  "$chromium_path" --user-data-dir=.data/demo/chromium --no-first-run \
    --disable-extensions-except="$(pwd)/dist/extension" --load-extension="$(pwd)/dist/extension" \
    "$broker" "$shop" >/dev/null 2>&1 &
  pids+=($!)
fi

wait -n "${pids[@]}"
