#!/usr/bin/env bash
# bench/run.sh - the llmux benchmark: every scenario direct to llmux-mock and through
# llmux, in one run, on this machine. Prints a summary table and writes bench/RESULTS.md.
#
#   bench/run.sh            (also: make bench)
#
# Scenarios (see bench/RESULTS.md for the targets):
#   a. closed loop, 64 connections, non-stream chat: RPS direct and through llmux, ratio
#   b. open loop at 1,000 and 5,000 req/s, mock latency 50 ms: p50/p99 added by llmux
#   c. 1,000 concurrent streams of 200 chunks (20 ms apart): added time to first chunk,
#      llmux RSS while they are open
#   d. llmux idle RSS, and cold start (spawn to first 200 on /health/readiness, median)
#
# Environment knobs (defaults in brackets):
#   BENCH_DURATION [10]   seconds measured per closed/open run (plus 1 s warm-up)
#   BENCH_WORKERS  [1]    llmux --num_workers
#   BENCH_STREAMS  [1000] BENCH_CHUNKS [200] BENCH_CHUNK_MS [20]
#   BENCH_BUILD    [build-bench]  build directory (relative to the repository root)
#   BENCH_NO_BUILD [0]    1 = use the binaries already in BENCH_BUILD
#   BENCH_RESULTS  [bench/RESULTS.md]  where the report goes ("-" = nowhere)
# Exits 1 when any request failed or a scenario could not run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
DUR=${BENCH_DURATION:-10}
WARM=1
WORKERS=${BENCH_WORKERS:-1}
STREAMS=${BENCH_STREAMS:-1000}
CHUNKS=${BENCH_CHUNKS:-200}
CHUNK_MS=${BENCH_CHUNK_MS:-20}
BUILD=${BENCH_BUILD:-build-bench}
RESULTS=${BENCH_RESULTS:-bench/RESULTS.md}
MOCK_KEY=sk-mock
# The stream shape must reach the mock through llmux: by x-pass-x-mock-* request headers,
# by the deployment's extra_headers, or by this model name, whichever llmux and the mock
# support (the mock reads "mock-chunks-N" / "mock-interval-N" model names if it knows them).
STREAM_MODEL=mock-chunks-$CHUNKS-mock-interval-$CHUNK_MS
MASTER_KEY=sk-bench

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/llmux-bench.XXXXXX")
PIDS=()
FAILED=0
NOTES=()

log() { printf '%s\n' "$*" >&2; }
note() { NOTES+=("$*"); log "note: $*"; }

cleanup() {
    local pid i
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        for i in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.02
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# jget FILE FIELD: a number field of the one-line JSON object in FILE.
jget() {
    [ -f "$1" ] || return 0
    sed -n "s/.*\"$2\":\([-0-9.e+]*\).*/\1/p" "$1" | head -n1
}
# calc EXPR: floating-point arithmetic (awk), "n/a" when an operand is missing.
calc() {
    case "$1" in *n/a* | "") echo n/a; return ;; esac
    awk "BEGIN { printf \"%.3f\", $1 }" 2>/dev/null || echo n/a
}
num_or_na() { [ -n "$1" ] && echo "$1" || echo n/a; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || true; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || true; }

# wait_line FILE PATTERN SECONDS: wait until FILE has a line matching PATTERN.
wait_line() {
    local i n
    n=$(awk "BEGIN { print int($3 * 100) }")
    for i in $(seq 1 "$n"); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.01
    done
    return 1
}

# ---------------------------------------------------------------------------
# Build

if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
    log "building Release into $BUILD/ ..."
    cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >"$TMP/cmake.log" 2>&1 ||
        { cat "$TMP/cmake.log" >&2; exit 1; }
    cmake --build "$BUILD" -j"$(nproc)" --target llmux-load >>"$TMP/cmake.log" 2>&1 ||
        { cat "$TMP/cmake.log" >&2; exit 1; }
    for t in llmux-mock llmux llmux-bench-route llmux-bench-translate; do
        cmake --build "$BUILD" -j"$(nproc)" --target "$t" >>"$TMP/cmake.log" 2>&1 ||
            log "warning: cannot build $t (see below)"
    done
