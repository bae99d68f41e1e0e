#!/usr/bin/env bash
# Checks the offline container images (scripts/build-images.sh, scripts/oci-image.sh) for
# real: both build, twice to the same bytes; each tar is a valid OCI layout whose digests,
# sizes and diff_ids match its blobs; the names are what containerd's CRI looks up; the layers
# hold exactly the intended files, and those files run on their own (chroot into the unpacked
# layer, as the image's user: a missing library fails it); the Dockerfiles build the same root
# filesystem with the same step and declare the same ENTRYPOINT and USER. Needs root (chroot),
# the binaries of `make static`, GNU tar, gzip, sha256sum, jq. One line per check; ends with
# "N passed, M failed" and exits 1 if any check fails.
#
#   BUILD=build tests/images/check-images.sh
# shellcheck disable=SC2016 # eval '...' in a check expands when the check runs
set -uo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo" || exit 1
BUILD=${BUILD:-build}
unset SOURCE_DATE_EPOCH # the images' times are then the default, 1970-01-01T00:00:00Z
export LC_ALL=C
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

# check DESCRIPTION COMMAND...: runs COMMAND; it fails by returning non-zero, saying why.
check() {
    local desc=$1 out
    shift
    if out=$("$@" 2>&1); then
        echo "ok   $desc"
        passed=$((passed + 1))
    else
        echo "FAIL $desc${out:+: $(echo "$out" | tr '\n' ' ' | cut -c1-2000)}"
        failed=$((failed + 1))
    fi
}

# same WHAT WANT GOT: fails saying both when they differ.
same() { [[ $2 == "$3" ]] || { echo "$1: want '$2', got '$3'"; return 1; }; }

for what in collector aggregator; do
    check "$BUILD/static/kmetrics-$what exists (make static)" test -x "$BUILD/static/kmetrics-$what"
done
check "running as root (chroot needs it)" same uid 0 "$(id -u)"
if [[ $failed -ne 0 ]]; then
    echo "$passed passed, $failed failed"
    exit 1
fi

# --- building -------------------------------------------------------------------------------
# The images the product path makes, then again from another build dir (the same binaries
# through symlinks), another umask and another time: the bytes must not change.
check "scripts/build-images.sh $BUILD" eval 'scripts/build-images.sh "$BUILD" >"$work/build.log" 2>&1 || { cat "$work/build.log"; false; }'
sed -n 's/^kmetrics-/size: kmetrics-/p' "$work/build.log"
mkdir -p "$work/again/static"
for what in collector aggregator; do
    ln -s "$repo/$BUILD/static/kmetrics-$what" "$work/again/static/"
done
check "a second build (other dir, umask 077, a second later)" \
    eval 'sleep 1; (umask 077 && scripts/build-images.sh "$work/again")'
for what in collector aggregator; do
    check "$what: the second build is byte-identical" \
        cmp "$BUILD/images/kmetrics-$what.tar" "$work/again/images/kmetrics-$what.tar"
done

# --- OCI layout -----------------------------------------------------------------------------
# blob DIGEST: the path of that blob in the unpacked layout $oci.
blob() { echo "$oci/blobs/sha256/${1#sha256:}"; }

# config_of WHAT: the path of that image's config blob.
config_of() {
    local oci=$work/oci-$1
    blob "$(jq -r .config.digest "$(blob "$(jq -r '.manifests[0].digest' "$oci/index.json")")")"
}

# descriptor_ok JSON: the blob a descriptor names exists, with that sha256 and size.
descriptor_ok() {
    local d s f
    d=$(jq -r .digest <<<"$1")
    s=$(jq -r .size <<<"$1")
    f=$(blob "$d")
    [[ -f $f ]] || { echo "no blob $d"; return 1; }
    same "sha256 of $d" "${d#sha256:}" "$(sha256sum "$f" | cut -d' ' -f1)" &&
        same "size of $d" "$s" "$(stat -c %s "$f")"
}

