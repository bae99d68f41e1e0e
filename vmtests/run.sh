#!/bin/bash
# vmtests/run.sh: the VM tests (`make vmtest`; docs/vmtests.md). Boots Debian's 6.1 kernel in
# qemu (TCG) with vmtests/vm.sh; each section is one function that prints "ok - ..." /
# "not ok - ..." lines through vt_result. Last line: "vmtest: N passed, M failed"; exit status
# non-zero when anything failed. Needs what scripts/deps.sh installs; runs as root or not
# (qemu needs neither KVM nor privileges).
#
#   BUILD=build            where `make vmtest` put the static collector and helpers
#   VMTEST_SECTIONS="..."  the sections to run (default: all, in order)
set -u
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
VT_WORK=$BUILD/vmtests/work
VT_PASS=0
VT_FAIL=0

# shellcheck source=vmtests/vm.sh
. vmtests/vm.sh
trap vm_kill_all EXIT
trap 'vm_kill_all; exit 130' INT TERM

vt_ok() { echo "ok - $*"; VT_PASS=$((VT_PASS + 1)); }
vt_notok() { echo "not ok - $*"; VT_FAIL=$((VT_FAIL + 1)); }
# vt_result LINE: counts and prints one line of a guest's results file ("# ..." lines are
# figures, printed as they are).
vt_result() {
    case $1 in
        "ok - "*) VT_PASS=$((VT_PASS + 1)) ;;
        "not ok - "*) VT_FAIL=$((VT_FAIL + 1)) ;;
    esac
    echo "$1"
}

# vt_stage_bin DIR: the guest's programs into DIR: the static collector, the static helpers
# (build/vmtests/*), and jq with the shared libraries it needs (lib/, run through lib's loader).
vt_stage_bin() {
    local dir=$1 lib
    mkdir -p "$dir/lib" || return 1
    cp "$BUILD/static/kmetrics-collector" "$dir/" || return 1
    find "$BUILD/vmtests" -maxdepth 1 -type f -perm -u+x -exec cp {} "$dir/" \; || return 1
    cp "$(command -v jq)" "$dir/jq" || return 1
    for lib in $(ldd "$(command -v jq)" | awk '/=>/ { print $3 } /^\t\// { print $1 }'); do
        cp -L "$lib" "$dir/lib/" || return 1
    done
    [ -e "$dir/lib/ld-linux-x86-64.so.2" ]
}

# --- single node: vmtests/node/node-test.sh in one VM --------------------------------------
section_node() {
    local share=$VT_WORK/node-share rc line
    rm -rf "$share" && mkdir -p "$share" || return 1
    vt_stage_bin "$share/bin" || { vt_notok "node: staging the guest's programs"; return; }
    cp vmtests/node/node-test.sh "$share/"
    VM_DISK_MB=512 VM_APPEND=psi=1 vm_start node "$share" "sh /mnt/node-test.sh" 420 ||
        { vt_notok "node: VM did not start"; return; }
    if vm_silent node 120; then
        echo "# node: the VM printed nothing in 120 s; starting it once more"
        vm_kill node
        VM_DISK_MB=512 VM_APPEND=psi=1 vm_start node "$share" "sh /mnt/node-test.sh" 420 ||
            { vt_notok "node: VM did not start"; return; }
    fi
    vm_wait node
    rc=$?
    if [ -f "$share/results" ]; then
        while IFS= read -r line; do vt_result "$line"; done <"$share/results"
    fi
    if [ "$rc" -ne 0 ]; then
        grep -q '^not ok' "$share/results" 2>/dev/null ||
            vt_notok "node: the guest's test script ended with $rc"
        for f in "$share"/out/*.log; do
            [ -f "$f" ] && { echo "----- $(basename "$f") -----"; tail -n 40 "$f"; }
        done
    fi
}

# --- two nodes: vmtests/multinode/run.sh (multinode_tests, its own checks and cleanup) -----
section_multinode() {
    local line
    # shellcheck source=vmtests/multinode/run.sh
    . vmtests/multinode/run.sh || { vt_notok "multinode: vmtests/multinode/run.sh"; return; }
    while IFS= read -r line; do vt_result "$line"; done < <(multinode_tests "$VM_WORKDIR")
}

vt_section() { # NAME FUNCTION
    local t0=$SECONDS
    echo "== $1"
    "$2"
    echo "== $1: $((SECONDS - t0)) s"
}

t0=$SECONDS
vm_prepare "$VT_WORK" || { echo "vmtest: 0 passed, 1 failed"; exit 1; }
echo "vmtest: kernel $VM_KERNEL"
for s in ${VMTEST_SECTIONS:-node multinode}; do
    vt_section "$s" "section_$s"
done
echo "vmtest: $((SECONDS - t0)) s"
echo "vmtest: $VT_PASS passed, $VT_FAIL failed"
[ "$VT_FAIL" -eq 0 ] && [ "$VT_PASS" -gt 0 ]
