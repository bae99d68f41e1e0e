#!/bin/sh
# Installs every Debian package kmetrics needs to build, test, benchmark and fuzz.
# Idempotent: packages already present are left alone and apt is not asked twice.
set -eu

PACKAGES="
make clang llvm libclang-rt-14-dev
libbpf-dev bpftool libelf-dev zlib1g-dev
libjansson-dev libcmocka-dev
libssl-dev libh2o-evloop-dev libcurl4-openssl-dev libnghttp2-dev libyaml-dev
pkg-config clang-format
curl nghttp2-client protobuf-compiler openssl
etcd-server etcd-client
jq xz-utils python3-yaml
qemu-system-x86 linux-image-amd64 busybox-static cpio socat
mmdebstrap e2fsprogs
"

missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        missing="$missing $p"
done

if [ -z "$missing" ]; then
    echo "deps: all packages present"
    exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
echo "deps: installing$missing"
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: done"
