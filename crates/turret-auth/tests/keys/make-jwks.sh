#!/bin/sh
# Regenerates the public JWKs (and public PEMs) the tests serve from the private test keys.
# Test-only keys: never use them for anything else.
set -eu
cd "$(dirname "$0")"
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
for k in rsa1 rsa2; do
  openssl pkey -in "$k.pem" -pubout -out "$k.pub.pem"
  n=$(openssl rsa -in "$k.pem" -noout -modulus | cut -d= -f2 | xxd -r -p | b64url)
  e=$(openssl rsa -in "$k.pem" -noout -text | sed -n 's/^publicExponent: \([0-9]*\).*/\1/p')
  [ "$e" = 65537 ]
  printf '{"kty":"RSA","kid":"%s","use":"sig","alg":"RS256","n":"%s","e":"AQAB"}\n' "$k" "$n" > "$k.jwk.json"
done
openssl pkey -in ec1.pem -pubout -out ec1.pub.pem
# The DER SubjectPublicKeyInfo of a P-256 key ends with 04 || x (32 bytes) || y (32 bytes).
point=$(openssl pkey -in ec1.pem -pubout -outform DER | tail -c 64 | xxd -p | tr -d '\n')
x=$(echo "$point" | cut -c1-64 | xxd -r -p | b64url)
y=$(echo "$point" | cut -c65-128 | xxd -r -p | b64url)
printf '{"kty":"EC","kid":"ec1","use":"sig","alg":"ES256","crv":"P-256","x":"%s","y":"%s"}\n' "$x" "$y" > ec1.jwk.json