fi
LOAD=$BUILD/llmux-load
MOCK=$BUILD/llmux-mock
LLMUX=$BUILD/llmux
[ -x "$LOAD" ] || { log "no $LOAD"; exit 1; }

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((STREAMS * 2 + 200)) ]; then
    note "open-file limit $(ulimit -n) is low for $STREAMS streams"
fi

# ---------------------------------------------------------------------------
# Processes

# start_mock NAME ARGS...: starts llmux-mock, sets MOCK_PORT.
start_mock() {
    local name=$1
    shift
    "$MOCK" --host 127.0.0.1 --port 0 --workers 1 --api-key "$MOCK_KEY" "$@" \
        >"$TMP/$name.log" 2>&1 &
    PIDS+=($!)
    if ! wait_line "$TMP/$name.log" "listening on" 10; then
        log "llmux-mock ($name) did not start:"
        cat "$TMP/$name.log" >&2
        return 1
    fi
    MOCK_PORT=$(sed -n 's/.*listening on [^ ]*:\([0-9][0-9]*\).*/\1/p' "$TMP/$name.log" | head -n1)
}

write_config() {
    cat >"$TMP/config.yaml" <<EOF
model_list:
  - model_name: bench
    litellm_params:
      model: openai/bench
      api_base: http://127.0.0.1:$MOCK_FAST/v1
      api_key: $MOCK_KEY
  - model_name: bench-slow
    litellm_params:
      model: openai/bench
      api_base: http://127.0.0.1:$MOCK_SLOW/v1
      api_key: $MOCK_KEY
  - model_name: bench-stream
    litellm_params:
      model: openai/$STREAM_MODEL
      api_base: http://127.0.0.1:$MOCK_FAST/v1
      api_key: $MOCK_KEY
      extra_headers:
        x-mock-chunks: "$CHUNKS"
        x-mock-interval-ms: "$CHUNK_MS"
general_settings:
  master_key: $MASTER_KEY
EOF
}

# start_llmux: starts llmux on the generated config, sets LLMUX_PID and LLMUX_PORT.
start_llmux() {
    "$LLMUX" --config "$TMP/config.yaml" --port 0 --host 127.0.0.1 --num_workers "$WORKERS" \
        >"$TMP/llmux.log" 2>&1 &
    LLMUX_PID=$!
    PIDS+=("$LLMUX_PID")
    if ! wait_line "$TMP/llmux.log" "listening on" 10; then
        log "llmux did not start:"
        tail -n 20 "$TMP/llmux.log" >&2
        return 1
    fi
    LLMUX_PORT=$(sed -n 's/.*listening on http:\/\/[^ ]*:\([0-9][0-9]*\).*/\1/p' \
        "$TMP/llmux.log" | head -n1)
    "$LOAD" --wait-ready "http://127.0.0.1:$LLMUX_PORT/health/readiness" --timeout 10 >/dev/null
}

# load NAME ARGS...: one llmux-load run, JSON into $TMP/NAME.json, human lines into NAME.txt.
load() {
    local name=$1 rc=0
    shift
    log "-- $name: llmux-load $*"
    "$LOAD" --json "$@" >"$TMP/$name.json" 2>"$TMP/$name.txt" || rc=$?
    sed 's/^/   /' "$TMP/$name.txt" >&2
    if [ "$rc" != 0 ] || [ "$(jget "$TMP/$name.json" errors)" != 0 ]; then
        FAILED=1
        note "$name: $(jget "$TMP/$name.json" errors || true) failed request(s) (exit $rc)"
    fi
    return 0
}

HAVE_MOCK=0
HAVE_LLMUX=0
if [ -x "$MOCK" ]; then
    start_mock mock-fast && MOCK_FAST=$MOCK_PORT &&
        start_mock mock-slow --latency-ms 50 && MOCK_SLOW=$MOCK_PORT && HAVE_MOCK=1
