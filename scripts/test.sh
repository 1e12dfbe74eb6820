#!/usr/bin/env bash
# The whole test suite: typecheck, lint and format check, unit and integration tests of every package, the packages
# installed from their tarballs into an outside project, the extension build, then the end-to-end journey in real
# Chromium with the built extension.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

started=$(date +%s)
echo "==> Typecheck"
npm run typecheck
echo "==> Lint (ESLint with typescript-eslint) and format check (Prettier)"
npm run lint
echo "==> Unit and integration tests (beside a fresh PostgreSQL cluster, scripts/pg.sh)"
bash scripts/pg.sh npm run test:unit
echo "==> Packages, installed as an outside project would"
npm run test:packages
echo "==> Build the extension"
npm run build
echo "==> Firefox build and web-ext lint"
# `npm run build` also wrote dist/firefox (the same files, Firefox's manifest). No Firefox can be driven here, so the
# Firefox build is linted, not run (extension/README.md, "Firefox"); an error fails the suite.
test -f dist/firefox/manifest.json
npx web-ext lint --source-dir dist/firefox --no-input
echo "==> End-to-end tests in Chromium"
e2e_started=$(date +%s)
npm run test:e2e
now=$(date +%s)
echo "==> All tests passed in $((now - started)) s (end-to-end: $((now - e2e_started)) s)"
