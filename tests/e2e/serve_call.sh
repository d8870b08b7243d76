#!/usr/bin/env bash
# nettcp serve + nettcp call over a throwaway realm: the sample contracts with
# Kerberos and NTLM at each protection level, the caller's identity, and the
# failures a user meets, each with its message. Ends with "N passed, N failed".
set -u
source "$(dirname "$0")/common.bash"

ADD='<Add xmlns="http://Microsoft.ServiceModel.Samples"><n1>2</n1><n2>3</n2></Add>'
DIV='<Divide xmlns="http://Microsoft.ServiceModel.Samples"><n1>1</n1><n2>3</n2></Divide>'
ECHO='<Echo xmlns="http://tempuri.org/"><text>hello</text></Echo>'
CALC=http://Microsoft.ServiceModel.Samples/ICalculator
export NETTCP_PASSWORD=$NTCP_REALM_PASSWORD
krb=(--identity spn:host/svc.nettcp.test --user "$NTCP_REALM_USER")

serve default --keytab "$NTCP_REALM_SERVICE_KEYTAB" --trace "$tmp/serve.trace" -v
got=$("$nettcp" call "$url" --action $CALC/Add --body "$ADD" "${krb[@]}" --json)
check "kerberos add" "$got" "$(printf '{"ok":true,"action":"%s","relates_to":%s,"headers":[],"body":"<AddResponse xmlns=\\"http://Microsoft.ServiceModel.Samples\\">\\n  <AddResult>5</AddResult>\\n</AddResponse>","security":{"package":"Kerberos","protection":"EncryptAndSign","mutual":true}}' \
    "$CALC/AddResponse" "$(printf '%s' "$got" | sed -n 's/.*"relates_to":\("[^"]*"\).*/\1/p')")"