# reproducible_tar TAR [-z]: every entry owned 0/0 with no user or group name, mtime
# 1970-01-01, no pax header (GNU tar names each one .../PaxHeaders/...; reading hides them, so
# the raw bytes are searched).
reproducible_tar() {
    local bad
    bad=$(tar ${2:+"$2"} --full-time -tvf "$1" | awk '$2 != "0/0" || $4 != "1970-01-01" || $5 != "00:00:00"')
    [[ -z $bad ]] || { echo "entries not 0/0 at the epoch: $bad"; return 1; }
    same "pax headers" 0 "$(if [[ $2 == -z ]]; then gzip -dc "$1"; else cat "$1"; fi | grep -ac PaxHeaders)"
}

# layout_ok: oci-layout, index.json with one manifest, and no file that is not a blob.
layout_ok() {
    same oci-layout '{"imageLayoutVersion":"1.0.0"}' "$(jq -c . "$oci/oci-layout")" &&
        jq -e '.schemaVersion == 2 and .mediaType == "application/vnd.oci.image.index.v1+json"
               and (.manifests | length) == 1
               and .manifests[0].mediaType == "application/vnd.oci.image.manifest.v1+json"
               and .manifests[0].platform == {architecture: "amd64", os: "linux"}' \
            "$oci/index.json" >/dev/null &&
        same "tar entries" "blobs/ blobs/sha256/ $(cd "$oci" && printf '%s ' blobs/sha256/*)index.json oci-layout" \
            "$(tar -tf "$tar" | tr '\n' ' ' | sed 's/ $//')"
}

# blobs_ok: manifest, config and layer descriptors match their blobs, and nothing else is there.
blobs_ok() {
    descriptor_ok "$(jq -c '.manifests[0]' "$oci/index.json")" &&
        jq -e '.schemaVersion == 2 and .mediaType == "application/vnd.oci.image.manifest.v1+json"
               and .config.mediaType == "application/vnd.oci.image.config.v1+json"
               and (.layers | length) == 1
               and .layers[0].mediaType == "application/vnd.oci.image.layer.v1.tar+gzip"' \
            "$manifest" >/dev/null &&
        descriptor_ok "$(jq -c .config "$manifest")" &&
        descriptor_ok "$(jq -c '.layers[0]' "$manifest")" &&
        same "blobs" "$({ jq -r '.manifests[].digest' "$oci/index.json"
                          jq -r '.config.digest, .layers[].digest' "$manifest"; } | sed 's/^sha256://' | sort)" \
            "$(ls "$oci/blobs/sha256")"
}

# config_ok ENTRYPOINT USER
config_ok() {
    jq -e '.architecture == "amd64" and .os == "linux" and .created == "1970-01-01T00:00:00Z"
           and .rootfs.type == "layers" and (.rootfs.diff_ids | length) == 1' "$config" >/dev/null &&
        same Entrypoint "$1" "$(jq -c .config.Entrypoint "$config")" &&
        same User "$2" "$(jq -r '.config.User // ""' "$config")" &&
        same "diff_id (sha256 of the gunzipped layer)" "$(jq -r '.rootfs.diff_ids[0]' "$config")" \
            "sha256:$(gzip -dc "$layer" | sha256sum | cut -d' ' -f1)"
}

for what in collector aggregator; do
    tar=$BUILD/images/kmetrics-$what.tar
    oci=$work/oci-$what
    mkdir -p "$oci"
    check "$what: the image tar unpacks" tar -xf "$tar" -C "$oci"
    manifest=$(blob "$(jq -r '.manifests[0].digest' "$oci/index.json" 2>/dev/null)")
    config=$(blob "$(jq -r .config.digest "$manifest" 2>/dev/null)")
    layer=$(blob "$(jq -r '.layers[0].digest' "$manifest" 2>/dev/null)")
    check "$what: an OCI image layout, one manifest" layout_ok
    check "$what: digests and sizes of manifest, config, layer match the blobs" blobs_ok
    check "$what: annotations io.containerd.image.name and org.opencontainers.image.ref.name" \
        same annotations "{\"io.containerd.image.name\":\"docker.io/library/kmetrics-$what:latest\",\"org.opencontainers.image.ref.name\":\"latest\"}" \
        "$(jq -c '.manifests[0].annotations' "$oci/index.json")"
    user=""
    [[ $what == aggregator ]] && user=65534:65534
    check "$what: config amd64/linux, fixed created, entrypoint, user, diff_id" \
        config_ok "[\"/kmetrics-$what\"]" "$user"
    check "$what: image tar: owner 0/0, mtime 0, no atime/ctime" reproducible_tar "$tar" ""
    check "$what: layer: owner 0/0, mtime 0, no atime/ctime" reproducible_tar "$layer" -z
    tar -tzf "$layer" | grep -v '/$' | sort >"$work/$what.files"
    mkdir -p "$work/root-$what"
    tar -xzf "$layer" -C "$work/root-$what"
