#!/usr/bin/env bash
# Traces for Service Trace Viewer: a secured call traced from both ends as
# svclog, checked against the schema the project ships (docs/svclog), the
# activities shared through the ActivityId header, the message records
# against what was sent, no secret in any file; message logging at the
# service level in JSON; trace view on a failing handshake; trace convert
# both ways. Ends with "N passed, N failed".
set -u
source "$(dirname "$0")/common.bash"

checker="$build/tests/e2e/svclog_check"
xsd="$here/docs/svclog/svclog.xsd"
CALC=http://Microsoft.ServiceModel.Samples/ICalculator
ADD='<Add xmlns="http://Microsoft.ServiceModel.Samples"><n1>2</n1><n2>3</n2></Add>'
export NETTCP_PASSWORD=$NTCP_REALM_PASSWORD
krb=(--identity spn:host/svc.nettcp.test --user "$NTCP_REALM_USER")

# --- both ends as svclog, activity propagated, messages at the transport level
serve svc --keytab "$NTCP_REALM_SERVICE_KEYTAB" --trace "$tmp/serve.svclog" --trace-format svclog \
    --propagate-activity --log-messages transport
got=$("$nettcp" call "$url" --action $CALC/Add --body "$ADD" "${krb[@]}" --trace "$tmp/call.svclog" \
    --trace-format svclog --propagate-activity --log-messages transport --log-entire-message)
contains "the secured call answers" "$got" "<AddResult>5</AddResult>"
# a failing handshake on the same service: an unknown SPN
"$nettcp" call "$url" --action $CALC/Add --body "$ADD" --user "$NTCP_REALM_USER" --identity spn:host/nothere.nettcp.test \
    --package kerberos --trace "$tmp/fail.svclog" --trace-format svclog >/dev/null 2>&1
check "the failing call exits 1" "$?" 1
# --- doctor writes svclog too: its failed step at level Error, named by view
"$nettcp" doctor "$url" --user "$NTCP_REALM_USER" --identity spn:host/nothere.nettcp.test --package kerberos \
    --trace "$tmp/doctor.svclog" --trace-format svclog >/dev/null 2>&1
check "doctor on an unknown SPN exits 1" "$?" 1
got=$("$checker" "$xsd" "$tmp/doctor.svclog" | sed 's/: [0-9]* fragments/: N fragments/')
check "doctor's svclog is valid" "$got" "doctor.svclog: N fragments, valid
transfers: 0, all resolved"
got=$("$nettcp" trace view --no-color "$tmp/doctor.svclog")
contains "view of doctor's trace: the failed step" "$got" "doctor.svclog: step 'kdc' failed"
contains "view of doctor's trace: the cause" "$got" "cause spn_unknown"

kill -INT "${pids[0]}"; wait "${pids[0]}"; check "serve exits 0" "$?" 0; pids=()

# svclog fragments follow each other without line breaks, as XmlWriterTraceListener writes them
check "no line break between fragments" "$(cat "$tmp/call.svclog" | wc -l)" 0
# one fragment per line, for grep
for f in call serve fail; do sed 's|</E2ETraceEvent>|&\n|g' "$tmp/$f.svclog" >"$tmp/$f.lines"; done
got=$("$checker" "$xsd" "$tmp/call.svclog" "$tmp/serve.svclog" | sed 's/: [0-9]* fragments/: N fragments/')
check "both traces: every fragment parses, schema-valid, one shared call activity, transfers resolved, messages as sent" \
    "$got" "call.svclog: N fragments, valid
message call.svclog TransportSend $CALC/Add body=$ADD
message call.svclog TransportReceive $CALC/AddResponse body=<AddResponse xmlns=\"http://Microsoft.ServiceModel.Samples\"><AddResult>5</AddResult></AddResponse>
serve.svclog: N fragments, valid
message serve.svclog TransportReceive $CALC/Add body=... stream ...
message serve.svclog TransportSend $CALC/AddResponse body=... stream ...
shared Process action '$CALC/Add'.
transfers: 7, all resolved"
got=$("$checker" "$xsd" "$tmp/fail.svclog" | sed 's/: [0-9]* fragments/: N fragments/')
check "the failing call's trace is valid too" "$got" "fail.svclog: N fragments, valid
transfers: 0, all resolved"