fi
if [ "$HAVE_MOCK" = 1 ]; then
    log "llmux-mock: fast on port $MOCK_FAST, 50 ms on port $MOCK_SLOW"
    write_config
    if [ -x "$LLMUX" ] && start_llmux; then
        HAVE_LLMUX=1
        log "llmux: port $LLMUX_PORT, pid $LLMUX_PID, --num_workers $WORKERS"
    else
        note "llmux could not be started: through-llmux figures, RSS and cold start not measured"
    fi
else
    note "llmux-mock is not built or did not start: nothing measured"
fi
if [ "$HAVE_LLMUX" = 0 ]; then
    FAILED=1
fi

DIRECT=(--key "$MOCK_KEY")
VIA=(--key "$MASTER_KEY")

# ---------------------------------------------------------------------------
# d (first half): idle RSS after start, before any load

IDLE_RSS=
if [ "$HAVE_LLMUX" = 1 ]; then
    sleep 1
    IDLE_RSS=$(rss_kb "$LLMUX_PID")
    log "-- idle RSS: ${IDLE_RSS} kB"
fi

# ---------------------------------------------------------------------------
# c: streams (first, so that VmHWM reflects them)

STREAM_RSS=
if [ "$HAVE_MOCK" = 1 ]; then
    load c-direct --port "$MOCK_FAST" "${DIRECT[@]}" --model "$STREAM_MODEL" --streams "$STREAMS" \
        --stream-chunks "$CHUNKS" -H "x-mock-interval-ms: $CHUNK_MS" --timeout 60
fi
if [ "$HAVE_LLMUX" = 1 ]; then
    log "-- c-llmux: llmux-load --streams $STREAMS (RSS sampled every 50 ms meanwhile)"
    "$LOAD" --json --port "$LLMUX_PORT" "${VIA[@]}" --model bench-stream --streams "$STREAMS" \
        --stream-chunks "$CHUNKS" --mock-header-prefix x-pass- \
        -H "x-pass-x-mock-interval-ms: $CHUNK_MS" --timeout 60 \
        >"$TMP/c-llmux.json" 2>"$TMP/c-llmux.txt" &
    lpid=$!
    PIDS+=("$lpid")
    max=0
    while kill -0 "$lpid" 2>/dev/null; do
        r=$(rss_kb "$LLMUX_PID")
        [ -n "$r" ] && [ "$r" -gt "$max" ] && max=$r
        sleep 0.05
    done
    rc=0
    wait "$lpid" || rc=$?
    sed 's/^/   /' "$TMP/c-llmux.txt" >&2
    STREAM_RSS=$max
    STREAM_HWM=$(hwm_kb "$LLMUX_PID")
    log "   llmux RSS while streaming: max $STREAM_RSS kB (VmHWM $STREAM_HWM kB)"
    if [ "$rc" != 0 ] || [ "$(jget "$TMP/c-llmux.json" errors)" != 0 ]; then
        FAILED=1
        note "c-llmux: $(jget "$TMP/c-llmux.json" errors || true) failed request(s) (exit $rc)"
    fi
fi
for side in direct llmux; do
    ev=$(jget "$TMP/c-$side.json" events_min)
    if [ -n "$ev" ] && [ "$ev" -lt "$CHUNKS" ]; then
        note "c-$side: only $ev data events per stream (asked for $CHUNKS): the mock controls" \
            "did not reach the mock, so the streams were shorter than specified"
    fi
done

# ---------------------------------------------------------------------------
# a: throughput at 64 connections

if [ "$HAVE_MOCK" = 1 ]; then
    load a-direct --port "$MOCK_FAST" "${DIRECT[@]}" --model bench --connections 64 \
        --duration "$DUR" --warmup "$WARM"
fi
if [ "$HAVE_LLMUX" = 1 ]; then
    load a-llmux --port "$LLMUX_PORT" "${VIA[@]}" --model bench --connections 64 \
        --duration "$DUR" --warmup "$WARM"