done

# --- what the layers hold -------------------------------------------------------------------
check "collector: the layer holds exactly one file, /kmetrics-collector" \
    same files kmetrics-collector "$(cat "$work/collector.files")"
# Derived here, not by the script: ldd's paths (the loader included) and the binary.
{
    echo kmetrics-aggregator
    ldd "$BUILD/static/kmetrics-aggregator" | grep -o '/[^ ]*' | sed 's|^/||'
} | sort >"$work/aggregator.want"
check "aggregator: the layer's files are exactly the binary and what ldd lists ($(wc -l <"$work/aggregator.want"))" \
    diff "$work/aggregator.want" "$work/aggregator.files"

# content_ok WHAT: each file in the unpacked layer is the host's (symlinks resolved).
content_ok() {
    local f
    while read -r f; do
        case $f in
            kmetrics-*) cmp "$work/root-$1/$f" "$BUILD/static/$f" || return 1 ;;
            *) cmp "$work/root-$1/$f" "$(readlink -f "/$f")" || return 1 ;;
        esac
    done <"$work/$1.files"
}
for what in collector aggregator; do
    check "$what: every file in the layer is the host's file" content_ok $what
done

# runs WHAT DIR: the binary in DIR runs alone there as the image's user, and prints its usage.
runs() {
    local user out
    user=$(jq -r '.config.User // "0:0"' "$(config_of "$1")")
    out=$(chroot --userspec="$user" "$2" "/kmetrics-$1" --help 2>&1) || { echo "$out"; return 1; }
    grep -q "^Usage: kmetrics-$1" <<<"$out" || { echo "no usage: $out"; return 1; }
}
for what in collector aggregator; do
    check "$what: chroot into the unpacked layer: /kmetrics-$what --help runs" runs $what "$work/root-$what"
done
# The control: without libc the same chroot must fail, or the check above proves nothing.
cp -a "$work/root-aggregator" "$work/root-nolibc"
rm "$work/root-nolibc/lib/x86_64-linux-gnu/libc.so.6"
check "aggregator: the chroot check fails when a library is missing" eval '! runs aggregator "$work/root-nolibc"'

# --- the Dockerfiles ------------------------------------------------------------------------
# final_stage FILE: the lines from the last FROM on.
final_stage() { awk '/^FROM / { s = "" } { s = s $0 "\n" } END { printf "%s", s }' "$1"; }

# dockerfile_ok WHAT: the final stage is FROM scratch + the rootfs step's output, with the
# OCI config's ENTRYPOINT and USER; the build stage runs that step.
dockerfile_ok() {
    local df=deploy/docker/$1.Dockerfile final config
    final=$(final_stage "$df")
    config=$(config_of "$1")
    grep -qx "RUN ./scripts/build-images.sh --rootfs $1 build /rootfs" "$df" ||
        { echo "$df does not run the rootfs step"; return 1; }
    same "$df final stage" "FROM scratch|COPY --from=build /rootfs/ /" \
        "$(grep -E '^(FROM|COPY)' <<<"$final" | paste -sd'|')" &&
        same "$df ENTRYPOINT" "$(jq -c .config.Entrypoint "$config")" \
            "$(sed -n 's/^ENTRYPOINT //p' <<<"$final" | jq -c .)" &&
        same "$df USER" "$(jq -r '.config.User // ""' "$config")" "$(sed -n 's/^USER //p' <<<"$final")"
}

# rootfs_same WHAT: the Dockerfile's step, run here, gives the layer's tree (names, modes,
# types, content).
rootfs_same() {
    scripts/build-images.sh --rootfs "$1" "$BUILD" "$work/df-$1" &&
        diff <(cd "$work/df-$1" && find . -printf '%P %M\n' | sort) \
            <(cd "$work/root-$1" && find . -printf '%P %M\n' | sort) &&
        diff -r "$work/df-$1" "$work/root-$1"
}
for what in collector aggregator; do
    check "$what: the Dockerfile runs the rootfs step, FROM scratch, ENTRYPOINT/USER as the OCI config" \
        dockerfile_ok $what
    check "$what: the Dockerfile's rootfs step gives the layer's exact tree" rootfs_same $what
