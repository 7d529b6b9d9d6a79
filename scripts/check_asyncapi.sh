#!/usr/bin/env bash
# Validates docs/asyncapi.yaml with the official AsyncAPI CLI, run by npx at a pinned
# version (downloaded on first use). Warnings fail the check as errors do.
set -euo pipefail
cd "$(dirname "$0")/.."

# 4.1.1: the newest release that runs on Node 20 (5.0 and later need Node 24).
cli="@asyncapi/cli@4.1.1"
command -v npx >/dev/null || { echo "check_asyncapi: needs node and npm" >&2; exit 1; }

# The CLI sends usage metrics unless its settings file turns them off; it gets a
# settings file of its own here instead of one written into the home directory.
settings=$(mktemp -d)
trap 'rm -rf "$settings"' EXIT
printf '{"analyticsEnabled": "false", "infoMessageShown": "true", "userID": "ci"}\n' \
    >"$settings/analytics.json"

ASYNCAPI_METRICS_CONFIG_PATH="$settings/analytics.json" \
    npx --yes "$cli" validate docs/asyncapi.yaml --fail-severity=warn
