#!/usr/bin/env bash
# Fails when a C++ file is not formatted with the project's .clang-format. Also usable as a
# git pre-commit hook: ln -s ../../scripts/check-format.sh .git/hooks/pre-commit
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mapfile -t files < <(git ls-files '*.cpp' '*.h')
if ! clang-format --dry-run --Werror "${files[@]}" 2>/tmp/flippdeal-format.log; then
    grep -E "error:" /tmp/flippdeal-format.log | cut -d: -f1 | sort -u | sed 's/^/not formatted: /' >&2
    echo "run: clang-format -i \$(git ls-files '*.cpp' '*.h')" >&2
    exit 1
fi
