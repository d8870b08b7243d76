#!/usr/bin/env bash
# TLS transport security (the application/ssl-tls upgrade) between nettcp
# serve and nettcp call, with certificates this test makes: both credential
# types, each identity kind, PKCS#12, peer trust, and every certificate
# failure cause (expired, not yet valid, untrusted, name mismatch, revoked
# through a CRL served over HTTP, revocation unknown, client certificate
# required / rejected, protocol mismatch, security mode mismatch).
# Ends with "N passed, N failed".
set -u
source "$(dirname "$0")/checks.bash"
source "$(dirname "$0")/tls_certs.bash"
pause() { read -r -t "$1" <> <(:) || true; }

# the CRL distribution point: python's http.server on a free port
mkdir -p "$tmp/www"
python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$tmp/www" >"$tmp/http.out" 2>&1 &
pids+=($!)
for _ in $(seq 1 200); do grep -qs 'port' "$tmp/http.out" && break; pause 0.05; done
hport=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$tmp/http.out" | head -1)
[ -n "$hport" ] || { echo "FAIL: http.server did not start: $(cat "$tmp/http.out")" >&2; failed=$((failed + 1)); finish; exit; }
oport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
make_pki "http://127.0.0.1:$hport/ca.crl" "http://127.0.0.1:$oport"
pki=$tmp/pki
# the OCSP responder (openssl's), answering from the CA's database
openssl ocsp -index "$pki/ca.db/index.txt" -port "$oport" -rsigner "$pki/ca.pem" -rkey "$pki/ca.key" \
    -CA "$pki/ca.pem" -ignore_err >"$tmp/ocsp.out" 2>&1 &
pids+=($!)
# (it serves one connection at a time: wait for its own word, not a probe connection)
for _ in $(seq 1 200); do grep -qs 'waiting for OCSP client connections' "$tmp/ocsp.out" && break; pause 0.05; done
cp "$pki/ca.crl" "$tmp/www/ca.crl"

