#!/usr/bin/env bash
# nettcp call --wsdl --op --args against a Mono WCF service with a data
# contract (tests/interop/mono/MonoShop.cs: nested types, arrays, an enum,
# DateTime, decimal, Guid, nullable, byte[], TimeSpan, bool, double, long)
# whose WSDL Mono publishes over HTTP GET: the body is built from Mono's own
# schema, Mono says exactly what it deserialized (Describe), and Mono's reply
# is read back typed by the schema (Ship). The URL comes from the WSDL.
# Nothing is skipped: a missing tool is a failure.
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
if mcs_out=$(build_exe MonoShop 2>&1); then ok; else bad "mcs MonoShop: $mcs_out"; finish; fi

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
mono "$bin/MonoShop.exe" "net.tcp://127.0.0.1:$tcp_port/shop" "http://127.0.0.1:$http_port/shop" \
    <"$tmp/in" >"$tmp/out" 2>"$tmp/err" &
spid=$!
exec 3>"$tmp/in"
for _ in $(seq 1 600); do
    grep -q '^ready' "$tmp/out" 2>/dev/null && break
    kill -0 $spid 2>/dev/null || break
    pause
done
grep -q '^ready' "$tmp/out" || { bad "MonoShop did not start: $(cat "$tmp/err")"; finish; }
W="http://127.0.0.1:$http_port/shop?wsdl"
call() { "$nettcp" call --wsdl "$W" "$@" 2>"$tmp/cerr"; }

ORDER='{"order":{"Id":"0F8FAD5B-D9CB-469F-A165-70867728950E","When":"2026-12-05T14:30:00.1200000Z","Total":"12.50",
 "Lines":[{"Sku":"a","Qty":2,"Price":1.25},null,{"Sku":null,"Qty":-1,"Price":"0.10"}],"Status":"Shipped",
 "Count":null,"Note":"x<&>y","Blob":"AAEC","Wait":"PT1H30M","Numbers":[1,2,3],"Rush":true,"Weight":0.1,
 "Serial":9007199254740993}}'
got=$(call --op Describe --args "$ORDER")
check "Describe: Mono deserialized every member as sent" \
    '{"DescribeResult":"Id=0f8fad5b-d9cb-469f-a165-70867728950e When=2026-12-05T14:30:00.1200000Z Kind=Utc Total=12.50 Lines=[a x2 @1.25; null; null x-1 @0.10] Status=Shipped Count=null Note=x<&>y Blob=00-01-02 Wait=01:30:00 Numbers=1,2,3 Rush=True Weight=0.1 Serial=9007199254740993"}' \
    "$got"
got=$(call --op Ship --args "$ORDER")
check "Ship: Mono's reply typed by the schema" \
    '{"ShipResult":{"Blob":"AAEC","Count":1,"Id":"0f8fad5b-d9cb-469f-a165-70867728950e","Lines":[{"Price":1.25,"Qty":2,"Sku":"a"},null,{"Price":0.10,"Qty":-1,"Sku":null},{"Price":4.95,"Qty":1,"Sku":"shipping"}],"Note":null,"Numbers":[1,2,3],"Rush":true,"Serial":9007199254740994,"Status":"Shipped","Total":25.00,"Wait":"PT3H","Weight":0.1,"When":"2026-12-05T14:30:00.12Z"}}' \
    "$got"
got=$(call --op Describe --args '{"order":{"When":"2026-01-02T03:04:05","Wait":"-P1DT0.5S","Numbers":[],"Lines":[]}}')
check "Describe: an unspecified DateTime, a negative TimeSpan, empty arrays, members left out" \
    '{"DescribeResult":"Id=00000000-0000-0000-0000-000000000000 When=2026-01-02T03:04:05.0000000 Kind=Unspecified Total=0 Lines=[] Status=New Count=null Note=null Blob=null Wait=-1.00:00:00.5000000 Numbers= Rush=False Weight=0 Serial=0"}' \
    "$got"
got=$(call --op Describe --args '{"order":{"Count":7,"When":"2026-01-02T03:04:05-05:00","Total":"79228162514264337593543950335"}}')
case "$got" in
*"Total=79228162514264337593543950335 "*"Count=7 "*) ok ;;
*) bad "Describe: decimal.MaxValue and a nullable with a value: $got" ;;
esac
got=$(call --op Ship --args '{}')
check "Ship without an order: Mono's null reply, nil as null" '{"ShipResult":null}' "$got"
call --op Ship --args '{"order":{"Status":"Lost"}}' >/dev/null
check "an enum value Mono does not have: exit 1" 1 "$?"
check "an enum value Mono does not have: named" \
    "nettcp call: args Ship.order.Status: \"Lost\" is not one of {http://schemas.datacontract.org/2004/07/Shop}Status's values (New, Shipped); cause: wsdl_bad_args" \
    "$(head -1 "$tmp/cerr")"
call --op Ship --args '{"order":{"Numbers":[1,"x"]}}' >/dev/null
check "an array item of the wrong type: named" \
    "nettcp call: args Ship.order.Numbers[1]: expects a whole number (xs:int), got the string \"x\"; cause: wsdl_bad_args" \
    "$(head -1 "$tmp/cerr")"
exec 3>&-
for _ in $(seq 1 600); do kill -0 $spid 2>/dev/null || break; pause; done
kill -0 $spid 2>/dev/null && bad "MonoShop did not stop on stdin EOF" || ok
spid=
finish
