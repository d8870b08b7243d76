#!/usr/bin/env bash
# nettcp call --wsdl --op --args: every sample operation of nettcp serve
# called from a WSDL describing the samples (tests/vectors/wsdl/samples, as
# WCF publishes a service with two contracts), with Kerberos (security and
# identity from the WSDL) and with security None (an option overriding it);
# the reply printed as JSON typed by the schema; where the identity came
# from; the endpoint taken from the WSDL when no URL is given; and the named
# errors for bad --args, an unknown operation and endpoint. Ends with
# "N passed, N failed".
set -u
source "$(dirname "$0")/common.bash"
W=$(cd "$(dirname "$0")/../vectors/wsdl/samples" && pwd)/samples.wsdl
export NETTCP_PASSWORD=$NTCP_REALM_PASSWORD

serve krb --keytab "$NTCP_REALM_SERVICE_KEYTAB"
kurl=$url
serve none --security none
nurl=$url

# Kerberos: security Transport/Windows/EncryptAndSign and the SPN from the WSDL
k() { "$nettcp" call "$kurl" --wsdl "$W" --user "$NTCP_REALM_USER" "$@"; }
check "kerberos Add" "$(k --op Add --args '{"n1":2,"n2":3.5}')" '{"AddResult":5.5}'
check "kerberos Subtract" "$(k --op Subtract --args '{"n1":2,"n2":3}')" '{"SubtractResult":-1}'
check "kerberos Multiply" "$(k --op Multiply --args '{"n1":-1.5,"n2":4}')" '{"MultiplyResult":-6}'
check "kerberos Divide: .NET's round-trip double as a JSON number" "$(k --op Divide --args '{"n1":1,"n2":3}')" \
    '{"DivideResult":0.3333333333333333}'
check "kerberos Divide by zero: INF as a string" "$(k --op Divide --args '{"n1":1,"n2":0}')" '{"DivideResult":"INF"}'
check "kerberos Echo names the caller" "$(k --op Echo --args '{"text":"a<b>&\"c\""}')" \
    "{\"EchoResult\":\"a<b>&\\\"c\\\" [caller: $NTCP_REALM_USER, Kerberos, EncryptAndSign]\"}"
check "kerberos Delay: an int" "$(k --op Delay --args '{"ms":1}')" '{"DelayResult":1}'
check "kerberos Headers: ArrayOfstring as an array" \
    "$(k --op Headers --args '{}' --header-mu '<t:Tenant xmlns:t="urn:nettcp:sample">acme</t:Tenant>')" \
    '{"HeadersResult":["{urn:nettcp:sample}Tenant=acme"]}'
