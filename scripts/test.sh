#!/usr/bin/env bash
# The README's test command: installs what is missing, builds (warnings are errors) and runs
# every test: unit, integration (real sockets, real SQLite and PostgreSQL) and the Node
# compatibility suite. Usage: scripts/test.sh [preset]   (debug by default; asan works too)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
preset="${1:-debug}"
cd "$root"
# Compiler-cache hits across clones of the repository (CI clones it afresh each run): paths
# under the root are hashed relative to it, and the working directory is not hashed.
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1

scripts/bootstrap.sh
scripts/check-format.sh
# No function over 60 lines outside the tests (issue 12's rule).
python3 scripts/function-lengths.py --check server common client-desktop bench
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)"
# Every binding in qml/ checked against the C++ types of FlippDeal.Core: no qmllint warning.
echo "== qmllint"
cmake --build --preset "$preset" --target all_qmllint

# A throwaway PostgreSQL cluster on loopback for the PostgreSQL half of the matrix.
source scripts/postgres.sh
pg_start

status=0
echo "== tests on SQLite"
# pg_start exported the PostgreSQL URL for the second pass; this pass is the embedded default.
env -u FLIPPDEAL_TEST_DATABASE ctest --preset "$preset" -j 2 || status=1
echo "== server tests on PostgreSQL ($FLIPPDEAL_TEST_DATABASE)"
FLIPPDEAL_TEST_DATABASE="$FLIPPDEAL_TEST_DATABASE" ctest --preset "$preset" -L postgres -j 1 || status=1
# The README's first command builds the release preset: make sure it still compiles cleanly
# (optimized builds see warnings the debug build does not).
echo "== release build of the server and the load generator"
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target flippdeal-server flippdeal-bench || status=1
# 60 s of the soak test against that release build (bench/soak.sh; docs/benchmarks.md): mixed
# load, RSS drift under 10% after warm-up, nothing lost.
echo "== soak test (60 s)"
bench/soak.sh 1 || status=1
# Every libFuzzer target for 30 s on its seed corpus (clang, ASan + UBSan; docs/security.md).
echo "== ThreadSanitizer: the gateway on its I/O threads, the read pool and the writer"
cmake --preset tsan >/dev/null
if cmake --build --preset tsan -j "$(nproc)"; then
    env -u FLIPPDEAL_TEST_DATABASE ctest --preset tsan -j 2 || status=1
else
    echo "tsan build failed" >&2
    status=1
fi
echo "== fuzzing"
scripts/fuzz.sh 30 || status=1
exit $status
