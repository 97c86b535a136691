#!/usr/bin/env bash
# bench/retry.sh - what a retry on another deployment adds beyond the failed
# attempt's own time (issue target: <= 100 us), measured serially (one
# connection) so queueing does not blur it:
#   ok    = through llmux, a group whose one deployment answers
#   retry = through llmux, a group whose first deployment (order 1) answers 500
#           and whose second (order 2) answers; num_retries 1, no cooldowns
#   added = retry - ok, at p50 and p90: the failed attempt's own round trip to the
#           mock plus what the retry itself costs, so an upper bound of the latter
# Also prints llmux-bench-route (one routing decision per strategy).
# Uses build-bench/ (bench/run.sh builds it) or BENCH_BUILD.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bdir=${BENCH_BUILD:-$top/build-bench}
[ -x "$bdir/llmux" ] || { cmake -S "$top" -B "$bdir" -DCMAKE_BUILD_TYPE=Release >/dev/null && cmake --build "$bdir" -j"$(nproc)" >/dev/null; }
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

"$bdir/llmux-mock" --port 0 --api-key sk-mock > "$tmp/mock.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q "listening on" "$tmp/mock.out" 2>/dev/null && break; sleep 0.05; done
mport=$(grep -o '[0-9]*$' "$tmp/mock.out" | head -1)
cat > "$tmp/c.yaml" <<YAML
model_list:
  - model_name: ok
    litellm_params: {model: openai/fine, api_base: "http://127.0.0.1:$mport/v1", api_key: sk-mock}
  - model_name: retry
    litellm_params: {model: openai/mock-status-500, api_base: "http://127.0.0.1:$mport/v1", api_key: sk-mock, order: 1}
  - model_name: retry
    litellm_params: {model: openai/fine, api_base: "http://127.0.0.1:$mport/v1", api_key: sk-mock, order: 2}
router_settings: {num_retries: 1, disable_cooldowns: true}
general_settings: {master_key: sk-bench}
YAML
"$bdir/llmux" --config "$tmp/c.yaml" --host 127.0.0.1 --port 0 --num_workers 1 2> "$tmp/llmux.err" &
pids+=($!)
for _ in $(seq 100); do grep -q "listening on" "$tmp/llmux.err" 2>/dev/null && break; sleep 0.05; done
lport=$(grep -o 'listening on http://[0-9.]*:[0-9]*' "$tmp/llmux.err" | grep -o '[0-9]*$')

p() { # run, print "p50 p90" in microseconds
  "$bdir/llmux-load" "$@" --connections 1 --duration "${BENCH_DURATION:-5}" --warmup 1 --json 2>/dev/null |
    tail -1 | sed -E 's/.*"p50_us":([0-9.]+).*"p90_us":([0-9.]+).*/\1 \2/' || true
}
read -r ok_50 ok_90 < <(p --port "$lport" --key sk-bench --model ok)
read -r re_50 re_90 < <(p --port "$lport" --key sk-bench --model retry)
awk -v b="$ok_50" -v c="$re_50" -v b9="$ok_90" -v c9="$re_90" 'BEGIN {
  printf "| retry on another deployment, one connection | p50 | p90 |\n|---|---:|---:|\n";
  printf "| through llmux, no retry (us) | %.1f | %.1f |\n", b, b9;
  printf "| through llmux, first deployment 500, retried on the second (us) | %.1f | %.1f |\n", c, c9;
  printf "| added: the failed attempt itself + the retry (us; retry alone target <= 100) | %.1f | %.1f |\n", c-b, c9-b9 }'
echo
echo '| routing decision, 100 deployments | ns |'
echo '|---|---:|'
"$bdir/llmux-bench-route" | awk '{printf "| %s | %s |\n", $1, $2}'