# the request carried WCF's ActivityId header, whose GUID is the shared activity
hdr=$(grep -o '<ActivityId [^>]*>[0-9a-f-]*</ActivityId>' "$tmp/call.lines" | head -1)
contains "the request carries WCF's ActivityId header" "$hdr" 'xmlns="http://schemas.microsoft.com/2004/09/ServiceModel/Diagnostics"'
contains "the header has a CorrelationId" "$hdr" 'CorrelationId="'
aid=$(printf '%s' "$hdr" | sed 's/.*">\([0-9a-f-]*\)<.*/\1/')
n=$(grep -c "<Correlation ActivityID=\"{$aid}\"" "$tmp/serve.lines")
[ "$n" -ge 4 ] && r=yes || r="no ($n)"
check "the service traced the call in the activity it received" "$r" yes
grep -q "<SubType Name=\"Start\">0</SubType>.*<Correlation ActivityID=\"{$aid}\".*<ActivityName>Process action &apos;$CALC/Add&apos;.</ActivityName><ActivityType>ProcessAction</ActivityType>" \
    "$tmp/serve.lines"; check "the service's Process action activity starts under the propagated id" "$?" 0
grep 'Source="TransportSend"' "$tmp/serve.lines" | grep -q "<ActivityId [^>]*>$aid</ActivityId>"
check "the service's reply carries the call's ActivityId too" "$?" 0
# the header as XmlWriterTraceListener lays it out: the fixed parts
first=$(head -1 "$tmp/call.lines")
contains "fragment layout" "$first" '<E2ETraceEvent xmlns="http://schemas.microsoft.com/2004/06/E2ETraceEvent"><System xmlns="http://schemas.microsoft.com/2004/06/windows/eventlog/system"><EventID>131085</EventID><Type>3</Type><SubType Name="Start">0</SubType><Level>255</Level><TimeCreated SystemTime="'
contains "fragment layout: correlation, execution, channel" "$first" '" /><Source Name="System.ServiceModel" /><Correlation ActivityID="{'
contains "fragment layout: channel" "$first" '<Channel/><Computer>'
grep -q '<Source Name="System.ServiceModel.MessageLogging" />' "$tmp/call.lines"; check "messages come from System.ServiceModel.MessageLogging" "$?" 0
grep -q '<EventID>262164</EventID>.*System-ServiceModel-Channels-MessageSent</TraceIdentifier><Description>Sent a message over a channel.</Description>' \
    "$tmp/call.lines"; check "WCF's MessageSent trace code and identifier" "$?" 0
grep -q '<SubType Name="Error">0</SubType><Level>2</Level>.*System-ServiceModel-Security-SecurityNegotiationProcessingFailure</TraceIdentifier><Description>step open: .*cause: spn_unknown. advice: the KDC does not know the target name' \
    "$tmp/fail.lines"; check "the failure: an Error with WCF's trace code, the cause id and the advice" "$?" 0

# no secret: no password, no token or ticket bytes (no long base64 or hex run once the URIs are out)
for f in call.svclog serve.svclog fail.svclog; do
    if grep -qF -e "$NTCP_REALM_PASSWORD" "$tmp/$f" ||
        sed -E 's#(https?|urn|net\.tcp):[^ <"]*##g' "$tmp/$f" | grep -qE '[A-Za-z0-9+/]{40,}={0,2}|[0-9A-Fa-f]{40,}'; then
        found=yes; else found=no; fi
    check "no secret in $f" "$found" no
done

# --- trace view: the activities merged across both files; the failing handshake named
"$nettcp" trace view --no-color "$tmp/call.svclog" >/dev/null
check "view: no error in the good call" "$?" 0
got=$("$nettcp" trace view --no-color "$tmp/call.svclog" "$tmp/serve.svclog")
contains "view: one activity from both files" "$got" "activity {$aid} Process action '$CALC/Add'.  [call.svclog, serve.svclog]"
contains "view: the transfer into the call" "$got" "transfer -> {$aid} Process action '$CALC/Add'."
got=$("$nettcp" trace view --no-color "$tmp/fail.svclog")
check "view: exit 1 on a traced error" "$?" 1
contains "view names the failing step" "$got" ">> FAILED at step 'handshake': opening $url: security negotiation"
contains "view names the cause" "$got" "cause: spn_unknown"
contains "view gives the advice" "$got" "advice: the KDC does not know the target name"
contains "view: the summary" "$got" "fail.svclog: step 'handshake' failed, cause spn_unknown"
got=$("$nettcp" trace view --no-color "$tmp/serve.svclog" "$tmp/fail.svclog")
contains "view: the service's side of the failed handshake" "$got" "serve.svclog: step 'security' failed, cause "

