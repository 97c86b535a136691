#!/usr/bin/env bash
# tests/run-node-tests.sh - runs the Node integration and end-to-end suites
# (tests/integration/*.test.mjs, tests/e2e/*.test.mjs) against the real
# llmux and llmux-mock binaries.
#
# Binaries: $LLMUX_BIN and $LLMUX_MOCK_BIN (default: <repo>/build/llmux and
# <repo>/build/llmux-mock). Fixtures: $LMX_FIXTURES (default
# <repo>/../shared/fixtures). Extra arguments are passed to `node --test`
# (e.g. --test-name-pattern=reload). Installs the e2e dependencies (the
# official SDKs) with npm when tests/e2e/node_modules is missing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"

export LLMUX_BIN="${LLMUX_BIN:-$repo/build/llmux}"
export LLMUX_MOCK_BIN="${LLMUX_MOCK_BIN:-$repo/build/llmux-mock}"
export LMX_FIXTURES="${LMX_FIXTURES:-$repo/../shared/fixtures}"

for b in "$LLMUX_BIN" "$LLMUX_MOCK_BIN"; do
  if [[ ! -x "$b" ]]; then
    echo "run-node-tests: $b is missing: build first (or set LLMUX_BIN / LLMUX_MOCK_BIN)" >&2
    exit 2
  fi
done

if ! command -v node >/dev/null; then
  echo "run-node-tests: node is not installed" >&2
  exit 2
fi

need_install=0
for m in openai @anthropic-ai/sdk @google/genai ai @ai-sdk/openai @ai-sdk/anthropic; do
  [[ -d "$here/e2e/node_modules/$m" ]] || need_install=1
done
if [[ $need_install == 1 ]]; then
  if [[ -f "$here/e2e/package-lock.json" ]]; then
    npm ci --prefix "$here/e2e" --no-audit --no-fund --loglevel=error
  else
    npm install --prefix "$here/e2e" --no-audit --no-fund --loglevel=error
  fi
fi

shopt -s nullglob
files=("$here"/integration/*.test.mjs "$here"/e2e/*.test.mjs)
if (( ${#files[@]} == 0 )); then
  echo "run-node-tests: no test files found" >&2
  exit 2
fi

# Per-test timeout: a hang fails one test instead of the whole run.
cd "$repo"
exec node --test --test-concurrency=1 --test-timeout="${LLMUX_TEST_TIMEOUT_MS:-120000}" "$@" "${files[@]}"
