#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (the fuzz preset: clang, ASan + UBSan) and runs each
# for a while on a scratch copy of its seed corpus (tests/fuzz/corpus/<target>, never modified).
# Fails on any crash, sanitizer report, leak, timeout or out-of-memory, and prints one line per
# target. Usage: scripts/fuzz.sh [seconds per target, default 30] [target...]
#   e.g. scripts/fuzz.sh 300 wsframe signing
# A failing input is kept in build/fuzz/artifacts/; reproduce with build/fuzz/tests/fuzz/fuzz_<target> <file>.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-30}"
shift || true
cd "$root"

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cd tests/fuzz && ls fuzz_*.cpp | sed 's/^fuzz_//; s/\.cpp$//')
fi

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)" >/dev/null

bin="$root/build/fuzz/tests/fuzz"
artifacts="$root/build/fuzz/artifacts"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$artifacts"
# No allocation stacks while fuzzing (uninstrumented Qt makes them slow and unbounded); a failing
# input is replayed below with full reports.
export ASAN_OPTIONS="${ASAN_OPTIONS:-malloc_context_size=0:quarantine_size_mb=64}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

status=0
for target in "${targets[@]}"; do
    exe="$bin/fuzz_$target"
    if [ ! -x "$exe" ]; then
        echo "fuzz_$target: not built" >&2
        status=1
        continue
    fi
    corpus="$scratch/$target"
    mkdir -p "$corpus"
    if [ -d "tests/fuzz/corpus/$target" ]; then
        cp tests/fuzz/corpus/"$target"/* "$corpus"/
    fi
    args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
          -artifact_prefix="$artifacts/$target-")
    if [ -f "tests/fuzz/$target.dict" ]; then
        args+=(-dict="tests/fuzz/$target.dict")
    fi
    case "$target" in
    htmlsanitizer) args+=(-max_len=102400) ;; # issue 11: every input up to 100 kB within 20 ms
    *) args+=(-max_len=16384) ;;
    esac
    log="$scratch/$target.log"
    rc=0
    start=$(date +%s)
    "$exe" "${args[@]}" "$corpus" >"$log" 2>&1 || rc=$?
    time=$(($(date +%s) - start))
    executions="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
    failures="$(grep -cE '^==[0-9]+==ERROR|runtime error:|invariant violated|ALARM: working on the last Unit|out-of-memory|detected memory leaks|took .* ms of CPU' "$log" || true)"
    if [ "$rc" -ne 0 ] && [ "$failures" -eq 0 ]; then
        failures=1
    fi
    echo "fuzz_$target: ${executions:-0} executions in $time s, $failures crashes (exit $rc)"
    if [ "$rc" -ne 0 ] || [ "$failures" -ne 0 ]; then
        status=1
        grep -E 'ERROR|runtime error|invariant violated|SUMMARY|Test unit written|took .* ms' "$log" | head -n 20 | sed 's/^/    /'
        crash="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)"
        if [ -n "$crash" ] && [ -f "$crash" ]; then
            echo "    reproduce: $exe $crash"
            ASAN_OPTIONS= "$exe" "$crash" 2>&1 | grep -E '^ +#[0-9]+ ' | head -n 15 | sed 's/^/    /' || true
        fi
    fi
done
exit $status
