#!/usr/bin/env bash
# Builds a single-layer OCI image from a directory, offline and reproducibly: no registry, no
# Docker daemon; GNU tar, gzip, sha256sum and jq only. The result is an OCI image layout
# (oci-layout, index.json, blobs/sha256/...) packed into one tar, which
# `ctr -n k8s.io images import FILE.tar` loads under NAME.
#
#   oci-image.sh --rootfs DIR --name REGISTRY/REPO:TAG --out FILE.tar
#                [--entrypoint JSON_ARRAY] [--cmd JSON_ARRAY] [--user UID:GID] [--env K=V]...
#
# e.g. oci-image.sh --rootfs rootfs --name docker.io/library/app:latest --out app.tar \
#          --entrypoint '["/app"]' --user 65534:65534 --env TZ=UTC
#
# The same DIR content gives the same bytes: names sorted, every mtime SOURCE_DATE_EPOCH
# (default 0, which is also the config's "created"), owner and group 0, no atime/ctime, gzip
# without name or time. File modes are kept as they are in DIR.
set -euo pipefail

die() {
    echo "oci-image.sh: $*" >&2
    exit 2
}

rootfs="" name="" out="" entrypoint=null cmd=null user=""
envs=()
while [[ $# -gt 0 ]]; do
    [[ $1 == --* && $# -ge 2 ]] || die "expected --OPTION VALUE, got '$*' (see the usage at the top of $0)"
    case $1 in
        --rootfs) rootfs=$2 ;;
        --name) name=$2 ;;
        --out) out=$2 ;;
        --entrypoint) entrypoint=$2 ;;
        --cmd) cmd=$2 ;;
        --user) user=$2 ;;
        --env)
            [[ $2 == ?*=* ]] || die "--env wants K=V, got '$2'"
            envs+=("$2")
            ;;
        *) die "unknown option $1" ;;
    esac
    shift 2
done
[[ -n $rootfs && -n $name && -n $out ]] || die "--rootfs, --name and --out are required"
[[ -d $rootfs ]] || die "rootfs '$rootfs' is not a directory"
# The tag is what follows the last ':' after the last '/' (a registry may have a :port).
tag=${name##*/}
[[ $tag == *:?* ]] || die "--name '$name' has no :TAG"
tag=${tag##*:}
for j in "$entrypoint" "$cmd"; do
    jq -e 'type == "null" or (type == "array" and all(type == "string"))' <<<"$j" >/dev/null 2>&1 ||
        die "--entrypoint and --cmd want a JSON array of strings, got '$j'"
done

epoch=${SOURCE_DATE_EPOCH:-0}
[[ $epoch =~ ^[0-9]+$ ]] || die "SOURCE_DATE_EPOCH '$epoch' is not a number of seconds"
umask 022 # the layout's own files and folders: 0644 and 0755 whatever the caller's umask
export LC_ALL=C # byte order for sorting names
work=$(mktemp -d)
trap 'rm -rf "$work" "$out.tmp.$$"' EXIT

# reprotar DIR: a tar of DIR's content on stdout, the same bytes for the same content. Names
# are relative (no "./"), listed and sorted here so that directories come before their files;
# pax headers, if a long name needs one, get a fixed name (the default holds the PID).
reprotar() {
    (cd "$1" && find . -mindepth 1 -printf '%P\0' | sort -z) |
        tar -C "$1" --null --no-recursion -T - -cf - \
            --format=posix --pax-option='exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime' \
            --mtime="@$epoch" --owner=0 --group=0 --numeric-owner
}

# blob FILE MEDIATYPE: moves FILE into the layout under its digest; prints its descriptor.
blob() {
    local digest size
    digest=sha256:$(sha256sum "$1" | cut -d' ' -f1)
    size=$(stat -c %s "$1")
    mv "$1" "$work/oci/blobs/sha256/${digest#sha256:}"
    jq -cn --arg t "$2" --arg d "$digest" --argjson s "$size" '{mediaType: $t, digest: $d, size: $s}'
}

mkdir -p "$work/oci/blobs/sha256"

# The one layer. Its diff_id is the digest of the uncompressed tar, its descriptor's that of
# the gzip.
reprotar "$rootfs" >"$work/layer.tar"
diff_id=sha256:$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
gzip -9 -n <"$work/layer.tar" >"$work/layer.tar.gz"
rm "$work/layer.tar"
layer=$(blob "$work/layer.tar.gz" application/vnd.oci.image.layer.v1.tar+gzip)

# The image config: only the fields given are set, as docker build leaves unset ones out.
jq -cn --argjson epoch "$epoch" --arg diff_id "$diff_id" \
    --argjson entrypoint "$entrypoint" --argjson cmd "$cmd" --arg user "$user" \
    --args '{
        created: ($epoch | todate),
        architecture: "amd64",
        os: "linux",
        config: ({Entrypoint: $entrypoint, Cmd: $cmd, User: $user, Env: $ARGS.positional}
                 | with_entries(select(.value != null and .value != "" and .value != []))),
        rootfs: {type: "layers", diff_ids: [$diff_id]},
        history: [{created: ($epoch | todate), created_by: "scripts/oci-image.sh"}]
    }' "${envs[@]}" >"$work/config.json"
config=$(blob "$work/config.json" application/vnd.oci.image.config.v1+json)

jq -cn --argjson config "$config" --argjson layer "$layer" '{
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: $config,
        layers: [$layer]
    }' >"$work/manifest.json"
manifest=$(blob "$work/manifest.json" application/vnd.oci.image.manifest.v1+json)

# containerd's import names the image from io.containerd.image.name (the full name); other
# OCI tools read the tag from org.opencontainers.image.ref.name.
jq -cn --argjson manifest "$manifest" --arg name "$name" --arg tag "$tag" '{
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.index.v1+json",
        manifests: [$manifest + {
            platform: {architecture: "amd64", os: "linux"},
            annotations: {"io.containerd.image.name": $name, "org.opencontainers.image.ref.name": $tag}
        }]
    }' >"$work/oci/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$work/oci/oci-layout"

# Written aside and renamed: a failed run leaves no half tar under the final name.
mkdir -p "$(dirname "$out")"
reprotar "$work/oci" >"$out.tmp.$$"
mv "$out.tmp.$$" "$out"
echo "$out: $name $(jq -r .digest <<<"$manifest")"
