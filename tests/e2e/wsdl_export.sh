#!/usr/bin/env bash
# nettcp serve --wsdl-port: our import of our export. ?wsdl (following its
# wsdl:import and xsd:imports) and ?singleWsdl read back by `nettcp wsdl
# --json` give every endpoint's address, binding, security, credential,
# protection and identity and every operation's actions and messages exactly,
# for security None, Windows transport with a Kerberos keytab (the keytab's
# SPN, a configured UPN, protection Sign) and TLS certificate transport (the
# certificate's DNS name); the identity read back authenticates a call. MEX
# over net.tcp at <path>/mex: WS-Transfer Get answered with GetResponse,
# checked on the wire bytes through `nettcp decode`. Bad HTTP requests get
# 400/404/405/505 and the service keeps serving. Ends with "N passed, N failed".
set -u
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/tls_certs.bash"

CALC=http://Microsoft.ServiceModel.Samples/ICalculator
ECHO=http://tempuri.org/IEcho
CNS=http://Microsoft.ServiceModel.Samples
ENS=http://tempuri.org/
ARR='{http://schemas.microsoft.com/2003/10/Serialization/Arrays}ArrayOfstring'

# wsdl --json in one line per endpoint and per operation (sorted by name)
summary() {
    "$nettcp" wsdl --json "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
if "error" in d:
    print("error", d["error"], d.get("cause")); sys.exit()
for e in d["endpoints"]:
    i = e["identity"]
    print("endpoint", e["name"], e["address"], e["binding"], e["security"], e["credential"], e["protection"],
          "%s:%s" % (i["kind"], i["value"]) if i else "none")
def msg(m):
    if not m: return "-"
    return "{%s}%s(%s)" % (m["namespace"], m["element"], ",".join("%s:%s" % (f["name"], f["type"]) for f in m["fields"]))
for o in sorted(d["operations"], key=lambda o: o["name"]):
    print("op", o["name"], o["action"], o["reply_action"], msg(o["input"]), msg(o["output"]))'
}

# what every sample service describes, at net.tcp address $1 with security $2 and identity $3
expected() {
    printf 'endpoint NetTcpBinding_ICalculator %s NetTcpBinding_ICalculator %s %s\n' "$1" "$2" "$3"
    printf 'endpoint NetTcpBinding_IEcho %s NetTcpBinding_IEcho %s %s\n' "$1" "$2" "$3"
    cat <<EOF
op Add $CALC/Add $CALC/AddResponse {$CNS}Add(n1:xs:double,n2:xs:double) {$CNS}AddResponse(AddResult:xs:double)
op Delay $ECHO/Delay $ECHO/DelayResponse {$ENS}Delay(ms:xs:int) {$ENS}DelayResponse(DelayResult:xs:int)
op Divide $CALC/Divide $CALC/DivideResponse {$CNS}Divide(n1:xs:double,n2:xs:double) {$CNS}DivideResponse(DivideResult:xs:double)
op Echo $ECHO/Echo $ECHO/EchoResponse {$ENS}Echo(text:xs:string) {$ENS}EchoResponse(EchoResult:xs:string)
op Headers $ECHO/Headers $ECHO/HeadersResponse {$ENS}Headers() {$ENS}HeadersResponse(HeadersResult:$ARR)
op Multiply $CALC/Multiply $CALC/MultiplyResponse {$CNS}Multiply(n1:xs:double,n2:xs:double) {$CNS}MultiplyResponse(MultiplyResult:xs:double)
op Subtract $CALC/Subtract $CALC/SubtractResponse {$CNS}Subtract(n1:xs:double,n2:xs:double) {$CNS}SubtractResponse(SubtractResult:xs:double)
EOF
}

# serve NAME ARGS... with --wsdl-port 0: sets $url, $port and $meta (http://…/calc)
serve_md() {
    local name=$1; shift
    serve "$name" --wsdl-port 0 "$@"
    meta=$(sed -n 's/^metadata at \(.*\)?wsdl$/\1/p' "$tmp/$name.out")
    [ -n "$meta" ] || { echo "FAIL: $name: no metadata line: $(cat "$tmp/$name.out")" >&2; failed=$((failed + 1)); }
}

both() { # name, security/credential/protection, identity
    check "$1: ?wsdl read back" "$(summary "$meta?wsdl")" "$(expected "$url" "$2" "$3")"
    check "$1: ?singleWsdl read back" "$(summary "$meta?singleWsdl")" "$(expected "$url" "$2" "$3")"
}

