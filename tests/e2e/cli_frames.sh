#!/usr/bin/env bash
# nettcp frames: exact output for the real vectors, JSON keys, bad input.
set -u
source "$(dirname "$0")/checks.bash"
VEC=$(cd "$(dirname "$0")/../vectors" && pwd)

# the real WCF session is not carried (tests/vectors/README.md): checked when NTCP_SHARED holds it
WCF=${NTCP_SHARED:-/nonexistent}/vectors/wcf-unsecured-session.trace
if [ -f "$WCF" ]; then
    got=$("$nettcp" frames "$WCF")
    check "text output, both directions" "$got" "# client -> service (c>s): 294 bytes
c>s        0  Version            1.0
c>s        3  Mode               duplex (2)
c>s        5  Via                net.tcp://192.168.56.1:8523/Service1
c>s       43  KnownEncoding      0x08 application/soap+msbinsession1
c>s       45  PreambleEnd       
c>s       46  SizedEnvelope      176 bytes
c>s      225  SizedEnvelope      66 bytes
c>s      293  End               

# service -> client (s>c): 544 bytes
s>c        0  PreambleAck       
s>c        1  SizedEnvelope      317 bytes
s>c      321  SizedEnvelope      219 bytes
s>c      543  End               "
fi

got=$("$nettcp" frames "$VEC/mono-nettcp-exchange.hex")
check "text output, both directions (mono)" "$got" "# client -> service (c>s): 475 bytes
c>s        0  Version            1.0
c>s        3  Mode               duplex (2)
c>s        5  Via                net.tcp://127.0.0.1:15002/echo
c>s       37  KnownEncoding      0x08 application/soap+msbinsession1
c>s       39  PreambleEnd       
c>s       40  SizedEnvelope      220 bytes
c>s      263  SizedEnvelope      208 bytes
c>s      474  End               

# service -> client (s>c): 300 bytes
s>c        0  PreambleAck       
s>c        1  SizedEnvelope      164 bytes
s>c      168  SizedEnvelope      129 bytes"

got=$("$nettcp" frames --json "$VEC/mono-nettcp-exchange.hex")
check "json output" "$got" '{"direction":"c>s","offset":0,"type":"Version","size":0,"major":1,"minor":0}
{"direction":"c>s","offset":3,"type":"Mode","size":0,"mode":2,"mode_name":"duplex"}
{"direction":"c>s","offset":5,"type":"Via","size":30,"via":"net.tcp://127.0.0.1:15002/echo"}
{"direction":"c>s","offset":37,"type":"KnownEncoding","size":0,"encoding":8,"content_type":"application/soap+msbinsession1"}
{"direction":"c>s","offset":39,"type":"PreambleEnd","size":0}
{"direction":"c>s","offset":40,"type":"SizedEnvelope","size":220}
{"direction":"c>s","offset":263,"type":"SizedEnvelope","size":208}
{"direction":"c>s","offset":474,"type":"End","size":0}
{"direction":"s>c","offset":0,"type":"PreambleAck","size":0}
{"direction":"s>c","offset":1,"type":"SizedEnvelope","size":164}
{"direction":"s>c","offset":168,"type":"SizedEnvelope","size":129}'

# raw bytes, one direction, from stdin; an upgrade request and the bytes after it
printf '\x00\x01\x00\x01\x02\x02\x03a/b\x03\x08\x09\x15application/negotiate\x16\x01\x00\x00\x00' > "$tmp/up.bin"
got=$("$nettcp" frames --json - < "$tmp/up.bin")
check "upgrade boundary" "$got" '{"offset":0,"type":"Version","size":0,"major":1,"minor":0}
{"offset":3,"type":"Mode","size":0,"mode":2,"mode_name":"duplex"}
{"offset":5,"type":"Via","size":3,"via":"a/b"}
{"offset":10,"type":"KnownEncoding","size":0,"encoding":8,"content_type":"application/soap+msbinsession1"}
{"offset":12,"type":"UpgradeRequest","size":21,"upgrade":"application/negotiate"}
{"offset":35,"type":"UpgradedBytes","size":5}'

# a stream that begins after the upgrade, and a fault answer
printf '0c 06 02 5602 07' > "$tmp/after.hex"
got=$("$nettcp" frames --json "$tmp/after.hex")
check "after upgrade" "$got" '{"offset":0,"type":"PreambleEnd","size":0}
{"offset":1,"type":"SizedEnvelope","size":2}
{"offset":5,"type":"End","size":0}'
printf '08 10 %s' "$(printf 'EndpointNotFound' | od -An -tx1)" > "$tmp/fault.hex"
got=$("$nettcp" frames --json "$tmp/fault.hex")
check "fault" "$got" '{"offset":0,"type":"Fault","size":16,"fault":"EndpointNotFound"}'

# bad input: message with the byte offset, exit 1
printf '\x00\x01\x00\x01\x02\x02\x05' > "$tmp/trunc.bin"
err=$("$nettcp" frames "$tmp/trunc.bin" 2>&1 >/dev/null); rc=$?
check "truncated: exit 1" "$rc" 1
check "truncated: message" "$err" "nettcp frames: $tmp/trunc.bin: stream at byte offset 7: the input ends in the middle of a record (truncated)"
printf '\x00\x02\x00' > "$tmp/v2.bin"
err=$("$nettcp" frames "$tmp/v2.bin" 2>&1 >/dev/null); rc=$?
check "version 2: exit 1" "$rc" 1
check "version 2: message" "$err" "nettcp frames: $tmp/v2.bin: stream at byte offset 1: the framing version is not 1.x (unsupported_version)"
printf 'C->S 0001zz\n' > "$tmp/bad.hex"
err=$("$nettcp" frames "$tmp/bad.hex" 2>&1 >/dev/null); rc=$?
check "bad hex: exit 1" "$rc" 1
check "bad hex: message" "$err" "nettcp frames: $tmp/bad.hex: line 1 is not a hex trace line"
# --max-size: a 300-byte envelope is refused under --max-size 100
{ printf '\x00\x01\x00\x01\x02\x02\x03a/b\x03\x08\x0c\x06\xac\x02'; head -c 300 /dev/zero; } > "$tmp/big.bin"
"$nettcp" frames "$tmp/big.bin" >/dev/null 2>&1; check "300 bytes fit the offline default" "$?" 0
err=$("$nettcp" frames --max-size 100 "$tmp/big.bin" 2>&1 >/dev/null); rc=$?
check "--max-size refuses" "$rc:$err" "1:nettcp frames: $tmp/big.bin: stream at byte offset 14: a message is larger than the maximum received message size (65536 by default) (message_too_large)"
"$nettcp" frames --bogus x >/dev/null 2>&1; check "usage error: exit 2" "$?" 2
"$nettcp" frames --help | grep -q "usage: nettcp frames"; check "--help" "$?" 0
"$nettcp" --help | grep -q "frames"; check "nettcp --help lists frames" "$?" 0
finish
