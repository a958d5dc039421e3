#!/usr/bin/env bash
# What the browser tests need beyond Python (Debian/Ubuntu), installed from the package registries:
#   - Debian's chromium, driven by Playwright for Python (no browser download: tests/browser/
#     launch /usr/bin/chromium, or $WARDWATCH_CHROMIUM);
#   - the npm packages in package.json (axe-core, the accessibility checker the tests inject),
#     installed into ./node_modules with the machine's npm.
# Idempotent; called by `make test` (not by `make demo`, which needs no browser).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${WARDWATCH_CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1; then
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "browser-deps: no chromium and no apt-get; install Chromium and set WARDWATCH_CHROMIUM to its path." >&2
        exit 1
    fi
    if [ "$(id -u)" -eq 0 ]; then
        sudo=()
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo=(sudo -n)
    else
        echo "browser-deps: chromium is missing; installing it needs root. Run:" >&2
        echo "    sudo apt-get update && sudo apt-get install -y chromium" >&2
        exit 1
    fi
    echo "browser-deps: installing chromium (Debian package)"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq chromium
else
    echo "browser-deps: chromium present"
fi

if ! command -v npm >/dev/null 2>&1; then
    echo "browser-deps: npm is missing (Debian: apt-get install -y npm)." >&2
    exit 1
fi
npm ci --no-audit --no-fund --silent
echo "browser-deps: npm packages installed ($(ls node_modules | tr '\n' ' '))"
