#!/bin/sh
# Runs test binaries and libFuzzer corpus replays, and ends with one summary line that CI
# reads: "N passed, N failed" (skipped tests, each with its reason in the log, are counted on
# the line before).
#   run.sh LABEL BUILD test... [-- BUILD test...] [-- suite script...] [-- fuzz fuzzer...]
# A binary that crashes or exits non-zero without cmocka's summary counts as one failure.
set -u
label=$1
shift
build=$1
shift
passed=0
failed=0
skipped=0
failures=""
skips=""
logdir=build/test-logs
mkdir -p "$logdir"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

run_cmocka() {
    bin=$1
    name=$(echo "$bin" | tr '/' '_')
    log="$logdir/$name.log"
    start=$(date +%s)
    "$bin" >"$log" 2>&1
    rc=$?
    secs=$(($(date +%s) - start))
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\..*/\1/p' "$log" | tail -1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s).*/\1/p' "$log" | tail -1)
    s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test(s).*/\1/p' "$log" | tail -1)
    p=${p:-0}
    f=${f:-0}
    s=${s:-0}
    if [ "$s" -ne 0 ]; then
        skipped=$((skipped + s))
        skips="$skips $bin"
        grep '^skipped: ' "$log" | sed "s|^|    $bin: |"
    fi
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1 # crashed, sanitizer report, or failed before any test ran
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$f" -ne 0 ]; then
        failures="$failures $bin"
        echo "FAIL $bin ($p passed, $f failed, ${secs}s) -- log follows"
        sed 's/^/    /' "$log" | tail -80
    else
        if [ "$s" -ne 0 ]; then
            echo "ok   $bin ($p passed, $s skipped, ${secs}s)"
        else
            echo "ok   $bin ($p passed, ${secs}s)"
        fi
    fi
}

run_fuzz_replay() {
    bin=$1
    name=$(basename "$bin")
    corpus=fuzz/corpus/$name
    log="$logdir/$name.replay.log"
    # Every seed and every past crash reproducer must run clean, then a short fuzz round (2 s
    # each: a smoke test that CI's time budget can afford for every harness; `make fuzz` is
    # the real fuzzing, FUZZ_SECONDS each). New inputs go to the first corpus directory, so
    # that one is under build/.
    mkdir -p "build/fuzz/corpus/$name"
    if "$bin" -runs=0 "$corpus" >"$log" 2>&1 &&
        "$bin" -max_total_time="${FUZZ_SMOKE_SECONDS:-2}" -artifact_prefix=build/fuzz/ \
            "build/fuzz/corpus/$name" "$corpus" >>"$log" 2>&1; then
        passed=$((passed + 1))
        echo "ok   $bin (corpus replay + ${FUZZ_SMOKE_SECONDS:-2}s fuzz)"
    else
        failed=$((failed + 1))
        failures="$failures $bin"
        echo "FAIL $bin -- log follows"
        tail -60 "$log" | sed 's/^/    /'
    fi
}

# A script that ends its output with "N passed, M failed" (the e2e suite, manifest checks).
run_suite() {
    script=$1
    name=$(echo "$script" | tr '/' '_')
    log="$logdir/$name.log"
    start=$(date +%s)
    "$script" >"$log" 2>&1
    rc=$?
    secs=$(($(date +%s) - start))
    counts=$(awk '{ for (i = 2; i <= NF; i++) { if ($i == "passed,") p = $(i - 1); if ($i == "failed") f = $(i - 1) } }
                  END { print (p == "" ? 0 : p) + 0, (f == "" ? 0 : f) + 0 }' "$log")
    p=${counts% *}
    f=${counts#* }
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$f" -ne 0 ]; then
        failures="$failures $script"
        echo "FAIL $script ($p passed, $f failed, ${secs}s) -- log follows"
        grep -v '^ok' "$log" | tail -80 | sed 's/^/    /'
    else
        echo "ok   $script ($p passed, ${secs}s)"
    fi
}

mode=cmocka
echo "== $label tests ($build)"
for arg in "$@"; do
    if [ "$arg" = "--" ]; then
        mode=next
        continue
    fi
    if [ "$mode" = next ]; then
        if [ "$arg" = fuzz ]; then
            mode=fuzz
            echo "== fuzz corpus replay"
        elif [ "$arg" = suite ]; then
            mode=suite
            echo "== suites"
        else
            mode=cmocka
            echo "== tests ($arg)"
        fi
        continue
    fi
    if [ "$mode" = fuzz ]; then
        run_fuzz_replay "$arg"
    elif [ "$mode" = suite ]; then
        run_suite "$arg"
    else
        run_cmocka "$arg"
    fi
done

[ -z "$failures" ] || echo "failed:$failures"
[ "$skipped" -eq 0 ] || echo "$skipped skipped (their reasons are above):$skips"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
