#!/usr/bin/env bash
# nettcp wsdl: WCF-shaped WSDLs for NetTcpBinding (Windows, certificate and no
# transport security; SPN, UPN, DNS and X509 identities) read from files, a
# multi-document ?wsdl / ?wsdl=wsdl0 / ?xsd=xsdN service and ?singleWsdl over
# HTTP, and the errors: an import loop, a missing import, bad XML, a DTD, an
# unsupported construct, an unreachable source.
set -u
source "$(dirname "$0")/checks.bash"
# the advice the CLI prints under each error (the cause table in include/nettcp/error.h)
ADV_BAD_XML='open the URL in a browser: an error page or a proxy'\''s page is often served instead of the WSDL'
ADV_IMPORT_LOOP='the service'\''s metadata is inconsistent; read ?singleWsdl'
ADV_IMPORT_MISSING='WCF writes absolute import URLs from the host name it was reached by: if they name another host or port (a load balancer, localhost), read ?singleWsdl instead or set the service'\''s useRequestHeadersForMetadataAddress behaviour'
ADV_UNREACHABLE='check the path or URL (?wsdl, ?singleWsdl) in a browser on the same network; HTTP 401: Negotiate failed, get a ticket with kinit and check the HTTP/host SPN'
ADV_UNSUPPORTED='the error names the construct (rpc style, a part with type=, several body parts, xs:choice or complexContent in an operation'\''s element, a notification operation, an http(s) document importing a local file); describe the service with document/literal wrapped operations, as WCF does by default'
VEC=$(cd "$(dirname "$0")/../vectors/wsdl" && pwd)

# endpoints[0] as one line, keys in order
ep() { python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["endpoints"][0], separators=(",",":")))'; }
ops() { python3 -c 'import json,sys; print(" ".join("%s|%s|%s" % (o["name"], o["action"], o["reply_action"]) for o in json.load(sys.stdin)["operations"]))'; }

got=$("$nettcp" wsdl --json "$VEC/nettcp-windows-spn.wsdl" | ep)
check "windows, spn" "$got" '{"name":"NetTcpBinding_ICalculator","address":"net.tcp://app01.example.com:808/Calculator","binding":"NetTcpBinding_ICalculator","contract":"ICalculator","transport":"tcp","encoding":"binary","mode":"duplex","security":"Transport","credential":"Windows","protection":"EncryptAndSign","identity":{"kind":"spn","value":"host/app01.example.com"}}'
got=$("$nettcp" wsdl --json "$VEC/nettcp-windows-sign-upn.wsdl" | ep)
check "windows sign, upn" "$got" '{"name":"NetTcpBinding_ICalculator","address":"net.tcp://app01.example.com:808/Calculator","binding":"NetTcpBinding_ICalculator","contract":"ICalculator","transport":"tcp","encoding":"binary","mode":"duplex","security":"Transport","credential":"Windows","protection":"Sign","identity":{"kind":"upn","value":"svc-calc@EXAMPLE.COM"}}'
got=$("$nettcp" wsdl --json "$VEC/nettcp-certificate-dns.wsdl" | ep)
check "certificate, dns" "$got" '{"name":"NetTcpBinding_ICalculator","address":"net.tcp://app01.example.com:808/Calculator","binding":"NetTcpBinding_ICalculator","contract":"ICalculator","transport":"tcp","encoding":"binary","mode":"duplex","security":"Transport","credential":"Certificate","protection":"EncryptAndSign","identity":{"kind":"dns","value":"app01.example.com"}}'
got=$("$nettcp" wsdl --json "$VEC/nettcp-certificate-x509.wsdl" | ep)
check "tls without client certificate, x509" "$got" '{"name":"NetTcpBinding_ICalculator","address":"net.tcp://app01.example.com:808/Calculator","binding":"NetTcpBinding_ICalculator","contract":"ICalculator","transport":"tcp","encoding":"binary","mode":"duplex","security":"Transport","credential":"None","protection":"EncryptAndSign","identity":{"kind":"x509","value":"MIIBszCCAVmgAwIBAgIUX2nQ0Xk3o9m1kq7u0sYdGm2Vb6owCgYIKoZIzj0EAwIwHTEbMBkGA1UEAwwSYXBwMDEuZXhhbXBsZS5jb20wHhcNMjYwMTAxMDAwMDAwWhcNMzYwMTAxMDAwMDAwWjAdMRswGQYDVQQDDBJhcHAwMS5leGFtcGxlLmNvbQ=="}}'
got=$("$nettcp" wsdl --json "$VEC/nettcp-none.wsdl" | ep)
check "none, no identity" "$got" '{"name":"NetTcpBinding_ICalculator","address":"net.tcp://app01.example.com:808/Calculator","binding":"NetTcpBinding_ICalculator","contract":"ICalculator","transport":"tcp","encoding":"binary","mode":"duplex","security":"None","credential":"None","protection":"None","identity":null}'
got=$("$nettcp" wsdl --json "$VEC/nettcp-none.wsdl" | ops)
check "operations: wsaw:Action, and WCF's default for a one-way operation" "$got" 'Add|http://tempuri.org/ICalculator/Add|http://tempuri.org/ICalculator/AddResponse Describe|urn:samples/Describe|urn:samples/DescribeReply Reset|http://tempuri.org/ICalculator/Reset|None'

