#!/bin/sh
# Throwaway PKI for the TLS tests, generated at test time with the openssl CLI (nothing secret
# is committed): a CA; a server certificate for 127.0.0.1 and localhost and a client certificate,
# both signed by that CA; and a self-signed "rogue" client certificate that promha must reject.
# EC P-256 keys, valid for one day. Usage: gen_test_certs.sh DIR
set -eu
cd "$1"
gen() { openssl "$@" 2>/dev/null; }
gen req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj /CN=promha-test-ca -keyout ca.key -out ca.crt
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > server.ext
printf 'extendedKeyUsage=clientAuth\n' > client.ext
for name in server client; do
  gen req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj "/CN=promha-test-$name" -keyout "$name.key" -out "$name.csr"
  gen x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 \
    -extfile "$name.ext" -out "$name.crt"
done
gen req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj /CN=promha-test-rogue -keyout rogue.key -out rogue.crt
