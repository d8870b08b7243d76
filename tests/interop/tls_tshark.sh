#!/usr/bin/env bash
# A TLS session (credential certificate) between nettcp serve and nettcp
# call, captured live on loopback and read by tshark: the mc-nmf dissector
# sees the preamble and the UpgradeRequest "application/ssl-tls", then the
# TLS handshake runs directly on the connection (ClientHello, ServerHello,
# application data records), with no malformed packet; a plaintext canary in
# the request never crosses the wire, while the same canary does cross
# without security (which shows the check can see it).
# Ends with "N passed, N failed".
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${NTCP_BUILD:-build}
case "$build" in /*) ;; *) build=$here/$build ;; esac
nettcp=$build/nettcp
source "$(dirname "$0")/checks.bash"
command -v tshark >/dev/null || { bad "tshark is not installed (scripts/bootstrap installs it)"; finish; }
tmp=$(mktemp -d)
pids=()
tpid=
trap '[ -n "$tpid" ] && kill $tpid 2>/dev/null; for p in "${pids[@]}"; do kill $p 2>/dev/null; done; wait; [ -n "${KEEP:-}" ] && cp -r "$tmp" /tmp/tls_keep; rm -rf "$tmp"' EXIT
source "$here/tests/e2e/tls_certs.bash"
make_pki "http://127.0.0.1:9/unused.crl"
pki=$tmp/pki
canary='NETTCP-TLS-CANARY-5d1e0b'

capture_case() { # name, expect-canary (yes/no), serve args..., --, call args...
    local name=$1 expect=$2; shift 2
    local sargs=() cargs=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do sargs+=("$1"); shift; done
    shift; cargs=("$@")
    "$nettcp" serve "net.tcp://127.0.0.1:0/calc" "${sargs[@]}" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    pids+=($!)
    for _ in $(seq 1 200); do grep -qs '^listening on' "$tmp/$name.out" && break; pause 0.05; done
    local port
    port=$(sed -n 's/^listening on net.tcp:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/$name.out")
    [ -n "$port" ] || { bad "$name: serve did not start: $(cat "$tmp/$name.err")"; return; }
    tshark -i lo -f "tcp port $port" -l -P -w "$tmp/$name.pcapng" >"$tmp/live.txt" 2>"$tmp/tshark.err" &
    tpid=$!
    for _ in $(seq 1 400); do   # until a probe connection shows in the live output (deadline 20 s)
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
        [ -s "$tmp/live.txt" ] && break
        pause 0.05
    done
    [ -s "$tmp/live.txt" ] || { bad "$name: tshark could not capture on lo: $(cat "$tmp/tshark.err")"; return; }
    if "$nettcp" call "net.tcp://localhost:$port/calc" --action http://tempuri.org/IEcho/Echo \
        --body "<Echo xmlns=\"http://tempuri.org/\"><text>$canary</text></Echo>" --timeout 10 "${cargs[@]}" \
        >"$tmp/call.txt" 2>&1 && grep -q "$canary" "$tmp/call.txt"; then ok
    else bad "$name: the call failed: $(tail -5 "$tmp/call.txt")"; fi
    settled "$tmp/live.txt"
    kill -INT $tpid; wait $tpid 2>/dev/null; tpid=
    f=(tshark -2 -r "$tmp/$name.pcapng" -d "tcp.port==$port,mc-nmf")
    local mal
    mal=$("${f[@]}" -Y '_ws.malformed || _ws.expert.severity >= 0x00800000' -T fields -e frame.number 2>/dev/null | wc -l)
    [ "$mal" -eq 0 ] && ok || bad "$name: $mal packet(s) marked malformed or as errors"
    local seen=no   # the raw capture: every byte that crossed (the message is one small segment)
    grep -aq "$canary" "$tmp/$name.pcapng" && seen=yes
    check "$name: canary on the wire" "$expect" "$seen"
}

capture_case certificate no --credential certificate --cert "$pki/server.pem" --key "$pki/server.key" \
    --client-ca "$pki/ca.pem" -- --credential certificate --ca "$pki/ca.pem" --client-cert "$pki/client.pem" \
    --client-key "$pki/client.key"
port=$(sed -n 's/^listening on net.tcp:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/certificate.out")
f=(tshark -2 -r "$tmp/certificate.pcapng" -d "tcp.port==$port,mc-nmf")
check "the upgrade asked for" "application/ssl-tls" "$("${f[@]}" -T fields -e mc-nmf.upgrade 2>/dev/null | grep . | head -1)"
hs=$("${f[@]}" -T fields -e tls.handshake.type 2>/dev/null | tr ',' '\n' | grep . | sort -un | tr '\n' ' ')
case " $hs" in *" 1 "*) ok ;; *) bad "no ClientHello (handshake types seen: $hs)" ;; esac
case " $hs" in *" 2 "*) ok ;; *) bad "no ServerHello (handshake types seen: $hs)" ;; esac
apps=$("${f[@]}" -Y 'tls.record.opaque_type == 23 || tls.record.content_type == 23' 2>/dev/null | wc -l)
[ "$apps" -ge 4 ] && ok || bad "tshark saw $apps TLS application data records"
ver=$("${f[@]}" -Y 'tls.handshake.type == 2' -T fields -e tls.handshake.extensions.supported_version 2>/dev/null | grep . | head -1)
check "TLS 1.3 negotiated" "0x0304" "$ver"
capture_case tls12 no --credential none --cert "$pki/server.pem" --key "$pki/server.key" --tls-max 1.2 \
    -- --credential none --ca "$pki/ca.pem"
capture_case plain yes --security none -- --security none
finish
