#!/bin/sh
# Self-test of scripts/check-layers.sh: a small tree with one file per rule broken (and some
# allowed includes beside them) must be refused file by file, with the right reason, and the
# repository itself must pass. Ends with "N passed, M failed" for tests/run.sh.
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
check=$repo/scripts/check-layers.sh
tree=$(mktemp -d /tmp/kmetrics-layers-XXXXXX)
trap 'rm -rf "$tree"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; }

file() { # file PATH [INCLUDE...]: a source file holding these includes
    path=$tree/$1
    shift
    mkdir -p "$(dirname "$path")"
    : >"$path"
    for inc in "$@"; do echo "#include \"$inc\"" >>"$path"; done
}

# Allowed: the same folder, lower layers, common/, the vocabulary header, BPF structs.
file common/log.h
file common/log.c log.h
file common/outbuf.h
file common/wire/wire.h outbuf.h
file bpf/events.h
file userspace/sample/reader.h outbuf.h
file userspace/discover/path.h sample/reader.h
file userspace/discover/events.c path.h events.h events.skel.h
file userspace/collector.h discover/path.h
file userspace/ship/shipper.c collector.h wire/wire.h
file userspace/main.c ship/shipper.h collector.h
file userspace/ship/shipper.h
file api/metrics_model.h
file api/render/render.h metrics_model.h outbuf.h
file api/store/store.h render/render.h
file api/http/respond.h render/render.h
file api/kube/labels.c store/store.h http/respond.h
file api/auth/gate.h http/respond.h
file api/aggregator.h store/store.h auth/gate.h
file api/handlers/handlers.h aggregator.h
file api/server.c handlers/handlers.h
# Refused, one rule each.
file common/strmap.c log.h
file common/bad.c aggregator.h
file userspace/sample/up.c collector.h
file userspace/discover/other.c store/store.h
file api/render/up.h store/store.h
file api/store/sideways.c auth/gate.h
file api/auth/up.c handlers/handlers.h
file api/kube/sibling.h auth/gate.h
file api/http/a.h b.h
file api/http/b.h a.h
file api/odd/thing.c

out=$("$check" "$tree" 2>&1)
rc=$?
expect() { # expect FILE REASON
    if printf '%s\n' "$out" | grep -F "$1" | grep -qF "$2"; then ok "$1: $2"; else bad "$1: no \"$2\""; fi
}
expect common/strmap.c "only log.c logs in common/"
expect common/bad.c "which is not in its program or common/"
expect userspace/sample/up.c "a higher layer"
expect userspace/discover/other.c "which is not in its program or common/"
expect api/render/up.h "a higher layer"
expect api/store/sideways.c "a higher layer"
expect api/auth/up.c "a higher layer"
expect api/kube/sibling.h "a higher layer"
expect api/http/ "header cycle"
expect api/odd/thing.c "in a folder the layer table does not know"
for f in common/log.c userspace/discover/events.c userspace/ship/shipper.c userspace/main.c \
    api/kube/labels.c api/server.c api/aggregator.h; do
    if printf '%s\n' "$out" | grep -q "^$f:"; then bad "$f refused: $(printf '%s\n' "$out" | grep "^$f:")"; else ok "$f allowed"; fi
done
if [ "$rc" -ne 0 ] && printf '%s\n' "$out" | grep -q '^[0-9]* passed, 10 failed$'; then
    ok "exit status and summary (10 files refused)"
else
    bad "exit status $rc, summary: $(printf '%s\n' "$out" | tail -1)"
fi
if "$check" >/dev/null 2>&1; then ok "the repository passes"; else bad "the repository has violations (make check-layers)"; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