check "kerberos Headers: no --args is no parameters" "$(k --op IEcho.Headers)" '{"HeadersResult":[]}'
got=$(k --op Add --args '{"n1":1,"n2":1}' -v 2>&1 >/dev/null)
contains "-v: the endpoint" "$got" "wsdl: operation ICalculator.Add, endpoint NetTcpBinding_ICalculator (net.tcp://svc.nettcp.test:808/calc)"
contains "-v: identity from the wsdl" "$got" "wsdl: security from the wsdl; identity from the wsdl: spn:host/svc.nettcp.test"
contains "-v: Kerberos with the WSDL's SPN" "$got" "security: Kerberos, EncryptAndSign, mutual authentication, service host/svc.nettcp.test@"
got=$(k --op Add --args '{"n1":1,"n2":1}' --identity spn:host/svc.nettcp.test -v 2>&1 >/dev/null)
contains "-v: identity from the option" "$got" "identity from the option"
got=$(k --op Add --args '{"n1":1,"n2":1}' --json | python3 -c 'import json,sys; o=json.load(sys.stdin); print(o["ok"], o["result"], o["identity_from"], o["security"]["package"])')
check "--json: result and identity_from" "$got" "True {'AddResult': 2} wsdl Kerberos"
# the WSDL's SPN is what the service is checked against: a WSDL naming another fails as an explicit one would
mkdir -p "$tmp/wrongspn"; cp "$(dirname "$W")"/* "$tmp/wrongspn/"
sed -i 's#<Spn>host/svc.nettcp.test</Spn>#<Spn>host/nothere.nettcp.test</Spn>#' "$tmp/wrongspn/samples.wsdl"
"$nettcp" call "$kurl" --wsdl "$tmp/wrongspn/samples.wsdl" --op Add --args '{"n1":1,"n2":1}' --user "$NTCP_REALM_USER" \
    --package kerberos >/dev/null 2>"$tmp/err"
check "a WSDL naming an unknown SPN: exit 1" "$?" 1
contains "a WSDL naming an unknown SPN: spn_unknown" "$(cat "$tmp/err")" "spn_unknown"

# doctor --wsdl: the same settings, and the report says where the identity came from
got=$("$nettcp" doctor "$kurl" --wsdl "$W" --user "$NTCP_REALM_USER" --no-ldap --op Divide --args '{"n1":1,"n2":4}')
check "doctor --wsdl: exit 0" "$?" 0
contains "doctor --wsdl: identity from the wsdl" "$got" "wsdl: security from the wsdl; identity from the wsdl: spn:host/svc.nettcp.test"
contains "doctor --wsdl: the target is the WSDL's SPN" "$got" "host/svc.nettcp.test, the SPN given as the identity"
contains "doctor --wsdl --op: the test request from the schema" "$got" "request      ok"
got=$("$nettcp" doctor "$kurl" --wsdl "$W" --user "$NTCP_REALM_USER" --no-ldap --identity spn:host/svc.nettcp.test --json |
    python3 -c 'import json,sys; o=json.load(sys.stdin); print(o["ok"], o["identity_from"])')
check "doctor --wsdl --json: identity_from option" "$got" "True option"

# security None: the option overrides the WSDL's Transport
n() { "$nettcp" call "$nurl" --wsdl "$W" --security none "$@"; }
check "none Add" "$(n --op Add --args '{"n1":"2","n2":40}')" '{"AddResult":42}'
check "none Echo: null text is i:nil" "$(n --op Echo --args '{"text":null}')" '{"EchoResult":" [caller: unauthenticated]"}'
check "none Delay" "$(n --op Delay --args '{"ms":0}')" '{"DelayResult":0}'
printf '{"n1": 6,\n "n2": 7}\n' > "$tmp/args.json"
check "--args @FILE" "$(n --op Multiply --args @"$tmp/args.json")" '{"MultiplyResult":42}'
got=$(n --op Add --args '{"n1":1,"n2":1}' -v 2>&1 >/dev/null)
contains "-v: security from the option" "$got" "wsdl: security from the option; identity from the wsdl"
n --op Delay --args '{"ms":70000}' >/dev/null 2>"$tmp/err"
check "a fault: exit 1" "$?" 1
contains "a fault: named" "$(cat "$tmp/err")" "Delay expects ms, a whole number from 0 to 60000; cause: service_fault"

# no URL: the WSDL's endpoint (here rewritten to the service's address)
mkdir -p "$tmp/here"; cp "$(dirname "$W")"/* "$tmp/here/"
sed -i "s#net.tcp://svc.nettcp.test:808/calc#$nurl#g" "$tmp/here/samples.wsdl"
check "no URL: the operation's contract's endpoint" \
    "$("$nettcp" call --wsdl "$tmp/here/samples.wsdl" --op Multiply --args '{"n1":6,"n2":7}' --security none)" \
    '{"MultiplyResult":42}'
check "--endpoint-name" \
    "$("$nettcp" call --wsdl "$tmp/here/samples.wsdl" --endpoint-name NetTcpBinding_IEcho --op Delay --args '{"ms":2}' --security none)" \
    '{"DelayResult":2}'
# without an identity in the WSDL: the default
sed -i '/<Identity /,/<\/Identity>/d' "$tmp/here/samples.wsdl"
got=$("$nettcp" call --wsdl "$tmp/here/samples.wsdl" --op Add --args '{"n1":1,"n2":1}' --security none -v 2>&1 >/dev/null)
contains "-v: identity from the default" "$got" "identity from the default (host/<host of the URL>)"

# errors, each named
"$nettcp" call --wsdl "$W" --endpoint-name Nope --op Add --args '{}' 2>"$tmp/err"
check "unknown endpoint name: exit 1" "$?" 1
check "unknown endpoint name: named" "$(head -1 "$tmp/err")" \
    "nettcp call: --endpoint-name Nope: no wsdl:port of that name; cause: wsdl_no_endpoint"
sed -e 's#net.tcp://svc.nettcp.test:808/calc#http://svc.nettcp.test/calc#g' -e 's#http://schemas.microsoft.com/soap/tcp#http://schemas.xmlsoap.org/soap/http#' "$W" > "$tmp/here/http.wsdl"
"$nettcp" call --wsdl "$tmp/here/http.wsdl" --op Add --args '{}' 2>"$tmp/err"
check "no URL, no net.tcp endpoint: named" "$(head -1 "$tmp/err")" \
    "nettcp call: no URL given, and the WSDL has no net.tcp endpoint; cause: wsdl_no_endpoint"
"$nettcp" call "$nurl" --wsdl "$W" --op Nope --args '{}' 2>"$tmp/err"
check "unknown operation: exit 1" "$?" 1
check "unknown operation: named" "$(head -1 "$tmp/err")" \
    "nettcp call: --op Nope: no such operation in the WSDL, or several contracts have one (then give Contract.Name); cause: wsdl_no_operation"
"$nettcp" call "$nurl" --wsdl "$W" --op Add --args '{"n1":"two"}' 2>"$tmp/err"
check "wrong type: exit 1" "$?" 1
check "wrong type: named" "$(head -1 "$tmp/err")" \
    'nettcp call: args Add.n1: expects a number (xs:double; or "INF", "-INF", "NaN"), got the string "two"; cause: wsdl_bad_args'
got=$("$nettcp" call "$nurl" --wsdl "$W" --op Add --args '{"n1":1,"x":2}' --json 2>/dev/null | python3 -c 'import json,sys; o=json.load(sys.stdin); print(o["ok"], o["step"], o["cause"], o["error"])')
check "--json: a bad argument as JSON" "$got" "False options wsdl_bad_args args Add.x: no such member in Add (its members: n1, n2)"
"$nettcp" call "$nurl" --wsdl "$W" --op Add --args '{"n1":1,"x":2}' 2>"$tmp/err"
check "unknown member: named" "$(head -1 "$tmp/err")" \
    "nettcp call: args Add.x: no such member in Add (its members: n1, n2); cause: wsdl_bad_args"
"$nettcp" call "$nurl" --wsdl "$W" --op Delay --args '{"ms":2147483648}' 2>"$tmp/err"
check "out of range: named" "$(head -1 "$tmp/err")" \
    "nettcp call: args Delay.ms: 2147483648 is out of range for xs:int; cause: wsdl_bad_args"
"$nettcp" call "$nurl" --wsdl "$W" --op Add --args '{"n1":' 2>"$tmp/err"
contains "not JSON: named" "$(head -1 "$tmp/err")" "nettcp call: --args: not JSON: "
contains "not JSON: cause" "$(head -1 "$tmp/err")" "; cause: wsdl_bad_args"
"$nettcp" call "$nurl" --wsdl "$W" --op Delay --args '{"ms":123456789012345678901234567890}' 2>"$tmp/err"
contains "a number too big for JSON's reader: says to give a string" "$(head -1 "$tmp/err")" "give a number of many digits (a decimal) as a string"
"$nettcp" call "$nurl" --wsdl "$W" --op Add --action urn:x --body '<x/>' 2>"$tmp/err"
check "--op with --body: usage error" "$?" 2
"$nettcp" call "$nurl" --op Add --args '{}' 2>"$tmp/err"
check "--op without --wsdl: usage error" "$?" 2
finish
