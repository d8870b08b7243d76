#!/usr/bin/env bash
# nettcp wsdl net.tcp://HOST:PORT/PATH/mex: WS-MetadataExchange Get over
# net.tcp (mexTcpBinding: security None; --security transport: Kerberos)
# against a fixture endpoint answering with the multi-document WSDL fixture
# as MEX sections; the same endpoints and operations as the WSDL read over
# HTTP (tests/e2e/cli_wsdl.sh), imports resolved inside the reply; then serve's
# own MEX responder read back as its ?wsdl reads, and called from (call --wsdl).
set -u
source "$(dirname "$0")/common.bash"
VEC=$(cd "$(dirname "$0")/../vectors/wsdl" && pwd)
fixture="$build/tests/e2e/mex_fixture"

# reply FILE [LEAVE-OUT]: the GetResponse body, one section per document (locations a peer wrote kept)
reply() {
    python3 - "$VEC/multi" "$1" "${2:-}" <<'PY'
import re, sys
d, out, skip = sys.argv[1:4]
parts = ['<wsx:Metadata xmlns:wsx="http://schemas.xmlsoap.org/ws/2004/09/mex">']
for name in ("wsdl", "wsdl0", "xsd0", "xsd1", "xsd2"):
    if name == skip:
        continue
    doc = open(f"{d}/{name}").read().replace("@BASE@", "http://unreachable.invalid/Calculator")
    doc = re.sub(r"^<\?xml[^>]*\?>\s*", "", doc)
    dialect = "http://schemas.xmlsoap.org/wsdl/" if name.startswith("wsdl") else "http://www.w3.org/2001/XMLSchema"
    parts.append(f'<wsx:MetadataSection Dialect="{dialect}">{doc}</wsx:MetadataSection>')
parts.append("</wsx:Metadata>")
open(out, "w").write("".join(parts))
PY
}
# fixture NAME FILE [none|transport]: starts it; sets $url
fixture() {
    local name=$1; shift
    "$fixture" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    pids+=($!)
    wait_listening "$name"
}
WANT='{"endpoints":[{"name":"NetTcpBinding_ICalculator","address":"net.tcp://app01.example.com:808/Calculator","binding":"NetTcpBinding_ICalculator","contract":"ICalculator","transport":"tcp","encoding":"binary","mode":"duplex","security":"Transport","credential":"Windows","protection":"EncryptAndSign","identity":{"kind":"spn","value":"HOST/app01.example.com"}}],"operations":[{"name":"Add","contract":"ICalculator","action":"urn:samples:calculator/ICalculator/Add","reply_action":"urn:samples:calculator/ICalculator/AddResponse","input":{"element":"Add","namespace":"urn:samples:calculator","type":"anonymous","fields":[{"name":"a","type":"xs:int","min":0,"max":1,"nillable":false},{"name":"b","type":"xs:int","min":0,"max":1,"nillable":false}]},"output":{"element":"AddResponse","namespace":"urn:samples:calculator","type":"anonymous","fields":[{"name":"AddResult","type":"xs:int","min":0,"max":1,"nillable":false}]}},{"name":"Describe","contract":"ICalculator","action":"urn:samples/Describe","reply_action":"urn:samples/DescribeReply","input":{"element":"Describe","namespace":"urn:samples:calculator","type":"anonymous","fields":[{"name":"order","type":"{http://schemas.datacontract.org/2004/07/Samples}Order","min":0,"max":1,"nillable":true}]},"output":{"element":"DescribeResponse","namespace":"urn:samples:calculator","type":"anonymous","fields":[{"name":"DescribeResult","type":"xs:string","min":0,"max":1,"nillable":true}]}},{"name":"Reset","contract":"ICalculator","action":"urn:samples:calculator/ICalculator/Reset","reply_action":null,"input":{"element":"Reset","namespace":"urn:samples:calculator","type":"anonymous","fields":[]},"output":null}]}'

reply "$tmp/all.xml"
fixture none "$tmp/all.xml"
got=$("$nettcp" wsdl --json "$url" 2>"$tmp/err"); rc=$?
check "mex (security None): exit 0" "$rc" 0
check "mex (security None): the same document as over HTTP" "$got" "$WANT"
got=$("$nettcp" wsdl "$url" | head -2)
check "mex: text output" "$got" "endpoint NetTcpBinding_ICalculator
  address    net.tcp://app01.example.com:808/Calculator"
NETTCP_PASSWORD=$NTCP_REALM_PASSWORD "$nettcp" wsdl "$url" --security transport --identity spn:host/svc.nettcp.test --user "$NTCP_REALM_USER" \
    >/dev/null 2>"$tmp/err" </dev/null
check "--security transport against a None mex endpoint: exit 1" "$?" 1
contains "--security transport against a None mex endpoint: cause" "$(cat "$tmp/err")" "cause: security_mode_mismatch"

