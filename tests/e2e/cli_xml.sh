#!/usr/bin/env bash
# nettcp xml decode/encode: the spec example both ways, session payloads,
# stdin, errors.
set -u
source "$(dirname "$0")/checks.bash"
VEC=$(cd "$(dirname "$0")/../vectors" && pwd)

got=$("$nettcp" xml decode "$VEC/nbfs-example.bin")
check "decode nbfs-example" "$got" '<s:Envelope xmlns:a="http://www.w3.org/2005/08/addressing" xmlns:s="http://www.w3.org/2003/05/soap-envelope">
  <s:Header>
    <a:Action s:mustUnderstand="1">action</a:Action>
  </s:Header>
  <s:Body>
    <Inventory>0</Inventory>
  </s:Body>
</s:Envelope>'
"$nettcp" xml encode "$VEC/nbfs-example.xml" > "$tmp/enc.bin"
cmp -s "$tmp/enc.bin" "$VEC/nbfs-example.bin"; check "encode nbfs-example gives the spec bytes" "$?" 0
got=$("$nettcp" xml decode --indent 0 - < "$VEC/nbfs-example.bin")
check "stdin, one line" "$got" '<s:Envelope xmlns:a="http://www.w3.org/2005/08/addressing" xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header><a:Action s:mustUnderstand="1">action</a:Action></s:Header><s:Body><Inventory>0</Inventory></s:Body></s:Envelope>'

# a session payload: text -> NBFSE -> text
cat > "$tmp/msg.xml" <<'XML'
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header><a:Action s:mustUnderstand="1">http://tempuri.org/IEcho/Echo</a:Action></s:Header><s:Body><Echo xmlns="http://tempuri.org/"><text>hello &amp; goodbye</text></Echo></s:Body></s:Envelope>
XML
"$nettcp" xml encode --session "$tmp/msg.xml" > "$tmp/msg.bin"
first=$(head -c 1 "$tmp/msg.bin" | od -An -tx1 | tr -d ' ')
[ "$first" != "00" ]; check "the session payload starts with a non-empty string table" "$?" 0
got=$("$nettcp" xml decode --session --indent 0 "$tmp/msg.bin")
check "session round trip" "$got" "$(tr -d '\n' < "$tmp/msg.xml")"

# errors
printf '<a><b></a>' > "$tmp/bad.xml"
"$nettcp" xml encode "$tmp/bad.xml" >/dev/null 2>"$tmp/err"; rc=$?
check "malformed text: exit 1" "$rc" 1
grep -q "xml_syntax_error" "$tmp/err"; check "malformed text: named error" "$?" 0
head -c 20 "$VEC/nbfs-example.bin" > "$tmp/trunc.bin"
"$nettcp" xml decode "$tmp/trunc.bin" >/dev/null 2>"$tmp/err"; rc=$?
check "truncated binary: exit 1" "$rc" 1
grep -q "(truncated)" "$tmp/err"; check "truncated binary: named error" "$?" 0
printf '<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>' > "$tmp/dtd.xml"
"$nettcp" xml encode "$tmp/dtd.xml" >/dev/null 2>&1; check "a DTD is refused" "$?" 1
"$nettcp" xml --help | grep -q "usage: nettcp xml"; check "--help" "$?" 0
finish