# --- trace convert: svclog -> json -> svclog keeps every event
"$nettcp" trace convert --to json -o "$tmp/call.json" "$tmp/call.svclog"; check "convert to json" "$?" 0
"$nettcp" trace convert --to svclog -o "$tmp/back.svclog" "$tmp/call.json"; check "convert back to svclog" "$?" 0
check "round trip: the same events" "$("$nettcp" trace view --no-color "$tmp/back.svclog" | sed 's/back.svclog/FILE/g')" \
    "$("$nettcp" trace view --no-color "$tmp/call.svclog" | sed 's/call.svclog/FILE/g')"
check "round trip: the same JSON" "$("$nettcp" trace convert --to json "$tmp/back.svclog")" "$(cat "$tmp/call.json")"
got=$("$checker" "$xsd" "$tmp/back.svclog" | head -1 | sed 's/: [0-9]* fragments/: N fragments/')
check "round trip: schema-valid" "$got" "back.svclog: N fragments, valid"

# --- JSON, message logging at the service level, a size limit
serve json --keytab "$NTCP_REALM_SERVICE_KEYTAB" --trace "$tmp/serve.json" --propagate-activity \
    --log-messages service --log-entire-message
"$nettcp" call "$url" --action $CALC/Add --body "$ADD" "${krb[@]}" --trace "$tmp/call2.json" --propagate-activity \
    --log-messages service --log-entire-message --max-logged-size 300 >/dev/null
check "call with service-level logging" "$?" 0
"$nettcp" call "$url" --action $CALC/Nope --body "$ADD" "${krb[@]}" >/dev/null 2>&1
check "an unknown action fails" "$?" 1
kill -INT "${pids[0]}"; wait "${pids[0]}"; pids=()
got=$(python3 - "$tmp/serve.json" "$tmp/call2.json" <<'PYEOF'
import json, sys
svc = [json.loads(l) for l in open(sys.argv[1])]
cl = [json.loads(l) for l in open(sys.argv[2])]
call = [e for e in cl if e["event"] == "activity" and e.get("level") == "Start" and e["name"].startswith("Process action")][0]["activity"]
print([(e["source"], e["activity"] == call, "<n1>2</n1>" in e["envelope"]) for e in svc
       if e["event"] == "message" and e["action"].endswith(("/Add", "/AddResponse"))])
print([(e["event"], e.get("level"), e.get("size"), e.get("max_logged_size")) for e in cl if e["event"] in ("message", "message_not_logged")])
print(sorted(set(e["level"] for e in svc + cl if "level" in e)))
print([(e.get("level"), e["fault"]) for e in svc if e["event"] == "reply"])
PYEOF
)
check "service level: the request and reply in the call's (propagated) activity; the client's larger request not logged" "$got" \
    "[('ServiceLevelReceiveRequest', True, True), ('ServiceLevelSendReply', True, False)]
[('message_not_logged', 'Warning', '303', '300'), ('message', None, None, None)]
['Start', 'Stop', 'Transfer', 'Warning']
[(None, ''), ('Warning', 'ActionNotSupported')]"

# --- the checker itself fails on a broken file
sed '0,/<Level>[0-9]*<\/Level>/s///' "$tmp/call.svclog" >"$tmp/broken.svclog"
"$checker" "$xsd" "$tmp/broken.svclog" >"$tmp/out"; check "checker: a fragment without Level is refused" "$?" 1
contains "checker says why" "$(cat "$tmp/out")" "FAIL: broken.svclog: not valid against the schema"
sed '0,/RelatedActivityID="{[0-9a-f-]*}"/s//RelatedActivityID="{00000000-0000-4000-8000-0000000000ee}"/' \
    "$tmp/call.svclog" >"$tmp/dangling.svclog"
"$checker" "$xsd" "$tmp/dangling.svclog" >"$tmp/out"; check "checker: a transfer to nowhere is refused" "$?" 1
contains "checker names the dangling transfer" "$(cat "$tmp/out")" "FAIL: a transfer to "
head -c 300 "$tmp/call.svclog" >"$tmp/cut.svclog"
"$checker" "$xsd" "$tmp/cut.svclog" >"$tmp/out"; check "checker: a cut fragment is refused" "$?" 1

# --- usage
"$nettcp" call "$url" --action $CALC/Add --body "$ADD" --trace "$tmp/x" --trace-format xml >/dev/null 2>"$tmp/err"
check "--trace-format xml is a usage error" "$?" 2
contains "it says which formats" "$(cat "$tmp/err")" "--trace-format is json or svclog"
"$nettcp" trace convert "$tmp/call.json" >/dev/null 2>&1; check "convert without --to is a usage error" "$?" 2
"$nettcp" trace view "$tmp/nothere" >/dev/null 2>"$tmp/err"; check "view of a missing file: exit 1" "$?" 1
contains "view says which file" "$(cat "$tmp/err")" "nothere: cannot read"
finish