# text output
got=$("$nettcp" wsdl "$VEC/nettcp-windows-spn.wsdl" | head -6)
check "text output" "$got" 'endpoint NetTcpBinding_ICalculator
  address    net.tcp://app01.example.com:808/Calculator
  binding    NetTcpBinding_ICalculator (contract ICalculator)
  transport  tcp, encoding binary, mode duplex
  security   Transport, credential Windows, protection EncryptAndSign
  identity   spn:host/app01.example.com'

# over HTTP: ?wsdl imports ?wsdl=wsdl0, whose types import ?xsd=xsd0..2 (xsd0 and xsd2 import again)
mkdir -p "$tmp/site" "$tmp/bad"
cp "$VEC"/multi/* "$tmp/site/"
cp "$VEC/nettcp-windows-spn.wsdl" "$tmp/site/singleWsdl"
sed 's/?wsdl=wsdl0/?wsdl=wsdl9/' "$VEC/multi/wsdl" > "$tmp/bad/wsdl"
python3 "$(dirname "$0")/wsdl_http.py" "$tmp/site" "$tmp/port" & pids+=($!)
python3 "$(dirname "$0")/wsdl_http.py" "$tmp/bad" "$tmp/badport" & pids+=($!)
for _ in $(seq 1 200); do [ -s "$tmp/port" ] && [ -s "$tmp/badport" ] && break; read -r -t 0.05 <> <(:) || true; done
port=$(cat "$tmp/port") badport=$(cat "$tmp/badport")
base="http://127.0.0.1:$port/Calculator"

"$nettcp" wsdl --json "$base?wsdl" > "$tmp/multi.json" 2>"$tmp/err"
check "http ?wsdl: exit 0" "$?" 0
check "http ?wsdl: whole document" "$(cat "$tmp/multi.json")" '{"endpoints":[{"name":"NetTcpBinding_ICalculator","address":"net.tcp://app01.example.com:808/Calculator","binding":"NetTcpBinding_ICalculator","contract":"ICalculator","transport":"tcp","encoding":"binary","mode":"duplex","security":"Transport","credential":"Windows","protection":"EncryptAndSign","identity":{"kind":"spn","value":"HOST/app01.example.com"}}],"operations":[{"name":"Add","contract":"ICalculator","action":"urn:samples:calculator/ICalculator/Add","reply_action":"urn:samples:calculator/ICalculator/AddResponse","input":{"element":"Add","namespace":"urn:samples:calculator","type":"anonymous","fields":[{"name":"a","type":"xs:int","min":0,"max":1,"nillable":false},{"name":"b","type":"xs:int","min":0,"max":1,"nillable":false}]},"output":{"element":"AddResponse","namespace":"urn:samples:calculator","type":"anonymous","fields":[{"name":"AddResult","type":"xs:int","min":0,"max":1,"nillable":false}]}},{"name":"Describe","contract":"ICalculator","action":"urn:samples/Describe","reply_action":"urn:samples/DescribeReply","input":{"element":"Describe","namespace":"urn:samples:calculator","type":"anonymous","fields":[{"name":"order","type":"{http://schemas.datacontract.org/2004/07/Samples}Order","min":0,"max":1,"nillable":true}]},"output":{"element":"DescribeResponse","namespace":"urn:samples:calculator","type":"anonymous","fields":[{"name":"DescribeResult","type":"xs:string","min":0,"max":1,"nillable":true}]}},{"name":"Reset","contract":"ICalculator","action":"urn:samples:calculator/ICalculator/Reset","reply_action":null,"input":{"element":"Reset","namespace":"urn:samples:calculator","type":"anonymous","fields":[]},"output":null}]}'
got=$("$nettcp" wsdl --json "$base?singleWsdl" | ep)
check "http ?singleWsdl" "$got" '{"name":"NetTcpBinding_ICalculator","address":"net.tcp://app01.example.com:808/Calculator","binding":"NetTcpBinding_ICalculator","contract":"ICalculator","transport":"tcp","encoding":"binary","mode":"duplex","security":"Transport","credential":"Windows","protection":"EncryptAndSign","identity":{"kind":"spn","value":"host/app01.example.com"}}'

# errors, each naming the element and a cause id
"$nettcp" wsdl "http://127.0.0.1:$badport/Calculator?wsdl" >/dev/null 2>"$tmp/err"; rc=$?
check "missing import: exit 1" "$rc" 1
check "missing import: error" "$(cat "$tmp/err")" "nettcp wsdl: wsdl:import location=\"http://127.0.0.1:$badport/Calculator?wsdl=wsdl9\" in http://127.0.0.1:$badport/Calculator?wsdl: cannot read http://127.0.0.1:$badport/Calculator?wsdl=wsdl9: HTTP 404; cause: wsdl_import_missing
advice: $ADV_IMPORT_MISSING"
got=$("$nettcp" wsdl --json "http://127.0.0.1:$badport/Calculator?wsdl" 2>/dev/null)
check "missing import: --json, the text and the cause apart" "$got" "{\"error\":\"wsdl:import location=\\\"http://127.0.0.1:$badport/Calculator?wsdl=wsdl9\\\" in http://127.0.0.1:$badport/Calculator?wsdl: cannot read http://127.0.0.1:$badport/Calculator?wsdl=wsdl9: HTTP 404\",\"cause\":\"wsdl_import_missing\"}"
"$nettcp" wsdl "$base?wsdl=nothere" >/dev/null 2>"$tmp/err"
check "unreachable source" "$(cat "$tmp/err")" "nettcp wsdl: $base?wsdl=nothere: HTTP 404; cause: wsdl_unreachable
advice: $ADV_UNREACHABLE"

cat > "$tmp/a.wsdl" <<'XML'
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" targetNamespace="urn:a"><wsdl:import namespace="urn:b" location="b.wsdl"/></wsdl:definitions>
XML
cat > "$tmp/b.wsdl" <<'XML'
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" targetNamespace="urn:b"><wsdl:import namespace="urn:a" location="a.wsdl"/></wsdl:definitions>
XML
"$nettcp" wsdl "$tmp/a.wsdl" >/dev/null 2>"$tmp/err"; rc=$?
check "import loop: exit 1" "$rc" 1
check "import loop: error" "$(cat "$tmp/err")" "nettcp wsdl: wsdl:import location=\"a.wsdl\" in $tmp/b.wsdl: import loop: $tmp/a.wsdl is already being loaded; cause: wsdl_import_loop
advice: $ADV_IMPORT_LOOP"
printf '<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/">\n<wsdl:types>\n</wsdl:definitions>\n' > "$tmp/bad.wsdl"
"$nettcp" wsdl "$tmp/bad.wsdl" >/dev/null 2>"$tmp/err"
check "bad XML" "$(cat "$tmp/err")" "nettcp wsdl: $tmp/bad.wsdl: line 3: Opening and ending tag mismatch: types line 2 and definitions; cause: wsdl_bad_xml
advice: $ADV_BAD_XML"
printf '<?xml version="1.0" encoding="UTF-16"?>\n<a>\021\021\021\021</a>' > "$tmp/enc.wsdl"
"$nettcp" wsdl "$tmp/enc.wsdl" >/dev/null 2>"$tmp/err"
check "bad encoding: one error, no parser noise on stderr" "$(cat "$tmp/err")" "nettcp wsdl: $tmp/enc.wsdl: line 1: Document labelled UTF-16 but has UTF-8 content; cause: wsdl_bad_xml
advice: $ADV_BAD_XML"
printf '<?xml version="1.0" encoding="SHIFT_JIS"?>\n<a>\377\376\000\000</a>' > "$tmp/sjis.wsdl"
"$nettcp" wsdl "$tmp/sjis.wsdl" >/dev/null 2>"$tmp/err"
check "bytes the declared encoding cannot convert: one error" "$(cat "$tmp/err")" "nettcp wsdl: $tmp/sjis.wsdl: line 2: Premature end of data in tag a line 2; cause: wsdl_bad_xml
advice: $ADV_BAD_XML"
printf '<!DOCTYPE d [<!ENTITY x "y">]>\n<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"/>\n' > "$tmp/dtd.wsdl"
"$nettcp" wsdl "$tmp/dtd.wsdl" >/dev/null 2>"$tmp/err"
check "DTD refused" "$(cat "$tmp/err")" "nettcp wsdl: $tmp/dtd.wsdl: a DTD (<!DOCTYPE>) is not accepted; cause: wsdl_bad_xml
advice: $ADV_BAD_XML"
sed 's|<wsdl:part name="parameters" element="tns:Reset"/>|<wsdl:part name="value" type="xsd:int"/>|' "$VEC/nettcp-none.wsdl" > "$tmp/rpc.wsdl"
"$nettcp" wsdl "$tmp/rpc.wsdl" >/dev/null 2>"$tmp/err"
check "unsupported: a part with type=" "$(cat "$tmp/err")" "nettcp wsdl: wsdl:part name=\"value\" of message \"ICalculator_Reset_InputMessage\": a part with type= (rpc style) is not supported; only element=; cause: wsdl_unsupported
advice: $ADV_UNSUPPORTED"
"$nettcp" wsdl "$tmp/nothere.wsdl" >/dev/null 2>"$tmp/err"
check "no such file" "$(cat "$tmp/err")" "nettcp wsdl: $tmp/nothere.wsdl: No such file or directory; cause: wsdl_unreachable
advice: $ADV_UNREACHABLE"
"$nettcp" wsdl >/dev/null 2>&1; check "usage: exit 2" "$?" 2
"$nettcp" wsdl --help | grep -q -- '--json'; check "--help" "$?" 0
finish
