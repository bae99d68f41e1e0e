#!/bin/sh
# Checks the layer rules of docs/architecture.md over every #include "..." line of the two
# programs and common/ (the compiler already refuses an include of the other program: each
# compiles with its own include path). Rules:
#   - common/ includes only common/, and only log.c logs (no other file includes log.h);
#   - within a program, a file includes its own folder or a lower layer, never a higher one;
#   - no cycle among headers.
# Layers, lowest first (the same table is in docs/architecture.md):
#   common:     common/ < common/wire/
#   collector:  sample/ < discover/ < model (userspace/*.[ch]) < ship/ < main.c
#   aggregator: metrics_model.h (plain view structs) < render/ < store/ < http/ < kube/ <
#               auth/, kubelet/ < model (aggregator.h, selfmetrics) < handlers/ < server.c, main.c
# Ends with "N passed, M failed" (files without and with a violation) for tests/run.sh.
#   check-layers.sh [ROOT]   ROOT: the tree to check (default: this repository; the self-test
#                            in tests/layers/ gives a tree of its own)
set -eu
cd "${1:-$(dirname "$0")/..}"

find common userspace api -name '*.[ch]' | sort | awk '
function prog_of(p) { split(p, a, "/"); return a[1] }
# The layer of a file: its folder, with the root files of each program placed explicitly.
function rank_of(p,    a, n, dir, base) {
    n = split(p, a, "/")
    base = a[n]
    dir = n > 2 ? a[2] : ""
    if (a[1] == "common") return dir == "" ? 0 : (dir == "wire" ? 1 : -1)
    if (a[1] == "userspace") {
        if (dir == "sample") return 1
        if (dir == "discover") return 2
        if (dir == "ship") return 4
        if (dir != "") return -1
        return base == "main.c" ? 5 : 3
    }
    if (a[1] == "api") {
        if (dir == "render") return 2
        if (dir == "store") return 3
        if (dir == "http") return 4
        if (dir == "kube") return 5
        if (dir == "auth") return 6
        if (dir == "kubelet") return 6
        if (dir == "handlers") return 8
        if (dir != "") return -1
        if (base == "metrics_model.h") return 1
        if (base == "main.c" || base == "server.c" || base == "server.h") return 9
        return 7
    }
    return -1
}
function exists(p,    line, r) {
    r = (getline line < p)
    close(p)
    return r >= 0
}
function dirname(p,    i) { i = match(p, /\/[^\/]*$/); return i ? substr(p, 1, i - 1) : "." }
# Resolves an include as the compiler would: the including file'"'"'s folder, then the
# program'"'"'s include path. "" for generated headers (BPF skeletons) and system ones.
function resolve(from, inc,    p, cand, i, n, dirs) {
    cand = dirname(from) "/" inc
    if (exists(cand)) return cand
    p = prog_of(from)
    n = split(p == "common" ? "common" : p == "userspace" ? "userspace common bpf" : "api common", dirs, " ")
    for (i = 1; i <= n; i++) {
        cand = dirs[i] "/" inc
        if (exists(cand)) return cand
    }
    return ""
}
function violation(msg) {
    print msg
    bad[FILENAME_CUR] = 1
}
{
    file = $0
    FILENAME_CUR = file
    files[++nfiles] = file
    if (rank_of(file) < 0) violation(file ": in a folder the layer table does not know")
    lineno = 0
    while ((getline line < file) > 0) {
        lineno++
        if (line !~ /^[ \t]*#[ \t]*include[ \t]*"/) continue
        inc = line
        sub(/^[^"]*"/, "", inc)
        sub(/".*$/, "", inc)
        target = resolve(file, inc)
        where = file ":" lineno ": includes \"" inc "\""
        if (target == "") { # headers of the other program are not on the path
            if (inc ~ /\.skel\.h$/) continue
            violation(where ", which is not in its program or common/")
            continue
        }
        if (target ~ /\.h$/ && file ~ /\.h$/) edge[file] = edge[file] " " target
        sp = prog_of(file); tp = prog_of(target)
        if (sp == "common" && tp != "common") { violation(where ": common/ includes only common/"); continue }
        if (inc ~ /(^|\/)log\.h$/ && sp == "common" && file !~ /^common\/log\.[ch]$/)
            violation(where ": only log.c logs in common/")
        if (tp != sp) continue
        if (rank_of(target) > rank_of(file))
            violation(where " (" target "): a higher layer")
        else if (rank_of(target) == rank_of(file) && dirname(target) != dirname(file))
            violation(where " (" target "): another folder of the same layer")
    }
    close(file)
}
function visit(h,    list, n, i, t) {
    state[h] = 1
    n = split(edge[h], list, " ")
    for (i = 1; i <= n; i++) {
        t = list[i]
        if (state[t] == 1) { print h ": header cycle through " t; bad[h] = 1; cycles++ }
        else if (state[t] == 0) visit(t)
    }
    state[h] = 2
}
END {
    for (i = 1; i <= nfiles; i++) if (files[i] ~ /\.h$/ && state[files[i]] == 0) visit(files[i])
    nbad = 0
    for (f in bad) nbad++
    printf "check-layers: %d files\n", nfiles
    printf "%d passed, %d failed\n", nfiles - nbad, nbad
    exit nbad > 0
}'