got=$("$nettcp" call "$url" --action $CALC/Divide --body "$DIV" "${krb[@]}")
contains "divide: .NET's round-trip double" "$got" "<DivideResult>0.3333333333333333</DivideResult>"
got=$("$nettcp" call "$url" --action http://tempuri.org/IEcho/Echo --body "$ECHO" "${krb[@]}")
contains "echo names the caller" "$got" "hello [caller: $NTCP_REALM_USER, Kerberos, EncryptAndSign]"
got=$("$nettcp" call "$url" --action http://tempuri.org/IEcho/Echo --body "$ECHO" "${krb[@]}" --package kerberos -v 2>&1)
contains "-v shows the negotiated security" "$got" "security: Kerberos, EncryptAndSign, mutual authentication, service host/svc.nettcp.test@"
# NTLM: refused while server authentication is required, accepted without
NETTCP_PASSWORD=$NTCP_REALM_NTLM_PASSWORD "$nettcp" call "$url" --action http://tempuri.org/IEcho/Echo --body "$ECHO" \
    --package ntlm --identity spn:host/svc.nettcp.test --user "$NTCP_REALM_NTLM_USER" >/dev/null 2>"$tmp/err"
check "ntlm with server auth required: exit 1" "$?" 1
contains "ntlm refused: cause" "$(cat "$tmp/err")" "ntlm_without_server_auth"
got=$(NETTCP_PASSWORD=$NTCP_REALM_NTLM_PASSWORD "$nettcp" call "$url" --action http://tempuri.org/IEcho/Echo \
    --body "$ECHO" --package ntlm --no-require-server-auth --identity spn:host/svc.nettcp.test --user "$NTCP_REALM_NTLM_USER")
contains "ntlm echo" "$got" "hello [caller: NETTCP\\carol, NTLM, EncryptAndSign]"
# failures
"$nettcp" call "$url" --action $CALC/Add --body "$ADD" --user "$NTCP_REALM_USER" --identity spn:host/nothere.nettcp.test \
    --package kerberos >/dev/null 2>"$tmp/err"
contains "unknown SPN: cause" "$(cat "$tmp/err")" "spn_unknown"
NETTCP_PASSWORD=wrong "$nettcp" call "$url" --action $CALC/Add --body "$ADD" "${krb[@]}" >/dev/null 2>"$tmp/err"
contains "bad password: cause" "$(cat "$tmp/err")" "bad_password"
"$nettcp" call "$url" --action $CALC/Add --body "$ADD" --security none >/dev/null 2>"$tmp/err"
contains "security none against transport" "$(cat "$tmp/err")" "EndpointAccessDenied"
"$nettcp" call "$url" --action $CALC/Add --body "$ADD" "${krb[@]}" --protection sign >/dev/null 2>"$tmp/err"
contains "sign-only client against EncryptAndSign service" "$(cat "$tmp/err")" "protection_not_granted"
"$nettcp" call "$url" --action http://tempuri.org/IEcho/Nope --body "$ECHO" "${krb[@]}" >/dev/null 2>"$tmp/err"
contains "unknown action" "$(cat "$tmp/err")" "ActionNotSupported"
got=$("$nettcp" call "$url" --action $CALC/Add --body '<Add' "${krb[@]}" 2>&1)
contains "malformed body" "$got" "xml_syntax_error"

# traces: one JSON object per line; records, security and errors; never secrets or contents
SECRET_TEXT=do-not-trace-this-text
"$nettcp" call "$url" --action http://tempuri.org/IEcho/Echo "${krb[@]}" --trace "$tmp/call.trace" \
    --body "<Echo xmlns=\"http://tempuri.org/\"><text>$SECRET_TEXT</text></Echo>" >/dev/null
"$nettcp" call "$url" --action $CALC/Add --body "$ADD" --user "$NTCP_REALM_USER" --identity spn:host/nothere.nettcp.test \
    --package kerberos --trace "$tmp/fail.trace" >/dev/null 2>&1
got=$(python3 - "$tmp/call.trace" "$tmp/fail.trace" <<'PYEOF'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
recs = [(e["dir"], e["type"]) for e in ev if e["event"] == "record"]
print(recs[:6])
print([e["event"] + ("/" + e["name"] if e["event"] == "step" else "") for e in ev if e["event"] != "record"])
o = [e for e in ev if e["event"] == "opened"][0]
print(o["package"], o["protection"], o["mutual"], o["target"])
print([e.get("cause") for e in map(json.loads, open(sys.argv[2])) if e["event"] == "error"])
PYEOF
)
check "call trace" "$got" "[('sent', 'Version'), ('sent', 'Mode'), ('sent', 'Via'), ('sent', 'KnownEncoding'), ('sent', 'UpgradeRequest'), ('received', 'UpgradeResponse')]
['activity', 'open', 'step/resolve', 'step/connect', 'step/preamble', 'handshake', 'step/handshake', 'handshake', 'step/preamble_ack', 'opened', 'transfer', 'activity', 'request', 'reply', 'activity', 'transfer', 'closed', 'activity']
Kerberos EncryptAndSign true host/svc.nettcp.test
['spn_unknown']"
contains "call trace: handshake messages with their sizes only" "$(grep '"event":"handshake"' "$tmp/call.trace" | head -1)" \
    '"dir":"sent","message":"HandshakeInProgress","size":'
traced "$tmp/serve.trace" '"event":"request".*"caller":"'"$NTCP_REALM_USER"'"' 1
contains "serve trace: handshake messages per connection" "$(cat "$tmp/serve.trace")" '"event":"handshake","conn":"127.0.0.1:'
for f in "$tmp/call.trace" "$tmp/fail.trace" "$tmp/serve.trace" "$tmp/default.err"; do
    if grep -qF -e "$NTCP_REALM_PASSWORD" -e "$SECRET_TEXT" "$f"; then found=yes; else found=no; fi
    check "no secret or content in $(basename "$f")" "$found" no
done
grep -q '"event":"request".*"caller":"'"$NTCP_REALM_USER"'"' "$tmp/serve.trace"; check "the service's trace names the caller" "$?" 0
grep -q '"type":"PreambleAck"' "$tmp/serve.trace"; check "the service's trace has its records" "$?" 0
contains "the service's log explains failures (and was checked for secrets above)" "$(cat "$tmp/default.err")" "cause: "

# 32 concurrent clients, each with its own numbers; every reply checked
for i in $(seq 1 32); do
    "$nettcp" call "$url" --action $CALC/Multiply "${krb[@]}" \
        --body "<Multiply xmlns=\"http://Microsoft.ServiceModel.Samples\"><n1>$i</n1><n2>1000</n2></Multiply>" \
        >"$tmp/c$i.out" 2>"$tmp/c$i.err" &
    cpids[$i]=$!
done
bad=0
for i in $(seq 1 32); do
    wait "${cpids[$i]}" || bad=$((bad + 1))
    grep -q "<MultiplyResult>$((i * 1000))</MultiplyResult>" "$tmp/c$i.out" || bad=$((bad + 1))
done
check "32 concurrent secured calls, every reply right" "$bad" 0

# protection levels and security none
serve sign --keytab "$NTCP_REALM_SERVICE_KEYTAB" --protection sign
got=$("$nettcp" call "$url" --action http://tempuri.org/IEcho/Echo --body "$ECHO" "${krb[@]}" --protection sign)
contains "sign" "$got" "Kerberos, Sign]"
serve none --security none
got=$("$nettcp" call "$url" --action $CALC/Add --body "$ADD" --security none)
contains "security none" "$got" "<AddResult>5</AddResult>"
"$nettcp" call "$url" --action $CALC/Add --body "$ADD" "${krb[@]}" >/dev/null 2>"$tmp/err"
contains "transport against security none" "$(cat "$tmp/err")" "UpgradeInvalid"
"$nettcp" call "${url%/calc}/other" --action $CALC/Add --body "$ADD" --security none >/dev/null 2>"$tmp/err"
contains "wrong path" "$(cat "$tmp/err")" "EndpointNotFound"

# --package is enforced, with the same cause on both sides
n0=${#pids[@]}
serve krbonly --keytab "$NTCP_REALM_SERVICE_KEYTAB" --package kerberos -v
NETTCP_PASSWORD=$NTCP_REALM_NTLM_PASSWORD "$nettcp" call "$url" --action http://tempuri.org/IEcho/Echo --body "$ECHO" \
    --package ntlm --no-require-server-auth --identity spn:host/svc.nettcp.test --user "$NTCP_REALM_NTLM_USER" \
    --json >"$tmp/pkg1.json" 2>/dev/null
check "ntlm client, --package kerberos service: exit 1" "$?" 1
contains "ntlm client, --package kerberos service: client cause" "$(cat "$tmp/pkg1.json")" '"cause":"package_mismatch"'
serve ntlmonly --keytab "$NTCP_REALM_SERVICE_KEYTAB" --package ntlm -v
"$nettcp" call "$url" --action http://tempuri.org/IEcho/Echo --body "$ECHO" "${krb[@]}" --package kerberos \
    --json >"$tmp/pkg2.json" 2>/dev/null
check "kerberos client, --package ntlm service: exit 1" "$?" 1
contains "kerberos client, --package ntlm service: client cause" "$(cat "$tmp/pkg2.json")" '"cause":"package_mismatch"'
got=$(NETTCP_PASSWORD=$NTCP_REALM_NTLM_PASSWORD "$nettcp" call "$url" --action http://tempuri.org/IEcho/Echo \
    --body "$ECHO" --package ntlm --no-require-server-auth --identity spn:host/svc.nettcp.test --user "$NTCP_REALM_NTLM_USER")
contains "ntlm client, --package ntlm service: served" "$got" "NTLM, EncryptAndSign]"
for p in "${pids[@]:$n0}"; do kill -INT "$p"; wait "$p"; done
pids=("${pids[@]:0:$n0}")
contains "--package kerberos service log: NTLM refused, cause named" "$(cat "$tmp/krbonly.err")" \
    "this service accepts Kerberos only; cause: package_mismatch"
contains "--package ntlm service log: Kerberos refused, cause named" "$(cat "$tmp/ntlmonly.err")" \
    "this service accepts NTLM only; cause: package_mismatch"

# a service without a usable keytab refuses to start, saying so (timeout: a
# service that starts anyway would serve forever)
timeout 20 "$nettcp" serve "net.tcp://127.0.0.1:0/calc" --keytab "$tmp/no-such.keytab" >"$tmp/nokt.out" 2>"$tmp/nokt.err"
check "missing keytab: serve exits 1" "$?" 1
contains "missing keytab: named" "$(cat "$tmp/nokt.err")" "no-such.keytab"
contains "missing keytab: cause" "$(cat "$tmp/nokt.err")" "cause: keytab_missing"
check "missing keytab: never listened" "$(cat "$tmp/nokt.out")" ""
printf '\x05\x02' >"$tmp/empty.keytab" # a keytab file with no entry
timeout 20 "$nettcp" serve "net.tcp://127.0.0.1:0/calc" --keytab "$tmp/empty.keytab" >/dev/null 2>"$tmp/emptykt.err"
check "empty keytab: serve exits 1" "$?" 1
contains "empty keytab: cause" "$(cat "$tmp/emptykt.err")" "cause: keytab_empty"
got=$(KRB5_KTNAME="$tmp/no-such.keytab" timeout 20 "$nettcp" serve "net.tcp://127.0.0.1:0/calc" 2>&1 >/dev/null)
contains "missing KRB5_KTNAME keytab: cause" "$got" "cause: keytab_missing"

# graceful stop
for p in "${pids[@]}"; do kill -INT "$p"; done
for p in "${pids[@]}"; do wait "$p"; check "serve exits 0 on SIGINT" "$?" 0; done
pids=()
finish