# ---- security None --------------------------------------------------------------
serve_md none --security none
both "none" "None None None" none
got=$(curl -s -o /dev/null -w '%{http_code} %{content_type}' "$meta?xsd=xsd3")
check "?xsd=xsd3: the Arrays schema is served" "$got" "200 text/xml; charset=UTF-8"
contains "?xsd=xsd3: ArrayOfstring" "$(curl -s "$meta?xsd=xsd3")" '<xs:complexType name="ArrayOfstring">'
contains "?wsdl=wsdl0: the ICalculator portType in its own namespace" "$(curl -s "$meta?wsdl=wsdl0")" \
    'targetNamespace="http://Microsoft.ServiceModel.Samples"'
check "?wsdl=wsdl1: not there" "$(curl -s -o /dev/null -w '%{http_code}' "$meta?wsdl=wsdl1")" 404
# the operations the WSDL names answer as it says
got=$("$nettcp" call "$url" --security none --action "$CALC/Add" \
    --body '<Add xmlns="http://Microsoft.ServiceModel.Samples"><n1>2</n1><n2>3</n2></Add>')
contains "none: Add answers" "$got" "<AddResult>5</AddResult>"

# every sample operation called from our WSDL (call --wsdl: the body built from the schema)
for doc in wsdl singleWsdl; do
    got=$(for c in 'Add {"n1":2,"n2":3.5}' 'Subtract {"n1":2,"n2":3}' 'Multiply {"n1":2,"n2":3}' 'Divide {"n1":1,"n2":4}' \
        'Echo {"text":"hi"}' 'Delay {"ms":5}' 'Headers {}'; do
        "$nettcp" call --wsdl "$meta?$doc" --op "${c%% *}" --args "${c#* }" 2>&1; done)
    check "none: every sample operation called from ?$doc" "$got" '{"AddResult":5.5}
{"SubtractResult":-1}
{"MultiplyResult":6}
{"DivideResult":0.25}
{"EchoResult":"hi [caller: unauthenticated]"}
{"DelayResult":5}
{"HeadersResult":[]}'
done