# start NAME ARGS...: nettcp serve on a free port; sets $port
start() {
    local name=$1; shift
    "$nettcp" serve "net.tcp://127.0.0.1:0/calc" -v "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    pids+=($!)
    for _ in $(seq 1 200); do grep -qs '^listening on' "$tmp/$name.out" && break; pause 0.05; done
    local u
    u=$(sed -n 's/^listening on \([^ ]*\).*/\1/p' "$tmp/$name.out")
    port=${u#net.tcp://127.0.0.1:}; port=${port%%/*}
    [ -n "$u" ] || { echo "FAIL: $name did not start: $(cat "$tmp/$name.err")" >&2; failed=$((failed + 1)); }
}
echo_call() { # URL-host ARGS... -> stdout+stderr of call --json
    local host=$1; shift
    "$nettcp" call "net.tcp://$host:$port/calc" --action http://tempuri.org/IEcho/Echo \
        --body '<Echo xmlns="http://tempuri.org/"><text>tls-hello</text></Echo>' --timeout 10 --json "$@" 2>&1
}
cause_of() { sed -n 's/.*"cause":"\([a-z_]*\)".*/\1/p' <<<"$1"; }

# ---- credential none: server certificate only ----
start none --credential none --cert "$pki/server.pem" --key "$pki/server.key"
out=$(echo_call localhost --credential none --ca "$pki/ca.pem")
contains "none: the echo" "$out" 'tls-hello [caller: unauthenticated]'
contains "none: TLS security in --json" "$out" '"kind":"tls"'
contains "none: the service's subject" "$out" '"service_subject":"CN=server"'
fp=$(openssl x509 -in "$pki/server.pem" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g')
contains "none: the service's thumbprint" "$out" "\"service_thumbprint\":\"$fp\""

# identities: dns (SAN), thumbprint, cert, rsa; and their mismatches
out=$(echo_call localhost --credential none --ca "$pki/ca.pem" --identity dns:svc.example.test)
contains "identity dns: a second SAN name" "$out" '"ok":true'
out=$(echo_call localhost --credential none --ca "$pki/ca.pem" --identity dns:other.example.test)
check "identity dns mismatch: cause" "$(cause_of "$out")" cert_name_mismatch
contains "identity dns mismatch: the names held" "$out" 'localhost, svc.example.test'
out=$(echo_call 127.0.0.1 --credential none --ca "$pki/ca.pem")
check "default identity dns:<host> (127.0.0.1 is not in the certificate)" "$(cause_of "$out")" cert_name_mismatch
out=$(echo_call 127.0.0.1 --credential none --ca "$pki/ca.pem" --identity "thumbprint:$fp")
contains "identity thumbprint" "$out" '"ok":true'
out=$(echo_call localhost --credential none --ca "$pki/ca.pem" --identity "thumbprint:0000000000000000000000000000000000000000")
check "identity thumbprint mismatch" "$(cause_of "$out")" cert_name_mismatch
der=$(openssl x509 -in "$pki/server.pem" -outform DER | base64 -w0)
out=$(echo_call 127.0.0.1 --credential none --ca "$pki/ca.pem" --identity "cert:$der")
contains "identity cert" "$out" '"ok":true'
der2=$(openssl x509 -in "$pki/client.pem" -outform DER | base64 -w0)
out=$(echo_call 127.0.0.1 --credential none --ca "$pki/ca.pem" --identity "cert:$der2")
check "identity cert mismatch" "$(cause_of "$out")" cert_name_mismatch
rsa=$(openssl x509 -in "$pki/server.pem" -pubkey -noout | openssl pkey -pubin -outform DER | base64 -w0)
out=$(echo_call 127.0.0.1 --credential none --ca "$pki/ca.pem" --identity "rsa:$rsa")
contains "identity rsa" "$out" '"ok":true'
rsa2=$(openssl x509 -in "$pki/client.pem" -pubkey -noout | openssl pkey -pubin -outform DER | base64 -w0)
out=$(echo_call 127.0.0.1 --credential none --ca "$pki/ca.pem" --identity "rsa:$rsa2")
check "identity rsa mismatch" "$(cause_of "$out")" cert_name_mismatch

# trust: no CA given (the system store) -> untrusted, naming the issuer; peer trust
out=$(echo_call localhost --credential none --ca "$pki/other.pem")
check "untrusted: cause" "$(cause_of "$out")" cert_untrusted
contains "untrusted: names the missing issuer" "$out" 'CN=nettcp Test CA'
out=$(echo_call localhost --credential none --ca "$pki/server.pem" --validation peer)
contains "peer trust: the certificate itself" "$out" '"ok":true'
out=$(echo_call localhost --credential none --ca "$pki/ca.pem" --validation peer)
check "peer trust: a CA is not the certificate" "$(cause_of "$out")" cert_untrusted
out=$(echo_call localhost --credential none --ca "$pki/other.pem" --validation none)
contains "validation none" "$out" '"ok":true'

# revocation of a good certificate: online (the CRL over HTTP), offline (CRL in the trust file)
out=$(echo_call localhost --credential none --ca "$pki/ca.pem" --revocation online)
contains "revocation online, not revoked" "$out" '"ok":true'
out=$(echo_call localhost --credential none --ca "$pki/ca_crl.pem" --revocation offline)
contains "revocation offline, not revoked" "$out" '"ok":true'
out=$(echo_call localhost --credential none --ca "$pki/ca.pem" --revocation offline)
check "revocation offline without a CRL" "$(cause_of "$out")" revocation_unknown
grep -q 'GET /ca.crl' "$tmp/http.out" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: the CRL was not fetched over HTTP" >&2; }

# protocol versions: TLS 1.3 by default, 1.2 when asked, no overlap
out=$(echo_call localhost --credential none --ca "$pki/ca.pem" --tls-max 1.2 -v)
contains "TLS 1.2" "$out" 'TLSv1.2'
out=$(echo_call localhost --credential none --ca "$pki/ca.pem" -v)
contains "TLS 1.3 by default" "$out" 'TLSv1.3'

# ---- the certificate failures, one service each ----
for c in expired notyet revoked untrusted; do
    start "$c" --credential none --cert "$pki/$c.pem" --key "$pki/$c.key"
    eval "port_$c=$port"
done
port=$port_expired; out=$(echo_call localhost --credential none --ca "$pki/ca.pem")
check "expired: cause" "$(cause_of "$out")" cert_expired
contains "expired: when" "$out" '2020-02-01'
out=$(echo_call localhost --credential none --ca "$pki/ca.pem" --trace "$tmp/call.trace")
contains "the call's trace: the cause" "$(cat "$tmp/call.trace")" '"cause":"cert_expired"'
port=$port_notyet; out=$(echo_call localhost --credential none --ca "$pki/ca.pem")
check "not yet valid: cause" "$(cause_of "$out")" cert_not_yet_valid
port=$port_revoked; out=$(echo_call localhost --credential none --ca "$pki/ca.pem" --revocation online)
check "revoked (CRL online): cause" "$(cause_of "$out")" cert_revoked
out=$(echo_call localhost --credential none --ca "$pki/ca_crl.pem" --revocation offline)
check "revoked (CRL offline): cause" "$(cause_of "$out")" cert_revoked
out=$(echo_call localhost --credential none --ca "$pki/ca.pem")
contains "revoked, nocheck: accepted" "$out" '"ok":true'
port=$port_untrusted; out=$(echo_call localhost --credential none --ca "$pki/ca.pem")
check "untrusted issuer: cause" "$(cause_of "$out")" cert_untrusted
contains "untrusted issuer: named" "$out" 'CN=nettcp Other CA'
# doctor: the chain as received and the check that failed
port=$port_expired
out=$("$nettcp" doctor "net.tcp://localhost:$port/calc" --credential none --ca "$pki/ca.pem" --timeout 10 2>&1)
contains "doctor expired: the cause" "$out" 'cause:  cert_expired'
contains "doctor expired: the failed check" "$out" 'the check that failed: chain'
contains "doctor expired: the subject" "$out" 'subject    CN=expired'
contains "doctor expired: the issuer" "$out" 'issuer     CN=nettcp Test CA'
contains "doctor expired: the validity" "$out" 'valid      2020-01-01 00:00:00 UTC to 2020-02-01 00:00:00 UTC'
contains "doctor expired: the SANs" "$out" 'SANs       DNS:localhost'
efp=$(openssl x509 -in "$pki/expired.pem" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g')
contains "doctor expired: the thumbprint" "$out" "thumbprint $efp"
contains "doctor expired: the key" "$out" 'key        RSA 2048'
contains "doctor expired: the fix" "$out" 'renew it'
port=$port_untrusted
out=$("$nettcp" doctor "net.tcp://localhost:$port/calc" --credential none --ca "$pki/ca.pem" --json --timeout 10 2>&1)
contains "doctor --json untrusted: cause" "$out" '"cause":"cert_untrusted"'
contains "doctor --json untrusted: chain" "$out" '"issuer":"CN=nettcp Other CA"'
contains "doctor --json untrusted: check" "$out" '"check_failed":"chain"'
port=$port_revoked
out=$("$nettcp" doctor "net.tcp://localhost:$port/calc" --credential none --ca "$pki/ca.pem" --identity dns:nowhere.test --timeout 10 2>&1)
contains "doctor name mismatch: identity step" "$out" 'identity     failed'
contains "doctor name mismatch: check" "$out" 'the check that failed: identity'
out=$("$nettcp" doctor "net.tcp://localhost:$port/calc" --credential none --ca "$pki/ca.pem" --timeout 10 2>&1)
contains "doctor ok over TLS" "$out" 'result: ok, every step passed'
contains "doctor ok: the upgrade" "$out" 'application/ssl-tls (TLS)'

# OCSP: certificates that name a responder and no CRL distribution point
start ocsp_good --credential none --cert "$pki/ocsp_good.pem" --key "$pki/ocsp_good.key"
out=$(echo_call localhost --credential none --ca "$pki/ca.pem" --revocation online)
contains "OCSP: good" "$out" '"ok":true'
start ocsp_revoked --credential none --cert "$pki/ocsp_revoked.pem" --key "$pki/ocsp_revoked.key"
out=$(echo_call localhost --credential none --ca "$pki/ca.pem" --revocation online)
check "OCSP: revoked" "$(cause_of "$out")" cert_revoked
contains "OCSP: said so" "$out" '(OCSP)'

# the CRL distribution point unreachable
kill "${pids[0]}" 2>/dev/null; wait "${pids[0]}" 2>/dev/null
port=$port_revoked; out=$(echo_call localhost --credential none --ca "$pki/ca.pem" --revocation online)
check "CRL unreachable: cause" "$(cause_of "$out")" revocation_unknown
contains "CRL unreachable: the URL" "$out" "http://127.0.0.1:$hport/ca.crl"

# ---- credential certificate ----
start cert --credential certificate --cert "$pki/server.p12" --client-ca "$pki/ca.pem" --trace "$tmp/cert.trace"
out=$(echo_call localhost --credential certificate --ca "$pki/ca.pem" --client-cert "$pki/client.pem" --client-key "$pki/client.key")
cfp=$(openssl x509 -in "$pki/client.pem" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g')
contains "certificate: the caller's subject, issuer and thumbprint" "$out" \
    "tls-hello [caller: CN=client, Certificate, issuer CN=nettcp Test CA, thumbprint $cfp]"
out=$(echo_call localhost --credential certificate --ca "$pki/ca.pem" --client-cert "$pki/client.pem" --client-key "$pki/client.key" --tls-max 1.2)
contains "certificate over TLS 1.2" "$out" "thumbprint $cfp"
out=$(echo_call localhost --credential none --ca "$pki/ca.pem")
check "client certificate required (1.3)" "$(cause_of "$out")" client_cert_required
out=$(echo_call localhost --credential none --ca "$pki/ca.pem" --tls-max 1.2)
check "client certificate required (1.2)" "$(cause_of "$out")" client_cert_required
out=$(echo_call localhost --credential certificate --ca "$pki/ca.pem" --client-cert "$pki/client_other.pem" --client-key "$pki/client_other.key")
check "client certificate rejected (1.3)" "$(cause_of "$out")" client_cert_rejected
out=$(echo_call localhost --credential certificate --ca "$pki/ca.pem" --client-cert "$pki/client_other.pem" --client-key "$pki/client_other.key" --tls-max 1.2)
check "client certificate rejected (1.2)" "$(cause_of "$out")" client_cert_rejected
contains "the service's log names why" "$(cat "$tmp/cert.err")" 'cert_untrusted'
contains "the service's log: client_cert_required" "$(cat "$tmp/cert.err")" 'client_cert_required'
traced "$tmp/cert.trace" '"cause":"cert_untrusted"' 1
contains "the service's trace: the cause" "$(cat "$tmp/cert.trace")" '"cause":"cert_untrusted"'

# ---- protocol and security mode mismatches ----
start old --credential none --cert "$pki/server.pem" --key "$pki/server.key" --tls-max 1.2
out=$(echo_call localhost --credential none --ca "$pki/ca.pem" --tls-min 1.3)
check "no common TLS version" "$(cause_of "$out")" tls_protocol_mismatch
out=$(echo_call localhost --credential windows)
check "windows client, TLS service" "$(cause_of "$out")" security_mode_mismatch
out=$(echo_call localhost --security none)
check "no security, TLS service" "$(cause_of "$out")" security_mode_mismatch
start nns --package ntlm   # NegotiateStream (NTLM needs no keytab to start)
out=$(echo_call localhost --credential none --ca "$pki/ca.pem")
check "TLS client, NegotiateStream service" "$(cause_of "$out")" security_mode_mismatch

# ---- the service's own credentials ----
"$nettcp" serve "net.tcp://127.0.0.1:0/calc" --credential none --cert "$pki/server.pem" --key "$pki/client.key" \
    >"$tmp/bad.out" 2>"$tmp/bad.err"
contains "a key that does not match" "$(cat "$tmp/bad.err")" 'cause: tls_credentials'
finish
