#!/bin/sh
# Regenerates the test keys and their golden key records with OpenSSL.
# Every key here is a throwaway TEST KEY; see README.md.
# The golden records come from OpenSSL's own public-key export, so the
# package's encoding is checked against an independent implementation.
set -eu
cd "$(dirname "$0")"
umask 077

openssl genrsa -traditional -out rsa512-pkcs1.pem 512
openssl pkcs8 -topk8 -nocrypt -in rsa512-pkcs1.pem -out rsa512-pkcs8.pem
openssl genrsa -traditional -out rsa1024-pkcs1.pem 1024
openssl genrsa -traditional -out rsa2048-pkcs1.pem 2048
openssl genrsa -out rsa2048-pkcs8.pem 2048
openssl genpkey -algorithm ed25519 -out ed25519-pkcs8.pem
openssl ecparam -name prime256v1 -genkey -noout -out ec-p256-sec1.pem
openssl pkcs8 -topk8 -nocrypt -in ec-p256-sec1.pem -out ec-p256-pkcs8.pem
openssl req -x509 -key rsa2048-pkcs1.pem -subj /CN=dkim-test.invalid -days 1 -out cert.pem

for k in rsa1024-pkcs1 rsa2048-pkcs1 rsa2048-pkcs8; do
	# RFC 6376 appendix C: p= is the base64 of the DER SubjectPublicKeyInfo.
	printf 'v=DKIM1; k=rsa; p=%s\n' \
		"$(openssl pkey -in "$k.pem" -pubout -outform DER | base64 -w0)" >"$k.record"
done
# RFC 8463 section 4.2: p= is the base64 of the raw 32-byte key, which is the
# last 32 octets of OpenSSL's DER SubjectPublicKeyInfo.
printf 'v=DKIM1; k=ed25519; p=%s\n' \
	"$(openssl pkey -in ed25519-pkcs8.pem -pubout -outform DER | tail -c 32 | base64 -w0)" >ed25519-pkcs8.record
