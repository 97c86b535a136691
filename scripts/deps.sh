#!/usr/bin/env bash
# Installs what llmux needs to build, test and benchmark, from Debian's packages
# (and the npm registry for the end-to-end suites). Idempotent: installs only
# what is missing. Uses sudo when not root.
set -euo pipefail

pkgs=(
  build-essential cmake pkg-config
  libuv1-dev libhttp-parser-dev libcurl4-openssl-dev libjansson-dev libyaml-dev libssl-dev zlib1g-dev
  libhiredis-dev libsqlite3-dev redis-server
  curl wrk
)
# Node.js runs the end-to-end suites with the official SDKs; keep a present one.
command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
command -v npm >/dev/null 2>&1 || pkgs+=(npm)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm packages of the end-to-end suites (the official SDKs), from the lock file.
top=$(cd "$(dirname "$0")/.." && pwd)
if [ -f "$top/tests/e2e/package.json" ] && [ ! -d "$top/tests/e2e/node_modules" ]; then
  echo "deps: installing the end-to-end suites' npm packages"
  if [ -f "$top/tests/e2e/package-lock.json" ]; then
    npm ci --prefix "$top/tests/e2e" --no-audit --no-fund --loglevel=error
  else
    npm install --prefix "$top/tests/e2e" --no-audit --no-fund --loglevel=error
  fi
fi
