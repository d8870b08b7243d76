#!/usr/bin/env bash
# nettcp decode: every envelope of the real vectors as XML and JSON, two
# files as two directions, a stream after an upgrade, bad input.
set -u
source "$(dirname "$0")/checks.bash"
VEC=$(cd "$(dirname "$0")/../vectors" && pwd)
PY=/usr/bin/python3

# the real WCF session is not carried (tests/vectors/README.md): checked when NTCP_SHARED holds it
WCF=${NTCP_SHARED:-/nonexistent}/vectors/wcf-unsecured-session.trace
if [ -f "$WCF" ]; then
# JSON keys and addressing values of the real WCF session
got=$("$nettcp" decode --json "$WCF" | $PY -c '
import json, sys
for line in sys.stdin:
    o = json.loads(line)
    print(o["direction"], o["index"], o["action"], o["message_id"], o["relates_to"], o["size"], sorted(o))')
keys="['action', 'direction', 'index', 'message_id', 'relates_to', 'size', 'xml']"
check "wcf json" "$got" "c>s 1 http://tempuri.org/IService1/GetData urn:uuid:5eb6df4b-aefd-457f-bbfa-26446daf42e0 None 176 $keys
c>s 2 http://tempuri.org/IService1/GetData urn:uuid:c62313b1-adb1-4ad9-ad77-18ed0d06f54a None 66 $keys
s>c 1 http://tempuri.org/IService1/GetDataResponse None urn:uuid:5eb6df4b-aefd-457f-bbfa-26446daf42e0 317 $keys
s>c 2 http://tempuri.org/IService1/GetDataResponse None urn:uuid:c62313b1-adb1-4ad9-ad77-18ed0d06f54a 219 $keys"
fi

# the mono exchange decodes to the XML of mono-nettcp-exchange.decoded.txt (white space between tags aside)
got=$("$nettcp" decode --json "$VEC/mono-nettcp-exchange.hex" | $PY -c '
import json, re, sys
for line in sys.stdin:
    print(re.sub(r">\s+<", "><", json.loads(line)["xml"].strip()))' | sort)
want=$(grep '^<s:Envelope' "$VEC/mono-nettcp-exchange.decoded.txt" | sort)
check "mono xml equals decoded.txt" "$got" "$want"

# two raw files, one per direction (direction detected from the first byte)
$PY - "$VEC/mono-nettcp-exchange.hex" "$tmp" <<'PYEOF'
import sys
lines = open(sys.argv[1]).read().split("\n")
for tag, name in (("C->S", "c2s.bin"), ("S->C", "s2c.bin")):
    data = bytes.fromhex("".join(l[5:] for l in lines if l.startswith(tag)))
    open(sys.argv[2] + "/" + name, "wb").write(data)
    if tag == "C->S":  # the same stream as if captured after a security upgrade
        open(sys.argv[2] + "/after.bin", "wb").write(data[39:])
PYEOF
got=$("$nettcp" decode --json "$tmp/s2c.bin" "$tmp/c2s.bin" | $PY -c '
import json, sys
for line in sys.stdin:
    o = json.loads(line); print(o["direction"], o["index"], o["action"])')
check "two raw files" "$got" "c>s 1 http://tempuri.org/IEcho/Echo
c>s 2 http://tempuri.org/IEcho/Add
s>c 1 http://tempuri.org/IEcho/EchoResponse
s>c 2 http://tempuri.org/IEcho/AddResponse"
got=$("$nettcp" decode --json "$tmp/after.bin" | $PY -c '
import json, sys
for line in sys.stdin:
    o = json.loads(line); print(o["direction"], o["index"], o["action"], o["size"])')
check "stream after an upgrade" "$got" "c>s 1 http://tempuri.org/IEcho/Echo 220
c>s 2 http://tempuri.org/IEcho/Add 208"

# text output shows the records and the XML
got=$("$nettcp" decode "$tmp/c2s.bin" | grep -c -e 'SizedEnvelope' -e '<text>captured-call</text>' -e '<a>2</a>')
check "text output" "$got" 4

# the second reply alone: its table's string becomes session id 1, but it refers to id 3 (defined only
# when the first reply's table came before): an unknown session string, named with its envelope
tail -c +169 "$tmp/s2c.bin" > "$tmp/s2c-second.bin"   # PreambleAck + first reply dropped
printf '\x0b' | cat - "$tmp/s2c-second.bin" > "$tmp/s2c-cut.bin"
err=$("$nettcp" decode "$tmp/s2c-cut.bin" 2>&1 >/dev/null); rc=$?
check "undefined session string: exit 1" "$rc" 1
case "$err" in *"s>c envelope 1 (the SizedEnvelope record at offset 1)"*) ok=1 ;; *) ok=0 ;; esac
check "undefined session string: names the envelope ($err)" "$ok" 1

# bad framing input names the offset
printf '\x00\x01\x00\x01\x09' > "$tmp/bad.bin"
err=$("$nettcp" decode "$tmp/bad.bin" 2>&1 >/dev/null); rc=$?
check "bad framing" "$rc:$err" "1:nettcp decode: $tmp/bad.bin: c>s stream at byte offset 4: the framing mode is not accepted by this endpoint (mode_refused)"
"$nettcp" decode --encoding nope x >/dev/null 2>&1; check "usage: exit 2" "$?" 2
"$nettcp" decode --help | grep -q "usage: nettcp decode"; check "--help" "$?" 0
finish