done
check "the rootfs step refuses a non-empty OUTDIR" \
    eval '! scripts/build-images.sh --rootfs collector "$BUILD" "$work/df-collector" 2>/dev/null'

# --- oci-image.sh on its own ----------------------------------------------------------------
mkdir -p "$work/small/etc/deep" "$work/small/bin"
echo hello >"$work/small/etc/deep/greeting"
printf '#!/bin/sh\n' >"$work/small/bin/run"
chmod 0750 "$work/small/bin/run"
ln -s ../etc/deep/greeting "$work/small/bin/link"
chown -hR 12345:12345 "$work/small" # the layer must say 0/0 all the same

# refuses ARGS...: exits non-zero with a message on stderr, writes nothing.
refuses() {
    local err
    if err=$(scripts/oci-image.sh "$@" 2>&1 >/dev/null); then
        echo "accepted: $*"
        return 1
    fi
    [[ -n $err && ! -e $work/refused.tar ]] || { echo "no message, or wrote a file"; return 1; }
}
check "oci-image.sh refuses no arguments" refuses
check "oci-image.sh refuses a missing --name" refuses --rootfs "$work/small" --out "$work/refused.tar"
check "oci-image.sh refuses a missing rootfs" \
    refuses --rootfs "$work/nonexistent" --name docker.io/library/x:1 --out "$work/refused.tar"
check "oci-image.sh refuses a name without a tag" \
    refuses --rootfs "$work/small" --name localhost:5000/x --out "$work/refused.tar"
check "oci-image.sh refuses an entrypoint that is not a JSON array" \
    refuses --rootfs "$work/small" --name x:1 --out "$work/refused.tar" --entrypoint /x

small() {
    scripts/oci-image.sh --rootfs "$work/small" --name registry.example:5000/team/small:v1.2 \
        --out "$work/$1" --cmd '["/bin/run","a b"]' --env A=1 --env B=x=y >/dev/null
}
# small_ok: cmd, env, modes, symlink kept; the tag after a registry port; SOURCE_DATE_EPOCH.
small_ok() {
    local oci=$work/oci-small m c l
    mkdir -p "$oci" && tar -xf "$work/small.tar" -C "$oci" || return 1
    m=$(blob "$(jq -r '.manifests[0].digest' "$oci/index.json")")
    c=$(blob "$(jq -r .config.digest "$m")")
    l=$(blob "$(jq -r '.layers[0].digest' "$m")")
    same ref.name v1.2 "$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' "$oci/index.json")" &&
        same config '{"Cmd":["/bin/run","a b"],"Env":["A=1","B=x=y"]}' "$(jq -cS .config "$c")" &&
        same created 2023-11-14T22:13:20Z "$(jq -r .created "$c")" &&
        same layer "bin/ drwxr-xr-x|bin/link lrwxrwxrwx|bin/run -rwxr-x---|etc/ drwxr-xr-x|etc/deep/ drwxr-xr-x|etc/deep/greeting -rw-r--r--" \
            "$(tar --full-time -tvzf "$l" | awk '{ print $6, $1 }' | paste -sd'|')" &&
        same "owner and mtime" "0/0 2023-11-14 22:13:20" \
            "$(tar --full-time -tvzf "$l" | awk '{ print $2, $4, $5 }' | sort -u)"
}
check "oci-image.sh --cmd --env with SOURCE_DATE_EPOCH" eval 'SOURCE_DATE_EPOCH=1700000000 small small.tar'
check "oci-image.sh: cmd, env, modes, symlink, tag, created and mtimes from SOURCE_DATE_EPOCH" small_ok
check "oci-image.sh: the same rootfs again is byte-identical" \
    eval 'touch "$work/small/etc/deep/greeting" && SOURCE_DATE_EPOCH=1700000000 small small2.tar && cmp "$work/small.tar" "$work/small2.tar"'

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
