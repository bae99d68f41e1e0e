#!/bin/sh
# clang-format over every C source of the project: checks (the default; ends with
# "N passed, M failed" over files, for tests/run.sh) or, with --fix, formats in place.
set -eu
cd "$(dirname "$0")/.."
files=$(find common userspace api bpf tests fuzz bench vmtests -name '*.[ch]' | sort)
if [ "${1:-}" = "--fix" ]; then
    # shellcheck disable=SC2086
    clang-format -i $files
    exit 0
fi
passed=0
failed=0
for f in $files; do
    if clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "not formatted: $f (make format)"
        clang-format --dry-run "$f" 2>&1 | head -6 | sed 's/^/    /'
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
