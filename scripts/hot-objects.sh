#!/usr/bin/env bash
# The archive members the static collector runs every tick, once started
# (scripts/hot-objects.txt), linked ahead of their libraries so that code is contiguous. The
# kernel maps the 64 KiB around each code page a process touches (fault-around), so a tick's
# few hundred KiB of code, spread over libc and libcrypto, kept ~2 MiB of the binary resident;
# clustered, well under 1 MiB (docs/collector-cost.md). Only RSS depends on the list.
#
#   hot-objects.sh extract CC LIST DIR
#       extracts each listed member of the archive CC links into DIR/<archive>/<member> and
#       writes their paths, in list order, to DIR/objects. A member its archive no longer has
#       is skipped with a warning.
#   hot-objects.sh profile BUILD
#       remakes scripts/hot-objects.txt: runs BUILD/bench/bench_collector_memory --profile
#       (the collector under valgrind's callgrind, its steady minute recorded; needs root and
#       valgrind), and names the archive member of every instruction executed, from the link
#       map BUILD/static/kmetrics-collector.map.
set -euo pipefail

die() {
    echo "hot-objects.sh: $*" >&2
    exit 2
}

extract() {
    local cc=$1 list=$2 dir=$3 lib member archive
    rm -rf "$dir"
    mkdir -p "$dir"
    : >"$dir/objects"
    while read -r lib member; do
        [[ -z $lib || $lib == \#* ]] && continue
        archive=$("$cc" -print-file-name="$lib")
        if [[ $archive != /* ]] || ! ar t "$archive" "$member" >/dev/null 2>&1; then
            echo "hot-objects.sh: $lib has no $member; linked where it falls" >&2
            continue
        fi
        mkdir -p "$dir/$lib"
        (cd "$dir/$lib" && ar x "$archive" "$member")
        echo "$dir/$lib/$member" >>"$dir/objects"
    done <"$list"
}

work=""
trap '[[ -z $work ]] || rm -rf "$work"' EXIT

profile() {
    local build=$1 list
    list=$(dirname "$0")/hot-objects.txt
    [[ -x $build/bench/bench_collector_memory && -f $build/static/kmetrics-collector.map ]] ||
        die "run make static $build/bench/bench_collector_memory first"
    command -v valgrind >/dev/null || die "valgrind is not installed"
    work=$(mktemp -d)
    # valgrind cannot read clang's DWARF 5: a copy without it, at the same addresses.
    strip -g -o "$work/collector" "$build/static/kmetrics-collector"
    "$build/bench/bench_collector_memory" --collector="$work/collector" \
        --profile="$work/callgrind.out"
    python3 - "$work/callgrind.out" "$build/static/kmetrics-collector.map" "$list" \
        "${CC:-clang}" <<'PY'
import bisect, re, subprocess, sys

profile, link_map, out, cc = sys.argv[1:5]

# Instruction addresses with a cost in the profile ("positions: instr line": address, line,
# cost; addresses may be relative to the previous one).
addrs, cur = set(), 0
for line in open(profile):
    t = line.split()
    if len(t) < 3 or line.startswith("calls=") or not re.match(r"^(0x[0-9a-f]+|[+-]\d+|\*)$", t[0]):
        continue
    if t[0].startswith("0x"):
        cur = int(t[0], 16)
    elif t[0][0] in "+-":
        cur += int(t[0])
    if int(t[-1]) > 0:
        addrs.add(cur)

# The link map's code input sections: address, size, input file ("lib.a(member.o)", or an
# extracted member "DIR/lib.a/member.o" when the list was used).
ranges, name = [], None
for line in open(link_map):
    m = re.match(r"^ (\.text\S*)(?:\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+))?$", line)
    if m and m.group(2):
        ranges.append((int(m.group(2), 16), int(m.group(3), 16), m.group(4)))
        continue
    name = m.group(1) if m else name
    m = re.match(r"^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+)$", line)
    if m and name:
        ranges.append((int(m.group(1), 16), int(m.group(2), 16), m.group(3)))
        name = None
ranges = sorted(r for r in ranges if r[1] > 0)
starts = [r[0] for r in ranges]

members = set()
for a in addrs:
    i = bisect.bisect_right(starts, a) - 1
    if i < 0 or a >= ranges[i][0] + ranges[i][1]:
        continue
    src = ranges[i][2]
    m = re.match(r"^.*/(lib[^/]+\.a)\((.+)\)$", src) or re.match(r"^.*/(lib[^/]+\.a)/([^/]+)$", src)
    if m and not m.group(1).startswith("libkm"):
        members.add((m.group(1), m.group(2)))

# valgrind's CPU has no AVX-512, so glibc chose other variants of its string functions than
# a node will: take every variant of those used.
libc = subprocess.run(["ar", "t", subprocess.run([cc, "-print-file-name=libc.a"],
                      capture_output=True, text=True).stdout.strip()],
                      capture_output=True, text=True).stdout.split()
variant = re.compile(r"^((?:mem|str|stp|wcs|wmem|rawmem)[a-z0-9]*)-[a-z0-9_-]+\.o$")
for lib, member in list(members):
    m = variant.match(member) if lib == "libc.a" else None
    if m:
        members |= {("libc.a", o) for o in libc if o.startswith(m.group(1) + "-")}

with open(out, "w") as f:
    f.write("# Archive members the static collector runs every tick once started, linked first\n"
            "# so that code is contiguous (scripts/hot-objects.sh; remade by its `profile`).\n")
    for lib, member in sorted(members):
        f.write(f"{lib} {member}\n")
print(f"{out}: {len(members)} members from {len(addrs)} instructions executed")
PY
}

case ${1:-} in
    extract) [[ $# -eq 4 ]] || die "usage: extract CC LIST DIR"; extract "$2" "$3" "$4" ;;
    profile) [[ $# -eq 2 ]] || die "usage: profile BUILD"; profile "$2" ;;
    *) die "usage: hot-objects.sh extract CC LIST DIR | profile BUILD" ;;
esac
