#!/usr/bin/env bash
# Renders every Mermaid diagram in README.md and docs/*.md with mermaid-cli in headless
# Chromium; exits non-zero when one does not render. Installs what it needs on first use:
# Debian's chromium (as root, when apt-get is there) and the pinned mermaid-cli.
set -euo pipefail
cd "$(dirname "$0")/.."
tools=tools/diagrams

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "check_diagrams: installing Debian's chromium"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    browser=$(command -v chromium)
fi
[ -n "$browser" ] || { echo "check_diagrams: needs chromium (apt-get install chromium)" >&2; exit 1; }
command -v npm >/dev/null || { echo "check_diagrams: needs node and npm" >&2; exit 1; }

if [ ! -x "$tools/node_modules/.bin/mmdc" ]; then
    echo "check_diagrams: installing mermaid-cli (pinned by $tools/package-lock.json)"
    (cd "$tools" && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf '{"executablePath": "%s", "args": ["--no-sandbox", "--headless=new"]}\n' "$browser" \
    >"$out/puppeteer.json"

count=0
for doc in README.md docs/*.md; do
    n=$(grep -c '^```mermaid' "$doc" || true)
    [ "$n" -gt 0 ] || continue
    name=$(echo "$doc" | tr '/' '_')
    if ! "$tools/node_modules/.bin/mmdc" --quiet -p "$out/puppeteer.json" \
        -i "$doc" -o "$out/$name" >"$out/log" 2>&1; then
        echo "check_diagrams: a diagram in $doc does not render:" >&2
        grep -v '^    at ' "$out/log" >&2
        exit 1
    fi
    echo "check_diagrams: $doc: $n diagram(s) render"
    count=$((count + n))
done
[ "$count" -gt 0 ] || { echo "check_diagrams: no Mermaid diagram found" >&2; exit 1; }
echo "check_diagrams: all $count diagram(s) render"