# a section missing: the import is named
reply "$tmp/noxsd2.xml" xsd2
fixture noxsd2 "$tmp/noxsd2.xml"
"$nettcp" wsdl "$url" >/dev/null 2>"$tmp/err"
check "missing section: exit 1" "$?" 1
check "missing section: message" "$(head -1 "$tmp/err")" "nettcp wsdl: xsd:import namespace=\"http://schemas.datacontract.org/2004/07/Samples\" in $url#wsdl2: no schema of that namespace in the metadata exchange reply; cause: wsdl_import_missing"
# not a Metadata body
printf '<Foo xmlns="urn:x"/>' > "$tmp/foo.xml"
fixture foo "$tmp/foo.xml"
"$nettcp" wsdl --json "$url" > "$tmp/out" 2>"$tmp/err"
check "not wsx:Metadata: exit 1" "$?" 1
check "not wsx:Metadata: json" "$(cat "$tmp/out")" "{\"error\":\"$url: the reply's body is {urn:x}Foo, not a wsx:Metadata (http://schemas.xmlsoap.org/ws/2004/09/mex)\",\"cause\":\"mex_bad_reply\"}"
# nothing listening
"$nettcp" wsdl net.tcp://127.0.0.1:1/mex >/dev/null 2>"$tmp/err"
contains "nothing listening: cause" "$(cat "$tmp/err")" "cause: connection_refused"

# a mex endpoint with Windows transport security: --security transport and Kerberos
KRB5_KTNAME=$NTCP_REALM_SERVICE_KEYTAB fixture secured "$tmp/all.xml" transport
"$nettcp" wsdl "$url" >/dev/null 2>"$tmp/err"
check "secured mex without --security transport: exit 1" "$?" 1
contains "secured mex without --security transport: cause" "$(cat "$tmp/err")" "EndpointAccessDenied"
got=$(NETTCP_PASSWORD=$NTCP_REALM_PASSWORD "$nettcp" wsdl --json "$url" --security transport \
    --identity spn:host/svc.nettcp.test --user "$NTCP_REALM_USER" 2>"$tmp/err")
check "secured mex with Kerberos: exit 0" "$?" 0
check "secured mex with Kerberos: document" "$got" "$WANT"

# ---- our import of our export: serve's MEX responder (serve --wsdl-port also publishes ?wsdl) ----
# serve_md NAME ARGS...: serve with metadata; sets $url and $meta (http://…/calc)
serve_md() {
    local name=$1; shift
    serve "$name" --wsdl-port 0 "$@"
    meta=$(sed -n 's/^metadata at \(.*\)?wsdl$/\1/p' "$tmp/$name.out")
    [ -n "$meta" ] || { echo "FAIL: $name: no metadata line: $(cat "$tmp/$name.out")" >&2; failed=$((failed + 1)); }
}
serve_md exp_none --security none
over_http=$("$nettcp" wsdl --json "$meta?wsdl")
over_mex=$("$nettcp" wsdl --json "$url/mex"); rc=$?
check "serve's MEX (security None): exit 0" "$rc" 0
check "serve's MEX (security None): the same document as its ?wsdl" "$over_mex" "$over_http"
contains "serve's MEX (security None): endpoints read" "$over_mex" '"name":"NetTcpBinding_ICalculator"'
serve_md exp_krb --keytab "$NTCP_REALM_SERVICE_KEYTAB"
over_http=$("$nettcp" wsdl --json "$meta?wsdl")
over_mex=$("$nettcp" wsdl --json "$url/mex")
check "serve's MEX next to a Kerberos endpoint: the same document as its ?wsdl" "$over_mex" "$over_http"
contains "serve's MEX next to a Kerberos endpoint: the SPN" "$over_mex" '"identity":{"kind":"spn"'
# call --wsdl from the MEX address: the operation, security and identity from serve's own metadata over net.tcp
got=$(NETTCP_PASSWORD=$NTCP_REALM_PASSWORD "$nettcp" call --wsdl "$url/mex" --op Echo --args '{"text":"hi"}' \
    --user "$NTCP_REALM_USER" --json | python3 -c 'import json,sys; o=json.load(sys.stdin); print(o["ok"], o["identity_from"], o["result"])')
check "call --wsdl net.tcp://…/mex: identity from serve's MEX, Kerberos" "$got" \
    "True wsdl {'EchoResult': 'hi [caller: $NTCP_REALM_USER, Kerberos, EncryptAndSign]'}"

"$nettcp" wsdl "$VEC/nettcp-none.wsdl" --security transport >/dev/null 2>&1
check "client options on a file: usage error" "$?" 2
"$nettcp" wsdl --help | grep -q "net.tcp mex"
check "--help names the mex source" "$?" 0
finish
