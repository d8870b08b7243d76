#!/usr/bin/env bash
# The samples of nettcp serve on the call object (security None): every
# framing mode end to end, SOAP headers both ways with mustUnderstand, the
# IEcho Delay and Headers operations, a fault with its detail in call --json,
# and a Delay that does not hold up another session. Ends with
# "N passed, N failed".
set -u
source "$(dirname "$0")/checks.bash"

"$nettcp" serve "net.tcp://127.0.0.1:0/calc" --security none --mode duplex,streamed,simplex,singleton \
    --trace "$tmp/serve.trace" >"$tmp/serve.out" 2>"$tmp/serve.err" &
pids+=($!)
for _ in $(seq 1 200); do grep -qs '^listening on' "$tmp/serve.out" && break; read -r -t 0.05 <> <(:) || true; done
url=$(sed -n 's/^listening on \([^ ]*\).*/\1/p' "$tmp/serve.out")
[ -n "$url" ] || { echo "FAIL: serve did not start: $(cat "$tmp/serve.err")" >&2; failed=1; finish; exit 1; }
CALC=http://Microsoft.ServiceModel.Samples/ICalculator
ECHO=http://tempuri.org/IEcho
add() { printf '<Add xmlns="http://Microsoft.ServiceModel.Samples"><n1>%s</n1><n2>3</n2></Add>' "$1"; }
call() { "$nettcp" call "$url" --security none "$@"; }

# every mode: duplex and streamed carry the reply; simplex and singleton one way
for m in duplex streamed; do
    got=$(call --mode $m --action $CALC/Add --body "$(add 2)")
    check "mode $m: request and reply" "$got" '<AddResponse xmlns="http://Microsoft.ServiceModel.Samples">
  <AddResult>5</AddResult>
</AddResponse>'
done
for m in simplex singleton; do
    got=$(call --mode $m --action $CALC/Add --body "$(add 40)" --json)
    check "mode $m: sent one way" "$got" "{\"ok\":true,\"one_way\":true,\"mode\":\"$([ $m = singleton ] && echo singleton-sized || echo simplex)\"}"
done
# the service received and dispatched all four (its trace: request events)
for _ in $(seq 1 100); do [ "$(grep -c '"event":"request"' "$tmp/serve.trace")" -ge 4 ] && break; read -r -t 0.05 <> <(:) || true; done
check "the service dispatched a request in every mode" "$(grep -c '"event":"request"' "$tmp/serve.trace")" 4
"$nettcp" call "$url" --mode simplex --action $CALC/Add --body "$(add 1)" >/dev/null 2>"$tmp/err"
check "simplex with transport security: refused" "$?" 1
"$nettcp" call "$url" --mode bogus --action $CALC/Add --body "$(add 1)" 2>"$tmp/err"
check "unknown mode: usage error" "$?" 2
contains "unknown mode: says which" "$(cat "$tmp/err")" "--mode takes duplex, simplex, singleton or streamed"

# headers both ways: Headers lists what it got; the Tenant header is understood
got=$(call --action $ECHO/Headers --body '<Headers xmlns="http://tempuri.org/"/>' \
    --header-mu '<t:Tenant xmlns:t="urn:nettcp:sample">acme</t:Tenant>' --header '<x:Trace xmlns:x="urn:x">t1</x:Trace>')
check "Headers: the non-addressing headers, as {ns}name=text" "$got" '<HeadersResponse xmlns="http://tempuri.org/">
  <HeadersResult xmlns:a="http://schemas.microsoft.com/2003/10/Serialization/Arrays">
    <a:string>{urn:nettcp:sample}Tenant=acme</a:string>
    <a:string>{urn:x}Trace=t1</a:string>
  </HeadersResult>
