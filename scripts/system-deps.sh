#!/usr/bin/env bash
# System libraries wardwatch needs beyond Python and Java (Debian/Ubuntu):
#   - Pango, HarfBuzz (and its font subsetter: much faster than the pure-Python fallback),
#     fontconfig and a font: WeasyPrint loads them to lay out the PDF report;
#   - poppler-utils (pdfinfo, pdftotext, pdftoppm): the PDF tests read the report back with them.
# Idempotent: does nothing when everything is present; installs only what is missing.
# Called by `make install` (so by `make demo` and `make test`); safe to run by hand.
set -euo pipefail

packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 libfontconfig1 fonts-dejavu-core poppler-utils)

missing=()
for pkg in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "system-deps: all present (${packages[*]})"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "system-deps: missing ${missing[*]} and this is not a Debian/Ubuntu system (no apt-get)." >&2
    echo "system-deps: install Pango (>= 1.44), fontconfig, a TrueType font and poppler-utils with your package manager." >&2
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
else
    echo "system-deps: missing ${missing[*]}; installing them needs root. Run:" >&2
    echo "    sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

echo "system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