fi

# ---------------------------------------------------------------------------
# b: added latency at fixed rates (mock answers after 50 ms)

for rate in 1000 5000; do
    if [ "$HAVE_MOCK" = 1 ]; then
        load "b$rate-direct" --port "$MOCK_SLOW" "${DIRECT[@]}" --model bench-slow \
            --rate "$rate" --duration "$DUR" --warmup "$WARM" --max-connections 4000 \
            --timeout 10
    fi
    if [ "$HAVE_LLMUX" = 1 ]; then
        load "b$rate-llmux" --port "$LLMUX_PORT" "${VIA[@]}" --model bench-slow \
            --rate "$rate" --duration "$DUR" --warmup "$WARM" --max-connections 4000 \
            --timeout 10
    fi
done
AFTER_RSS=
if [ "$HAVE_LLMUX" = 1 ]; then
    AFTER_RSS=$(rss_kb "$LLMUX_PID")
    FINAL_HWM=$(hwm_kb "$LLMUX_PID")
fi

# ---------------------------------------------------------------------------
# d: cold start (a fresh llmux each run; the benchmark instance stays idle meanwhile)

if [ "$HAVE_LLMUX" = 1 ]; then
    log "-- d: cold start, 9 runs"
    if ! "$LOAD" --json --cold-start --runs 9 --timeout 10 -- "$LLMUX" --config \
        "$TMP/config.yaml" --port 0 --host 127.0.0.1 --num_workers "$WORKERS" \
        >"$TMP/d-cold.json" 2>"$TMP/d-cold.txt"; then
        FAILED=1
        note "cold start could not be measured: $(tail -n1 "$TMP/d-cold.txt")"
    fi
    sed 's/^/   /' "$TMP/d-cold.txt" >&2
fi

# ---------------------------------------------------------------------------
# Figures

f() { num_or_na "$(jget "$TMP/$1.json" "$2")"; }
ms() { calc "$1 / 1000"; }
mb() { calc "$1 / 1024"; }
# verdict VALUE OP LIMIT
verdict() {
    [ "$1" = n/a ] && { echo "not measured"; return; }
    awk "BEGIN { exit !($1 $2 $3) }" && echo pass || echo FAIL
}

A_D=$(f a-direct rps)
A_L=$(f a-llmux rps)
A_RATIO=$(calc "$A_L / $A_D * 100")
A_SHOW="ratio $A_RATIO%"
[ "$A_RATIO" = n/a ] && A_SHOW="ratio n/a"
ROWS=()
row() { ROWS+=("$1|$2|$3|$4|$5|$6"); }

row "a. non-stream RPS, 64 connections" "$A_D" "$A_L" "$A_SHOW" ">= 30%" \
    "$(verdict "$A_RATIO" '>=' 30)"
for rate in 1000 5000; do
    lim=1
    [ "$rate" = 5000 ] && lim=2
    for p in 50 99; do
        d=$(f "b$rate-direct" "p${p}_us")
        l=$(f "b$rate-llmux" "p${p}_us")
        add=$(calc "($l - $d) / 1000")
        if [ "$p" = 99 ]; then
            row "b. p$p at $rate req/s (ms)" "$(ms "$d")" "$(ms "$l")" "added $add ms" \
                "<= $lim ms" "$(verdict "$add" '<=' "$lim")"
        else
            row "b. p$p at $rate req/s (ms)" "$(ms "$d")" "$(ms "$l")" "added $add ms" "" ""
        fi
    done
done
for p in 50 99; do
    d=$(f c-direct "ttfb_p${p}_us")
    l=$(f c-llmux "ttfb_p${p}_us")
    row "c. first chunk p$p, $STREAMS streams (ms)" "$(ms "$d")" "$(ms "$l")" \
        "added $(calc "($l - $d) / 1000") ms" "" ""
