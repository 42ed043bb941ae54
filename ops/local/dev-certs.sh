#!/usr/bin/env bash
# Development certificates for the gateway's mutual TLS (docs/mtls.md), made with openssl only.
#
#   ops/local/dev-certs.sh DIR [CLIENT_NAME ...]
#
# DIR gets (keys 0600, everything else 0644):
#   ca.pem / ca.key                      dev CA (the client CA bundle and the issuer of the server certificate)
#   server.pem / server.key              CN=localhost, SAN IP:127.0.0.1, DNS:localhost
#   client.pem / client.key              CN=keybridge-dev-client
#   crl.pem                              the dev CA's CRL, listing revoked-client.pem (re-signed on every run)
#   for tests: wrong-ca.pem (another CA), wrong-ca-client.pem/.key (issued by it), expired-client.pem/.key
#   (valid 2020-01-01 .. 2020-01-02), revoked-client.pem/.key (revoked in crl.pem)
#   CLIENT_NAME.pem / CLIENT_NAME.key    one more client certificate per extra argument, CN=CLIENT_NAME
# Idempotent: existing keys and certificates are kept; only the CRL is signed again.
set -Eeuo pipefail

die() {
  printf 'dev-certs.sh: %s\n' "$*" >&2
  exit 1
}
[ $# -ge 1 ] || die "usage: dev-certs.sh DIR [CLIENT_NAME ...]"
command -v openssl >/dev/null 2>&1 || die "openssl is not installed (apt-get install openssl)"
for name in "${@:2}"; do
  [[ "$name" =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ ]] || die "client name '$name': use 1-64 of A-Z a-z 0-9 . _ -"
  case "$name" in ca | server | client | crl | wrong-ca | wrong-ca-client | expired-client | revoked-client)
    die "client name '$name' is reserved" ;;
  esac
done

install -d -m 0700 "$1"
DIR="$(cd "$1" && pwd)"
DB="$DIR/ca-db"
install -d -m 0700 "$DB" "$DB/newcerts"
[ -f "$DB/index.txt" ] || : >"$DB/index.txt"
[ -f "$DB/serial" ] || openssl rand -hex 16 >"$DB/serial"
[ -f "$DB/crlnumber" ] || echo 1000 >"$DB/crlnumber"
LOG="$DB/openssl.log"

# run CMD...: openssl quietly; its output only when it fails.
run() {
  if ! "$@" >>"$LOG" 2>&1; then
    tail -n 20 "$LOG" >&2
    die "failed: $*"
  fi
}

new_key() { # path
  [ -s "$1" ] && { chmod 0600 "$1"; return 0; }
  (umask 077 && run openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.tmp" && mv -f "$1.tmp" "$1")
}

self_signed_ca() { # name CN
  new_key "$DIR/$1.key"
  [ -s "$DIR/$1.pem" ] && return 0
  run openssl req -x509 -new -key "$DIR/$1.key" -subj "/CN=$2" -days 3650 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" -out "$DIR/$1.pem.tmp"
  mv -f "$DIR/$1.pem.tmp" "$DIR/$1.pem"
}

self_signed_ca ca "Keybridge dev CA"
self_signed_ca wrong-ca "Keybridge wrong CA"

# A minimal `openssl ca` setup: it keeps the index of issued certificates that -revoke and -gencrl need, and
# unlike `openssl x509 -req` it can issue with a start and end date in the past (the expired test certificate).
cat >"$DB/ca.cnf" <<EOF
[ ca ]
default_ca = dev_ca

[ dev_ca ]
database = $DB/index.txt
new_certs_dir = $DB/newcerts
serial = $DB/serial
crlnumber = $DB/crlnumber
certificate = $DIR/ca.pem
private_key = $DIR/ca.key
default_md = sha256
default_days = 825
default_crl_days = 3650
policy = policy_cn
unique_subject = no
copy_extensions = none
email_in_dn = no

[ policy_cn ]
commonName = supplied

[ client_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer

[ server_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer

[ crl_ext ]
authorityKeyIdentifier = keyid:always
EOF

issue() { # name CN extensions [extra openssl-ca args...]
  local name="$1" cn="$2" ext="$3"
  shift 3
  new_key "$DIR/$name.key"
  [ -s "$DIR/$name.pem" ] && return 0
  run openssl req -new -key "$DIR/$name.key" -subj "/CN=$cn" -out "$DB/$name.csr"
  run openssl ca -batch -notext -config "$DB/ca.cnf" -extensions "$ext" -in "$DB/$name.csr" -out "$DIR/$name.pem.tmp" "$@"
  mv -f "$DIR/$name.pem.tmp" "$DIR/$name.pem"
}

issue server localhost server_ext
issue client keybridge-dev-client client_ext
issue expired-client keybridge-expired-client client_ext -startdate 20200101000000Z -enddate 20200102000000Z
issue revoked-client keybridge-revoked-client client_ext
for name in "${@:2}"; do issue "$name" "$name" client_ext; done

# The client of the wrong CA: `openssl x509 -req` is enough, nothing ever revokes it.
new_key "$DIR/wrong-ca-client.key"
if [ ! -s "$DIR/wrong-ca-client.pem" ]; then
  run openssl req -new -key "$DIR/wrong-ca-client.key" -subj "/CN=keybridge-wrong-ca-client" -out "$DB/wrong-ca-client.csr"
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' >"$DB/client.ext"
  run openssl x509 -req -in "$DB/wrong-ca-client.csr" -CA "$DIR/wrong-ca.pem" -CAkey "$DIR/wrong-ca.key" \
    -CAcreateserial -CAserial "$DB/wrong-ca.srl" -days 825 -sha256 -extfile "$DB/client.ext" -out "$DIR/wrong-ca-client.pem.tmp"
  mv -f "$DIR/wrong-ca-client.pem.tmp" "$DIR/wrong-ca-client.pem"
fi

# Revoke once (the index remembers), then sign a fresh CRL.
serial="$(openssl x509 -in "$DIR/revoked-client.pem" -noout -serial | cut -d= -f2)"
if ! grep -Eq "^R[[:space:]].*[[:space:]]$serial[[:space:]]" "$DB/index.txt"; then
  run openssl ca -batch -config "$DB/ca.cnf" -revoke "$DIR/revoked-client.pem" -crl_reason keyCompromise
fi
run openssl ca -batch -config "$DB/ca.cnf" -gencrl -crlexts crl_ext -out "$DIR/crl.pem.tmp"
mv -f "$DIR/crl.pem.tmp" "$DIR/crl.pem"

chmod 0600 "$DIR"/*.key
chmod 0644 "$DIR"/*.pem
printf 'dev-certs.sh: certificates in %s\n' "$DIR"
