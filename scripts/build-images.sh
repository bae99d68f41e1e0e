#!/usr/bin/env bash
# The two kmetrics container images, built offline with scripts/oci-image.sh (no registry, no
# Docker daemon) from the binaries of `make static`:
#
#   build-images.sh BUILD_DIR
#       BUILD_DIR/static/kmetrics-{collector,aggregator} -> BUILD_DIR/images/kmetrics-*.tar,
#       named docker.io/library/kmetrics-{collector,aggregator}:latest (what containerd's CRI
#       makes of deploy/base's `image: kmetrics-collector`); load one on a node with
#       `ctr -n k8s.io images import BUILD_DIR/images/kmetrics-collector.tar`.
#   build-images.sh --rootfs collector|aggregator BUILD_DIR OUTDIR
#       only assembles that image's root filesystem into OUTDIR (new or empty). The
#       Dockerfiles in deploy/docker/ run this same step, so both kinds of image hold the
#       same files by construction.
#
# Each image's config (entrypoint, user) is the one its Dockerfile gives; tests/images/
# check-images.sh checks that they agree.
set -euo pipefail

die() {
    echo "build-images.sh: $*" >&2
    exit 2
}

# rootfs collector|aggregator BUILD_DIR OUTDIR
rootfs() {
    local what=$1 bin=$2/static/kmetrics-$1 out=$3 libs
    [[ $what == collector || $what == aggregator ]] || die "--rootfs wants collector or aggregator, not '$what'"
    [[ -f $bin ]] || die "$bin is missing: run make static first"
    mkdir -p "$out"
    [[ -z $(ls -A "$out") ]] || die "$out is not empty"
    case $what in
        collector)
            # Linked fully static: the binary alone is the image.
            ! ldd "$bin" >/dev/null 2>&1 || die "$bin is dynamically linked"
            cp "$bin" "$out/kmetrics-collector"
            ;;
        aggregator)
            # It cannot be fully static (see the Makefile's static target): the binary plus
            # exactly the shared libraries ldd lists and the loader, at their paths, symlinks
            # resolved (/lib64/ld-linux-x86-64.so.2 and each soname become plain files).
            libs=$(ldd "$bin") || die "ldd $bin failed"
            ! grep -q 'not found' <<<"$libs" || die "$bin: a library is missing: $libs"
            cp "$bin" "$out/kmetrics-aggregator"
            grep -o '/[^ ]*' <<<"$libs" | xargs -I{} cp --parents -L {} "$out/"
            ;;
    esac
    # Modes independent of the umask and of the build host's: 0755 for folders and
    # executables, 0644 for the rest.
    chmod -R u=rwX,go=rX "$out"
}

# mib: the sum of the byte counts on stdin, in MiB and bytes.
mib() { awk '{ s += $1 } END { printf "%.1f MiB (%d bytes)", s / 1048576, s }'; }

if [[ ${1:-} == --rootfs ]]; then
    [[ $# -eq 4 ]] || die "usage: build-images.sh --rootfs collector|aggregator BUILD_DIR OUTDIR"
    rootfs "$2" "$3" "$4"
    exit 0
fi
[[ $# -eq 1 ]] || die "usage: build-images.sh BUILD_DIR (or --rootfs collector|aggregator BUILD_DIR OUTDIR)"
build=$1
here=$(dirname "$0")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Image config: the same as the Dockerfiles' ENTRYPOINT and USER.
rootfs collector "$build" "$work/collector"
"$here/oci-image.sh" --rootfs "$work/collector" --out "$build/images/kmetrics-collector.tar" \
    --name docker.io/library/kmetrics-collector:latest --entrypoint '["/kmetrics-collector"]'
rootfs aggregator "$build" "$work/aggregator"
"$here/oci-image.sh" --rootfs "$work/aggregator" --out "$build/images/kmetrics-aggregator.tar" \
    --name docker.io/library/kmetrics-aggregator:latest --entrypoint '["/kmetrics-aggregator"]' \
    --user 65534:65534

for what in collector aggregator; do
    echo "kmetrics-$what: $(stat -c %s "$build/images/kmetrics-$what.tar" | mib) as an image tar," \
        "$(find "$work/$what" -type f -printf '%s\n' | mib) uncompressed" \
        "in $(find "$work/$what" -type f | wc -l) files"
done
