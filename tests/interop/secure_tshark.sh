#!/usr/bin/env bash
# Secured sessions captured live on loopback and read by tshark's mc-nmf and
# ms-nns dissectors: no malformed packet, the handshake messages and data
# frames are recognised, and the application bytes (a marker in the first
# message) never appear on the wire at EncryptAndSign — while they do at
# Sign (signed, not encrypted), which shows the check can see them.
# Ends with "N passed, N failed".
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${NTCP_BUILD:-build}
case "$build" in /*) ;; *) build=$here/$build ;; esac
bin=$build/tests/e2e/secure_session
marker_hex=$(printf 'NETTCP-PLAINTEXT-MARKER-7f3a9c' | od -An -tx1 | tr -d ' \n')
source "$(dirname "$0")/checks.bash"
command -v tshark >/dev/null || { bad "tshark is not installed (scripts/bootstrap installs it)"; finish; }
[ -x "$bin" ] || { bad "$bin is not built"; finish; }
tmp=$(mktemp -d)
tpid=
trap '[ -n "$tpid" ] && kill $tpid 2>/dev/null; rm -rf "$tmp"' EXIT

capture_case() { # case-name, expect-marker(yes/no)
    local name=$1 expect=$2 port
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    tshark -i lo -f "tcp port $port" -l -P -w "$tmp/cap.pcapng" >"$tmp/live.txt" 2>"$tmp/tshark.err" &
    tpid=$!
    for _ in $(seq 1 400); do   # until a probe connection shows in the live output (deadline 20 s)
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
        [ -s "$tmp/live.txt" ] && break
        pause 0.05
    done
    [ -s "$tmp/live.txt" ] || { bad "$name: tshark could not capture on lo: $(cat "$tmp/tshark.err")"; return; }
    if NTCP_SECURE_PORT=$port "$here/scripts/with-realm" "$bin" "$name" >"$tmp/run.txt" 2>&1; then ok
    else bad "$name: the session failed: $(tail -5 "$tmp/run.txt")"; fi
    settled "$tmp/live.txt"
    kill -INT $tpid; wait $tpid 2>/dev/null; tpid=
    local f=(tshark -2 -r "$tmp/cap.pcapng" -d "tcp.port==$port,mc-nmf")
    local mal
    mal=$("${f[@]}" -Y '_ws.malformed || _ws.expert.severity >= 0x00800000' -T fields -e frame.number 2>/dev/null | wc -l)
    [ "$mal" -eq 0 ] && ok || bad "$name: $mal packet(s) marked malformed or as errors"
    local ids
    ids=$("${f[@]}" -T fields -e ms-nns.message_id 2>/dev/null | tr ',' '\n' | grep -c .)
    [ "$ids" -ge 2 ] && ok || bad "$name: tshark saw $ids NegotiateStream handshake messages"
    local frames
    frames=$("${f[@]}" -T fields -e ms-nns.payload_size 2>/dev/null | tr ',' '\n' | grep -c .)
    [ "$frames" -ge 8 ] && ok || bad "$name: tshark saw $frames NegotiateStream data frames"
    local seen=no
    "${f[@]}" -T fields -e tcp.payload 2>/dev/null | tr -d ':\n' | grep -q "$marker_hex" && seen=yes
    [ "$seen" = "$expect" ] && ok || bad "$name: marker on the wire: $seen, expected $expect"
}

capture_case negotiate/encrypt no
capture_case ntlm/encrypt no
capture_case kerberos/sign yes
finish
