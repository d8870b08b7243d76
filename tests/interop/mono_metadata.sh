#!/usr/bin/env bash
# nettcp wsdl against metadata Mono's WCF publishes over HTTP GET
# (ServiceMetadataBehavior.HttpGetEnabled) for a NetTcpBinding
# (SecurityMode.None) ICalculator service: ?wsdl, its ?wsdl=wsdl0 import and
# the ?xsd=xsdN schemas, as served by Mono itself. Nothing is skipped: a
# missing tool is a failure.
set -u
BUILD=${NTCP_BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
nettcp="$BUILD/nettcp"
source "$(dirname "$0")/checks.bash"
for tool in mono mcs python3; do
    command -v $tool >/dev/null || { bad "$tool is not installed (run scripts/bootstrap)"; finish; }
done
[ -x "$nettcp" ] || { bad "$nettcp is not built (run make)"; finish; }
. "$(dirname "$0")/mono/build.sh"

tmp=$(mktemp -d)
spid=
cleanup() {
    [ -z "$spid" ] || kill -KILL "$spid" 2>/dev/null
    exec 3>&- 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
tcp_port=$(free_port) http_port=$(free_port)
mkfifo "$tmp/in"
mono "$bin/MonoMetadata.exe" "net.tcp://127.0.0.1:$tcp_port/calc" "http://127.0.0.1:$http_port/calc" \
    <"$tmp/in" >"$tmp/out" 2>"$tmp/err" &
spid=$!
exec 3>"$tmp/in"
for _ in $(seq 1 600); do
    grep -q '^ready' "$tmp/out" 2>/dev/null && break
    kill -0 $spid 2>/dev/null || break
    pause
done
grep -q '^ready' "$tmp/out" || { bad "MonoMetadata did not start: $(cat "$tmp/err")"; finish; }

"$nettcp" wsdl --json "http://127.0.0.1:$http_port/calc?wsdl" >"$tmp/json" 2>"$tmp/werr"
check "nettcp wsdl reads Mono's ?wsdl" "0" "$?"
check "no error" "" "$(cat "$tmp/werr")"
got=$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["endpoints"], separators=(",",":")))' "$tmp/json")
check "the endpoint" "[{\"name\":\"NetTcpBinding_ICalculator\",\"address\":\"net.tcp://127.0.0.1:$tcp_port/calc\",\"binding\":\"NetTcpBinding_ICalculator\",\"contract\":\"ICalculator\",\"transport\":\"tcp\",\"encoding\":\"binary\",\"mode\":\"duplex\",\"security\":\"None\",\"credential\":\"None\",\"protection\":\"None\",\"identity\":null}]" "$got"
got=$(python3 -c '
import json,sys
for o in json.load(open(sys.argv[1]))["operations"]:
    i, r = o["input"], o["output"]
    print(o["name"], o["action"], o["reply_action"], i["element"], ",".join(f["name"] + ":" + f["type"] for f in i["fields"]),
          r["element"], ",".join(f["name"] + ":" + f["type"] for f in r["fields"]))' "$tmp/json")
check "the operations" "Add http://Microsoft.ServiceModel.Samples/ICalculator/Add http://Microsoft.ServiceModel.Samples/ICalculator/AddResponse Add n1:xs:double,n2:xs:double AddResponse AddResult:xs:double
Subtract http://Microsoft.ServiceModel.Samples/ICalculator/Subtract http://Microsoft.ServiceModel.Samples/ICalculator/SubtractResponse Subtract n1:xs:double,n2:xs:double SubtractResponse SubtractResult:xs:double
Multiply http://Microsoft.ServiceModel.Samples/ICalculator/Multiply http://Microsoft.ServiceModel.Samples/ICalculator/MultiplyResponse Multiply n1:xs:double,n2:xs:double MultiplyResponse MultiplyResult:xs:double
Divide http://Microsoft.ServiceModel.Samples/ICalculator/Divide http://Microsoft.ServiceModel.Samples/ICalculator/DivideResponse Divide n1:xs:double,n2:xs:double DivideResponse DivideResult:xs:double" "$got"
exec 3>&-
for _ in $(seq 1 600); do kill -0 $spid 2>/dev/null || break; pause; done
kill -0 $spid 2>/dev/null && bad "MonoMetadata did not stop on stdin EOF" || ok
spid=
finish
