#!/usr/bin/env bash
# Certificates for `blindmatch serve`, with openssl (ECDSA P-256, X.509 v3).
#
#   issue-certs.sh DIR ca                   a CA for the service: DIR/ca.crt, DIR/ca.key
#   issue-certs.sh DIR server HOST [IP...]  the server's certificate for HOST (and IPs)
#   issue-certs.sh DIR client NAME          a client certificate whose common name,
#                                           NAME, is the client id in budgets and the ledger
#
# Keys are written 0600 (blindmatch refuses keys that others can read).
# Certificates are v3 with the right extended key usage: webpki, which
# verifies them, refuses v1 certificates (what `openssl x509 -req` makes
# without -extfile). Use your agency's PKI instead where you have one; the
# server needs only the CA certificate that issues client certificates.
set -euo pipefail
umask 077
dir=${1:?usage: issue-certs.sh DIR ca|server HOST [IP...]|client NAME}
what=${2:?usage: issue-certs.sh DIR ca|server HOST [IP...]|client NAME}
days=${DAYS:-397}
mkdir -p "$dir"
cd "$dir"
key=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)

case "$what" in
  ca)
    openssl req -x509 "${key[@]}" -keyout ca.key -out ca.crt -days "$days" \
      -subj "/CN=${CA_NAME:-blindmatch watch-list CA}" \
      -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    echo "$dir/ca.crt (give it to the server as tls.client_ca, and to clients as --ca)"
    ;;
  server|client)
    name=${3:?a host name (server) or client id (client)}
    shift 3
    out=$([ "$what" = server ] && echo server || echo "$name")
    ext=$(mktemp)
    trap 'rm -f "$ext" "$out.csr"' EXIT
    if [ "$what" = server ]; then
      san="DNS:$name"
      for ip in "$@"; do san="$san,IP:$ip"; done
      printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n' "$san" > "$ext"
    else
      printf 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n' > "$ext"
    fi
    openssl req "${key[@]}" -keyout "$out.key" -out "$out.csr" -subj "/CN=$name" 2>/dev/null
    openssl x509 -req -in "$out.csr" -CA ca.crt -CAkey ca.key -CAcreateserial \
      -out "$out.crt" -days "$days" -extfile "$ext" 2>/dev/null
    chmod 644 "$out.crt"
    echo "$dir/$out.crt and $dir/$out.key (0600)"
    ;;
  *)
    echo "usage: issue-certs.sh DIR ca|server HOST [IP...]|client NAME" >&2
    exit 2
    ;;
esac