</HeadersResponse>'
got=$(call --action $ECHO/Headers --body '<Headers xmlns="http://tempuri.org/"/>' --json \
    --header-mu '<x:Other xmlns:x="urn:x">1</x:Other>' | python3 -c '
import json, sys
o = json.load(sys.stdin)
f = o["fault"]
print(o["ok"], o["cause"], f["code"], f["subcodes"], f["detail"])
print(f["reason"])')
check "a mustUnderstand header not understood: WCF's MustUnderstand fault" "$got" "False service_fault MustUnderstand [] None
The header 'Other' from the namespace 'urn:x' was not understood by the recipient of this message, causing the message to not be processed.  This error typically indicates that the sender of this message has enabled a communication protocol that the receiver cannot process.  Please ensure that the configuration of the client's binding is consistent with the service's binding."
got=$(call --action $CALC/Add --body "$(add 2)" --header-mu '<t:Tenant xmlns:t="urn:nettcp:sample">acme</t:Tenant>' 2>&1)
contains "Tenant is understood by the echo endpoint's operations only" "$got" "MustUnderstand"
got=$(call --action $ECHO/Headers --body '<Headers xmlns="http://tempuri.org/"/>' --header '<bad' 2>&1)
contains "a malformed header: the request is not sent" "$got" "xml_syntax_error"

# a fault with its detail (FaultException<string>) in call --json
got=$(call --action $ECHO/Delay --body '<Delay xmlns="http://tempuri.org/"><ms>60001</ms></Delay>' --json | python3 -c '
import json, sys
o = json.load(sys.stdin); f = o["fault"]
print(f["code"], f["reason"], f["detail"], sep="\n")')
check "Delay out of range: a fault with a string detail" "$got" 'Sender
Delay expects ms, a whole number from 0 to 60000
<string xmlns="http://schemas.microsoft.com/2003/10/Serialization/">ms must be from 0 to 60000</string>'

# Delay answers later without holding up another session
got=$(call --action $ECHO/Delay --body '<Delay xmlns="http://tempuri.org/"><ms>0</ms></Delay>')
check "Delay 0" "$got" '<DelayResponse xmlns="http://tempuri.org/">
  <DelayResult>0</DelayResult>
</DelayResponse>'
call --action $ECHO/Delay --body '<Delay xmlns="http://tempuri.org/"><ms>4000</ms></Delay>' >"$tmp/delay.out" 2>&1 &
dpid=$!
for _ in $(seq 1 100); do [ "$(grep -c '"event":"request".*IEcho/Delay' "$tmp/serve.trace")" -ge 3 ] && break; read -r -t 0.05 <> <(:) || true; done
got=$(call --action $ECHO/Echo --body '<Echo xmlns="http://tempuri.org/"><text>meanwhile</text></Echo>')
contains "another session is answered while Delay waits" "$got" "meanwhile [caller: unauthenticated]"
if kill -0 $dpid 2>/dev/null; then still=yes; else still=no; fi
check "the Delay call was still waiting then" "$still" yes
wait $dpid
check "Delay 4000: its reply" "$(cat "$tmp/delay.out")" '<DelayResponse xmlns="http://tempuri.org/">
  <DelayResult>4000</DelayResult>
</DelayResponse>'

# a service that accepts duplex only refuses the one-way modes with UnsupportedMode, seen at the close
"$nettcp" serve "net.tcp://127.0.0.1:0/calc" --security none >"$tmp/duplex.out" 2>"$tmp/duplex.err" &
pids+=($!)
for _ in $(seq 1 200); do grep -qs '^listening on' "$tmp/duplex.out" && break; read -r -t 0.05 <> <(:) || true; done
durl=$(sed -n 's/^listening on \([^ ]*\).*/\1/p' "$tmp/duplex.out")
for m in simplex singleton; do
    got=$("$nettcp" call "$durl" --security none --mode $m --action $CALC/Add --body "$(add 1)" --json)
    check "mode $m refused: exit 1" "$?" 1
    check "mode $m refused: cause" "$(python3 -c 'import json,sys; o=json.load(sys.stdin); print(o["step"], o["cause"])' <<<"$got")" \
        "close mode_refused"
done
got=$("$nettcp" call "$durl" --security none --mode streamed --action $CALC/Add --body "$(add 1)" 2>&1)
contains "streamed refused by a duplex-only service: at the preamble" "$got" "mode_refused"

# a graceful stop waits for a deferred reply before ending its session
call --action $ECHO/Delay --body '<Delay xmlns="http://tempuri.org/"><ms>1500</ms></Delay>' >"$tmp/stop.out" 2>&1 &
dpid=$!
for _ in $(seq 1 100); do [ "$(grep -c '"event":"request".*IEcho/Delay' "$tmp/serve.trace")" -ge 4 ] && break; read -r -t 0.05 <> <(:) || true; done
kill -INT "${pids[0]}"
wait $dpid
check "SIGINT while Delay waits: the reply still comes" "$(cat "$tmp/stop.out")" '<DelayResponse xmlns="http://tempuri.org/">
  <DelayResult>1500</DelayResult>
</DelayResponse>'

for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null; wait "$p"; check "serve exits 0 on SIGINT" "$?" 0; done
pids=()
finish
