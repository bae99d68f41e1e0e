#!/usr/bin/env bash
# Makes the TLS material kmetrics runs with, as Secret kube-system/kmetrics-tls:
#   ca.crt   a CA; collectors verify the aggregator with it (and the kube-apiserver may too,
#            as the APIService caBundle)
#   tls.crt  the aggregator's serving certificate, signed by that CA, for the names it is
#   tls.key  reached by: kmetrics.kube-system.svc (APIService), kmetrics-ship.kube-system.svc
#            (collectors), and both under .svc.<cluster domain>
#
#   deploy/gen-tls.sh [-d DIR] [--cluster-domain D] [--days N] [--yaml | --apply]
#
#   -d DIR            where the files go (default: kmetrics-tls); an existing ca.crt/ca.key
#                     there is reused, so re-running renews the serving certificate only
#   --cluster-domain  default cluster.local
#   --days N          serving certificate lifetime (default 365; the CA gets 10 years)
#   --yaml            print the Secret manifest on stdout (kubectl --dry-run=client)
#   --apply           create or replace the Secret in the current kubectl context
#
# The aggregator reads its certificate at start: after renewing, restart it
# (kubectl -n kube-system rollout restart deployment/kmetrics-aggregator).
set -euo pipefail

dir=kmetrics-tls domain=cluster.local days=365 mode=files
while [[ $# -gt 0 ]]; do
    case $1 in
    -d) dir=${2:?-d needs a directory}; shift ;;
    --cluster-domain) domain=${2:?}; shift ;;
    --days) days=${2:?}; shift ;;
    --yaml) mode=yaml ;;
    --apply) mode=apply ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "gen-tls: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

log() { echo "gen-tls: $*" >&2; }
command -v openssl >/dev/null || { log "openssl is required"; exit 1; }
mkdir -p "$dir"
umask 077 # keys are private; certificates are made readable below
# Keys inside a checkout must never be committed by accident.
[[ -f $dir/.gitignore ]] || echo '*' >"$dir/.gitignore"

ns=kube-system
names=(kmetrics.$ns.svc kmetrics-ship.$ns.svc kmetrics.$ns.svc.$domain
    kmetrics-ship.$ns.svc.$domain)
sans=$(printf 'DNS:%s,' "${names[@]}")
sans=${sans%,}

if [[ ! -f $dir/ca.crt || ! -f $dir/ca.key ]]; then
    log "new CA in $dir/ca.crt"
    openssl ecparam -name prime256v1 -genkey -noout -out "$dir/ca.key"
    openssl req -x509 -new -key "$dir/ca.key" -subj "/CN=kmetrics-ca" -days 3650 \
        -sha256 -out "$dir/ca.crt" -config /dev/null \
        -addext basicConstraints=critical,CA:TRUE \
        -addext keyUsage=critical,keyCertSign,cRLSign \
        -addext subjectKeyIdentifier=hash
else
    log "reusing the CA in $dir/ca.crt"
fi

log "serving certificate for ${names[*]}"
openssl ecparam -name prime256v1 -genkey -noout -out "$dir/tls.key"
openssl req -new -key "$dir/tls.key" -subj "/CN=kmetrics.$ns.svc" -config /dev/null \
    -out "$dir/tls.csr"
ext=$dir/tls.ext
printf '%s\n' "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" \
    "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid" "subjectAltName=$sans" >"$ext"
openssl x509 -req -in "$dir/tls.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days "$days" -sha256 -extfile "$ext" \
    -out "$dir/tls.crt" 2>/dev/null
rm -f "$dir/tls.csr" "$ext"
chmod 644 "$dir/ca.crt" "$dir/tls.crt"
openssl verify -CAfile "$dir/ca.crt" "$dir/tls.crt" >/dev/null

secret() {
    kubectl -n $ns create secret generic kmetrics-tls --dry-run=client -o yaml \
        --from-file=ca.crt="$dir/ca.crt" --from-file=tls.crt="$dir/tls.crt" \
        --from-file=tls.key="$dir/tls.key"
}
case $mode in
yaml) secret ;;
apply) secret | kubectl apply -f - >&2 ;;
files) log "apply with: $0 -d $dir --apply   (or --yaml > secret.yaml)" ;;
esac

# ca.key never leaves DIR: keep it to renew the serving certificate under the same CA.
log "APIService caBundle (instead of insecureSkipTLSVerify, docs/install.md):"
log "  $(base64 <"$dir/ca.crt" | tr -d '\n')"