done
d=$(f c-direct total_p50_us)
l=$(f c-llmux total_p50_us)
row "c. stream duration p50 (ms; $CHUNKS x $CHUNK_MS ms asked)" "$(ms "$d")" "$(ms "$l")" \
    "chunks: $(f c-direct events_min) direct, $(f c-llmux events_min) through llmux" "" ""
SR=$(num_or_na "$STREAM_RSS")
row "c. llmux RSS with $STREAMS open streams (MB)" "" "$(mb "$SR")" \
    "$(calc "($SR - ${IDLE_RSS:-n/a}) / $STREAMS") kB/stream over idle" "<= 64 MB" \
    "$(verdict "$(mb "$SR")" '<=' 64)"
IR=$(num_or_na "$IDLE_RSS")
row "d. llmux idle RSS after start (MB)" "" "$(mb "$IR")" "" "<= 12 MB" \
    "$(verdict "$(mb "$IR")" '<=' 12)"
CS=$(f d-cold median_ms)
row "d. cold start to readiness 200 (ms, median of 9)" "" "$CS" \
    "min $(f d-cold min_ms), max $(f d-cold max_ms)" "<= 50 ms" "$(verdict "$CS" '<=' 50)"
TOTAL_ERR=0
for j in "$TMP"/*-direct.json "$TMP"/*-llmux.json; do
    [ -f "$j" ] || continue
    e=$(jget "$j" errors)
    TOTAL_ERR=$((TOTAL_ERR + ${e:-0}))
done
row "failed requests, all runs" "" "$TOTAL_ERR" "" "0" "$([ "$TOTAL_ERR" = 0 ] && echo pass || echo FAIL)"

# ---------------------------------------------------------------------------
# Output

print_table() {
    local r
    printf '| Figure | Direct to mock | Through llmux | Result | Target | |\n'
    printf '|---|---:|---:|---|---|---|\n'
    for r in "${ROWS[@]}"; do
        printf '| %s |\n' "$(echo "$r" | sed 's/|/ | /g')"
    done
}

CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
MEM=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo "none")
if [ -n "$(git status --porcelain 2>/dev/null | head -n1)" ]; then COMMIT="$COMMIT (+ local changes)"; fi

report() {
    cat <<EOF
# llmux benchmark results

Produced by \`bench/run.sh\` (same as \`make bench\`) on $(date -u '+%Y-%m-%d %H:%M UTC'),
commit $COMMIT. Every figure comes from this one run: each scenario ran direct to
llmux-mock and through llmux back to back on the same machine.

Machine: $(nproc) CPUs ($CPU), $MEM memory, $(uname -sr); load average
$LOAD_BEFORE before the run, $LOAD_AFTER after (other work on the machine skews the
figures).

## Figures

$(print_table)

EOF
    if [ "${#NOTES[@]}" -gt 0 ]; then
        echo "## Notes from this run"
        echo
        for n in "${NOTES[@]}"; do echo "- $n"; done
        echo
    fi
    cat <<EOF
## How it is measured

- **Processes.** llmux-mock runs with \`--workers 1\` (two instances: one answering at
  once, one with \`--latency-ms 50\`), llmux with \`--num_workers $WORKERS\`, llmux-load with
  one thread. On a 2-core machine this is the fair split: direct, the load generator and
  the mock each have a core; through llmux, llmux shares the two cores with them, as a
  sidecar gateway would. More llmux workers would only take CPU from the mock and the load
  generator. The mock checks \`Authorization: Bearer $MOCK_KEY\` on every request, so both
  paths do the same work at the mock; llmux is called with its master key.
- **a.** Closed loop: 64 keep-alive connections, each with one non-stream chat request
  outstanding, ${WARM} s warm-up then ${DUR} s measured. RPS = successful responses / time.
- **b.** Open loop: requests issued from a 1 ms timer at a fixed rate (${WARM} s warm-up, ${DUR} s
  measured), connections added as needed; latency counts from the *scheduled* send time,
  so queueing is not hidden (no coordinated omission). The mock waits 50 ms before
  answering; "added" = through llmux minus direct, at the same percentile.
- **c.** $STREAMS concurrent streaming requests on $STREAMS connections, $CHUNKS chunks each,
  $CHUNK_MS ms apart. The mock reads the request headers \`x-mock-chunks\` and
  \`x-mock-interval-ms\`; through llmux they are sent as \`x-pass-x-mock-...\`, and also set
  as the deployment's \`extra_headers\` and in its model name (\`$STREAM_MODEL\`), so
  that whichever forwarding llmux supports carries them ("chunks" in the table, events_min
  in the raw results, shows what arrived). First chunk = request sent to the first body
  bytes holding \`data:\`; a stream counts only when \`data: [DONE]\` arrived. RSS = the
  highest VmRSS of llmux sampled every 50 ms while the streams were open (VmHWM then:
  ${STREAM_HWM:-n/a} kB). A stream duration above $CHUNKS x $CHUNK_MS ms means the mock's
  pacing stretched: with 1,000 streams each round of chunk writes delays the next one;
  it stretches both paths alike. 20 ms is the default pace because at 10 ms (100,000
  chunk writes/s) a 2-core machine saturates and the first-chunk times measure CPU
  starvation more than llmux.
- **d.** Idle RSS = VmRSS of llmux 1 s after it became ready, before any load (after all
  runs: ${AFTER_RSS:-n/a} kB, VmHWM ${FINAL_HWM:-n/a} kB). Cold start = \`llmux-load
  --cold-start\`: fork+exec of llmux on the same config and \`--port 0\`, read its
  "listening on" line, then GET /health/readiness every 1 ms until 200; median of 9 runs.
- Latencies come from an HDR-style histogram (0.1% buckets, 1 us to 60 s).

## Raw results (llmux-load --json)

\`\`\`
EOF
    for j in "$TMP"/*.json; do
        [ -f "$j" ] || continue
        printf '%s: %s\n' "$(basename "$j" .json)" "$(cat "$j")"
    done
    echo '```'
}

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
# The run itself keeps about 2 runnable threads busy; much more means someone else was busy too.
if awk -v a="${LOAD_BEFORE%% *}" -v b="${LOAD_AFTER%% *}" 'BEGIN { exit !(a > 1 || b > 3) }'; then
    note "the machine was busy with other work (load average ${LOAD_BEFORE%% *} before," \
        "${LOAD_AFTER%% *} after): these figures are skewed; rerun on an idle machine"
fi
report >"$TMP/RESULTS.md"
echo
print_table
for n in "${NOTES[@]}"; do echo "note: $n"; done
# the router's figures (issue: router and resilience): a retry's cost, a routing decision
{
    echo
    echo "## Router"
    echo
    echo "Command: \`bench/retry.sh\` (run by bench/run.sh after the scenarios above)."
    echo
    case $BUILD in /*) bb=$BUILD ;; *) bb=$PWD/$BUILD ;; esac
    BENCH_BUILD="$bb" bench/retry.sh
} >>"$TMP/RESULTS.md" 2>/dev/null || note "bench/retry.sh failed"
# translation cost per family (issue: provider adapters), from the recorded traffic in shared/
{
    echo
    echo "## Translation"
    echo
    echo "Command: \`$BUILD/llmux-bench-translate\` (build() of a chat request, parse() of a recorded"
    echo "answer, stream_feed() of a recorded stream per chunk produced; targets <= 30 us per"
    echo "non-stream call, <= 3 us per chunk)."
    echo
    LMX_FIXTURES="${LMX_FIXTURES:-$ROOT/../shared/fixtures}" "$BUILD/llmux-bench-translate"
} >>"$TMP/RESULTS.md" 2>/dev/null || note "llmux-bench-translate failed"
if [ "$RESULTS" != - ]; then
    cp "$TMP/RESULTS.md" "$RESULTS"
    echo "wrote $RESULTS"
fi
exit "$FAILED"