# ---- MEX over net.tcp ------------------------------------------------------------
mexurl="$url/mex"
got=$("$nettcp" call "$mexurl" --security none --action http://schemas.xmlsoap.org/ws/2004/09/transfer/Get --body '' --json |
    python3 -c '
import json, sys, re
o = json.load(sys.stdin)
print(o["ok"], o["action"])
print(" ".join(re.findall(r"<wsx:MetadataSection Dialect=\"([^\"]*)\" Identifier=\"([^\"]*)\"", o["body"]) and
      ["%s|%s" % m for m in re.findall(r"<wsx:MetadataSection Dialect=\"([^\"]*)\" Identifier=\"([^\"]*)\"", o["body"])]))')
check "mex: GetResponse with a section per WSDL and per schema" "$got" "True http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse
http://schemas.xmlsoap.org/wsdl/|http://tempuri.org/ http://schemas.xmlsoap.org/wsdl/|http://Microsoft.ServiceModel.Samples http://www.w3.org/2001/XMLSchema|http://Microsoft.ServiceModel.Samples http://www.w3.org/2001/XMLSchema|http://tempuri.org/ http://www.w3.org/2001/XMLSchema|http://schemas.microsoft.com/2003/10/Serialization/ http://www.w3.org/2001/XMLSchema|http://schemas.microsoft.com/2003/10/Serialization/Arrays"
# the same exchange on the wire, through a recording relay, decoded by nettcp decode
/usr/bin/python3 - "$port" "$tmp/mex.hex" "$tmp/relay.port" <<'PY' &
import socket, sys, threading
up, out, portfile = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ls = socket.socket(); ls.bind(("127.0.0.1", 0)); ls.listen(1)
open(portfile + ".tmp", "w").write(str(ls.getsockname()[1])); __import__("os").rename(portfile + ".tmp", portfile)
c, _ = ls.accept(); s = socket.create_connection(("127.0.0.1", up))
lines, lock = [], threading.Lock()
def pump(a, b, tag):
    while True:
        d = a.recv(65536)
        if not d:
            try: b.shutdown(socket.SHUT_WR)
            except OSError: pass
            return
        with lock: lines.append("%s %s" % (tag, d.hex()))
        b.sendall(d)
t = [threading.Thread(target=pump, args=(c, s, "C->S")), threading.Thread(target=pump, args=(s, c, "S->C"))]
for x in t: x.start()
for x in t: x.join()
open(out, "w").write("\n".join(lines) + "\n")
PY
pids+=($!)
relay_pid=$!
for _ in $(seq 1 100); do [ -s "$tmp/relay.port" ] && break; read -r -t 0.05 <> <(:) || true; done
rport=$(cat "$tmp/relay.port")
"$nettcp" call "net.tcp://127.0.0.1:$rport/calc/mex" --security none \
    --action http://schemas.xmlsoap.org/ws/2004/09/transfer/Get --body '' >/dev/null
for _ in $(seq 1 100); do [ -s "$tmp/mex.hex" ] && break; read -r -t 0.05 <> <(:) || true; done
wait "$relay_pid" 2>/dev/null
dec=$("$nettcp" decode "$tmp/mex.hex")
contains "mex wire: the Via names the mex endpoint" "$dec" "net.tcp://127.0.0.1:$rport/calc/mex"
contains "mex wire: the request's action" "$dec" '<a:Action s:mustUnderstand="1">http://schemas.xmlsoap.org/ws/2004/09/transfer/Get</a:Action>'
contains "mex wire: the reply's action" "$dec" '<a:Action s:mustUnderstand="1">http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse</a:Action>'
contains "mex wire: binary session encoding, no upgrade" "$dec" "application/soap+msbinsession1"
lacks "mex wire: no security upgrade" "$dec" "UpgradeRequest"
contains "mex wire: the WSDL in the body" "$dec" '<wsx:MetadataSection Dialect="http://schemas.xmlsoap.org/wsdl/" Identifier="http://tempuri.org/">'

# ---- bad HTTP requests: answered, and the service keeps serving ------------------
hport=${meta#http://127.0.0.1:}; hport=${hport%%/*}
raw() { # the status line answered to raw request bytes
    /usr/bin/python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
try:
    s.sendall(sys.argv[2].encode("latin-1").decode("unicode_escape").encode("latin-1"))
except OSError:
    pass
data = b""
try:
    while True:
        d = s.recv(65536)
        if not d: break
        data += d
except OSError:
    pass
print(data.split(b"\r\n", 1)[0].decode("latin-1"))' "$hport" "$1"
}
check "unknown path: 404" "$(raw 'GET /other?wsdl HTTP/1.1\r\nHost: x\r\n\r\n')" "HTTP/1.1 404 Not Found"
check "unknown query: 404" "$(raw 'GET /calc?disco HTTP/1.1\r\nHost: x\r\n\r\n')" "HTTP/1.1 404 Not Found"
check "no query: 404" "$(raw 'GET /calc HTTP/1.1\r\nHost: x\r\n\r\n')" "HTTP/1.1 404 Not Found"
check "malformed request line: 400" "$(raw 'GET/calc?wsdl\r\n\r\n')" "HTTP/1.1 400 Bad Request"
check "HTTP/1.1 without Host: 400" "$(raw 'GET /calc?wsdl HTTP/1.1\r\n\r\n')" "HTTP/1.1 400 Bad Request"
check "a header without a colon: 400" "$(raw 'GET /calc?wsdl HTTP/1.1\r\nHost: x\r\nbogus\r\n\r\n')" "HTTP/1.1 400 Bad Request"
check "a bad percent escape: 400" "$(raw 'GET /ca%zzlc?wsdl HTTP/1.1\r\nHost: x\r\n\r\n')" "HTTP/1.1 400 Bad Request"
check "a body: 400" "$(raw 'GET /calc?wsdl HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello')" "HTTP/1.1 400 Bad Request"
check "oversized head: 400" "$(raw "GET /calc?wsdl HTTP/1.1\\r\\nHost: x\\r\\nX: $(head -c 9000 /dev/zero | tr '\0' a)\\r\\n\\r\\n")" "HTTP/1.1 400 Bad Request"
check "POST: 405" "$(raw 'POST /calc?wsdl HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n')" "HTTP/1.1 405 Method Not Allowed"
check "HTTP/2.0: 505" "$(raw 'GET /calc?wsdl HTTP/2.0\r\nHost: x\r\n\r\n')" "HTTP/1.1 505 HTTP Version Not Supported"
check "HTTP/1.0 without Host: served" "$(raw 'GET /calc?wsdl HTTP/1.0\r\n\r\n')" "HTTP/1.1 200 OK"
got=$(/usr/bin/python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"GET /calc?wsdl HTTP/1.0\r\n\r\n")
data = b""
while True:
    d = s.recv(65536)
    if not d: break
    data += d
print(data.decode().count("location=\"http://127.0.0.1:%s/calc?wsdl=wsdl0\"" % sys.argv[1]))' "$hport")
check "HTTP/1.0 without Host: the imports name the address it reached" "$got" 1
check "HEAD: 200" "$(raw 'HEAD /CALC?WSDL HTTP/1.1\r\nHost: x\r\n\r\n')" "HTTP/1.1 200 OK"
check "after them, ?wsdl still served" "$(summary "$meta?wsdl")" "$(expected "$url" "None None None" none)"
got=$("$nettcp" call "$url" --security none --action "$CALC/Add" \
    --body '<Add xmlns="http://Microsoft.ServiceModel.Samples"><n1>2</n1><n2>3</n2></Add>')
contains "after them, the service still answers" "$got" "<AddResult>5</AddResult>"

# ---- Windows transport, Kerberos keytab ------------------------------------------
spn=$(klist -k "$NTCP_REALM_SERVICE_KEYTAB" | awk 'NR > 3 { print $2; exit }')
spn=${spn%@*}
serve_md krb --keytab "$NTCP_REALM_SERVICE_KEYTAB"
both "kerberos" "Transport Windows EncryptAndSign" "spn:$spn"
# the identity read back authenticates the call (Kerberos, mutual)
id=$("$nettcp" wsdl --json "$meta?wsdl" | python3 -c 'import json,sys; i=json.load(sys.stdin)["endpoints"][0]["identity"]; print("%s:%s" % (i["kind"], i["value"]))')
got=$(NETTCP_PASSWORD=$NTCP_REALM_PASSWORD "$nettcp" call "$url" --identity "$id" --user "$NTCP_REALM_USER" \
    --action "$ECHO/Echo" --body '<Echo xmlns="http://tempuri.org/"><text>hi</text></Echo>')
contains "kerberos: a call with the published identity" "$got" "hi [caller: $NTCP_REALM_USER, Kerberos, EncryptAndSign]"
got=$("$nettcp" call "$url/mex" --security none --action http://schemas.xmlsoap.org/ws/2004/09/transfer/Get --body '' --json |
    python3 -c 'import json,sys; o=json.load(sys.stdin); print(o["ok"], o["action"], "<Spn>'"$spn"'</Spn>" in o["body"])')
check "kerberos: MEX without security next to the secured endpoint, with the SPN" "$got" \
    "True http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse True"
"$nettcp" call "$url" --security none --action "$ECHO/Echo" --body '<Echo xmlns="http://tempuri.org/"/>' >/dev/null 2>&1
check "kerberos: the service endpoint still refuses no security" "$?" 1
got=$(NETTCP_PASSWORD=$NTCP_REALM_PASSWORD "$nettcp" call --wsdl "$meta?wsdl" --op Echo --args '{"text":"hi"}' \
    --user "$NTCP_REALM_USER" --json | python3 -c 'import json,sys; o=json.load(sys.stdin); print(o["ok"], o["identity_from"], o["result"])')
check "kerberos: call --wsdl takes the identity from our WSDL" "$got" \
    "True wsdl {'EchoResult': 'hi [caller: $NTCP_REALM_USER, Kerberos, EncryptAndSign]'}"
serve_md upn --keytab "$NTCP_REALM_SERVICE_KEYTAB" --protection sign --identity "upn:svc@$NTCP_REALM"
both "configured upn, sign" "Transport Windows Sign" "upn:svc@$NTCP_REALM"

# ---- TLS certificate transport ---------------------------------------------------
make_pki "http://127.0.0.1:9/ca.crl"
serve_md cert --credential certificate --cert "$tmp/pki/server.pem" --key "$tmp/pki/server.key" \
    --client-ca "$tmp/pki/ca.pem"
both "certificate" "Transport Certificate EncryptAndSign" "dns:localhost"
serve_md tlsnone --credential none --cert "$tmp/pki/server.pem" --key "$tmp/pki/server.key"
both "tls without a client certificate" "Transport None EncryptAndSign" "dns:localhost"
serve_md tlsid --credential none --cert "$tmp/pki/server.pem" --key "$tmp/pki/server.key" --identity dns:svc.example.test
both "tls with a configured identity" "Transport None EncryptAndSign" "dns:svc.example.test"
got=$("$nettcp" call "$url" --credential none --ca "$tmp/pki/ca.pem" --identity dns:localhost \
    --action "$CALC/Add" --body '<Add xmlns="http://Microsoft.ServiceModel.Samples"><n1>2</n1><n2>3</n2></Add>')
contains "tls: a call with the published identity" "$got" "<AddResult>5</AddResult>"

# a --wsdl-port that is not a port
"$nettcp" serve "net.tcp://127.0.0.1:0/calc" --security none --wsdl-port x >/dev/null 2>"$tmp/err"
check "--wsdl-port x: usage error" "$?" 2
contains "--wsdl-port x: says why" "$(cat "$tmp/err")" "--wsdl-port takes a port number"
finish
