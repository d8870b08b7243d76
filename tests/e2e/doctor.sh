#!/usr/bin/env bash
# nettcp doctor over a throwaway realm: every failure of the catalogue, each
# with its stable cause id, the step that failed and what was tried; the same
# ids from `nettcp call --json`; traces without secrets. Ends with
# "N passed, N failed".
set -u
source "$(dirname "$0")/common.bash"

# field FILE PATH: one value of the JSON report (python3 reads it: an independent parser)
field() {
    python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
path = sys.argv[2]
if path == "failed_step":
    print(next((s["name"] for s in d["steps"] if s["outcome"] == "failed"), ""))
elif path.startswith("step:"):
    s = next(s for s in d["steps"] if s["name"] == path[5:])
    print(s["outcome"] + " " + s["detail"])
elif path == "names":
    print(" ".join(s["name"] for s in d["steps"]))
else:
    v = d
    for k in path.split("."):
        v = v[k]
    print(str(v).lower() if isinstance(v, bool) else v)
' "$@"
}

# diagnose NAME CAUSE STEP [doctor args...]: exit 1, the cause id, the first failed step
diagnose() {
    local name=$1 cause=$2 step=$3; shift 3
    "$nettcp" doctor --json "$@" >"$tmp/$name.json" 2>"$tmp/$name.derr"
    check "$name: exit status" "$?" 1
    check "$name: cause" "$(field "$tmp/$name.json" cause 2>&1)" "$cause"
    check "$name: failed step" "$(field "$tmp/$name.json" failed_step 2>&1)" "$step"
    check "$name: ok" "$(field "$tmp/$name.json" ok 2>&1)" "false"
    report=$tmp/$name.json
}

ECHO='<Echo xmlns="http://tempuri.org/"><text>doctor</text></Echo>'
export NETTCP_PASSWORD=$NTCP_REALM_PASSWORD
me=(--user "$NTCP_REALM_USER")
svc=(--identity spn:host/svc.nettcp.test)

serve main --keytab "$NTCP_REALM_SERVICE_KEYTAB"
main=$url main_port=$port
serve plain --security none
plain=$url

# ---- a healthy connection: every step, in order, with what it found ----
"$nettcp" doctor "$main" "${svc[@]}" "${me[@]}" --action http://tempuri.org/IEcho/Echo --body "$ECHO" --json \
    --trace "$tmp/ok.trace" >"$tmp/ok.json"
check "ok: exit status" "$?" 0
check "ok: ok" "$(field "$tmp/ok.json" ok)" true
check "ok: the steps in order" "$(field "$tmp/ok.json" names)" \
    "resolve connect preamble upgrade target credentials kdc directory handshake identity preamble_ack request close"
contains "ok: resolve" "$(field "$tmp/ok.json" step:resolve)" "ok 127.0.0.1 -> 127.0.0.1"
contains "ok: preamble" "$(field "$tmp/ok.json" step:preamble)" "mode duplex, encoding 0x08 (application/soap+msbinsession1)"
contains "ok: target" "$(field "$tmp/ok.json" step:target)" "ok host/svc.nettcp.test, the SPN given as the identity"
contains "ok: credentials" "$(field "$tmp/ok.json" step:credentials)" "ok alice@NETTCP.TEST from the user name and password"
contains "ok: kdc: ticket with its key version" "$(field "$tmp/ok.json" step:kdc)" \
    "ok the KDC issued a service ticket for host/svc.nettcp.test@NETTCP.TEST (key version"
# the MIT realm has no directory: said so, with what was not checked
contains "ok: directory not read" "$(field "$tmp/ok.json" step:directory)" "skipped not read: no Kerberos (SASL GSSAPI) bind to ldap://127.0.0.1"
contains "ok: directory: what was not checked" "$(field "$tmp/ok.json" directory.note)" \
    "which account holds the name, its encryption types and account flags were not checked"
check "ok: directory: not checked" "$(field "$tmp/ok.json" directory.checked)" false
contains "ok: handshake" "$(field "$tmp/ok.json" step:handshake)" "ok Kerberos, EncryptAndSign, mutual authentication"
contains "ok: identity" "$(field "$tmp/ok.json" step:identity)" "ok the service authenticated as host/svc.nettcp.test@NETTCP.TEST"
contains "ok: request" "$(field "$tmp/ok.json" step:request)" "answered with http://tempuri.org/IEcho/EchoResponse"
check "ok: tried" "$(field "$tmp/ok.json" tried.target) $(field "$tmp/ok.json" tried.principal) $(field "$tmp/ok.json" tried.package)" \
    "host/svc.nettcp.test alice@NETTCP.TEST Kerberos"
out=$("$nettcp" doctor "$main" "${svc[@]}" "${me[@]}")
check "ok (text): exit status" "$?" 0
contains "ok (text): one line per step" "$out" "] handshake    ok       Kerberos, EncryptAndSign, mutual authentication"
contains "ok (text): result" "$out" "result: ok, every step passed"
# the trace: steps, records, handshake messages, the result; no secret
trace=$(cat "$tmp/ok.trace")
contains "trace: steps" "$trace" '"event":"step","name":"kdc","outcome":"ok"'
contains "trace: handshake messages" "$trace" '"event":"handshake","dir":"sent","message":"HandshakeInProgress"'
contains "trace: records" "$trace" '"event":"record","dir":"received","type":"UpgradeResponse"'
contains "trace: result" "$trace" '"event":"result","ok":"true"'
lacks "trace: no password" "$trace" "$NTCP_REALM_PASSWORD"
lacks "trace: no message content" "$trace" "doctor</text>"

# security None: every step passes, the upgrade step warns that nothing is protected
"$nettcp" doctor "$plain" --security none --json >"$tmp/none.json"
check "none: exit status" "$?" 0
contains "none: upgrade warns" "$(field "$tmp/none.json" step:upgrade)" "warning no upgrade asked for (security None)"
check "none: security steps skipped" "$(field "$tmp/none.json" step:handshake)" "skipped security None"
contains "none (text): the warning counted" "$("$nettcp" doctor "$plain" --security none)" \
    "result: ok, every step passed (1 with a warning above)"

# 1. no identity: the SPN derived from the address is not the service's
#    a) host/localhost exists (another account's key): the KDC issues a ticket, the service cannot use it
diagnose default_spn_foreign default_spn_not_service handshake "net.tcp://localhost:$main_port/calc" "${me[@]}"
contains "default_spn_foreign: kdc issued it" "$(field "$report" step:kdc)" "ok the KDC issued a service ticket for host/localhost@NETTCP.TEST"
contains "default_spn_foreign: target explained" "$(field "$report" step:target)" "host/localhost, derived from the address because no identity was given"
check "default_spn_foreign: tried" "$(field "$report" tried.target)" "host/localhost"
contains "default_spn_foreign: advice" "$(field "$report" advice)" "--identity spn:"
contains "default_spn_foreign: service has no key" "$(field "$report" advice)" "the service holds no key for that name"
#    b) host/127.0.0.1 does not exist at all
diagnose default_spn_unknown default_spn_not_service kdc "$main" "${me[@]}"
contains "default_spn_unknown: ip warning" "$(field "$report" step:target)" "warning host/127.0.0.1"
contains "default_spn_unknown: advice" "$(field "$report" advice)" "the KDC does not know that name"
#    c) Visual Studio's template identity <dns value="localhost"/> against another host name
diagnose dns_localhost default_spn_not_service handshake "$main" --identity dns:localhost "${me[@]}"
contains "dns_localhost: the template" "$(field "$report" step:target)" "warning host/localhost, from the DNS identity localhost; <dns value=\"localhost\"/> is the identity Visual Studio's templates write"
contains "dns_localhost: advice" "$(field "$report" advice)" "The identity was a DNS name (dns:)"
# 2. SPN unknown to the KDC
diagnose spn_unknown spn_unknown kdc "$main" --identity spn:host/nothere.nettcp.test "${me[@]}"
contains "spn_unknown: kdc says" "$(field "$report" step:kdc)" "host/nothere.nettcp.test@NETTCP.TEST not found in Kerberos database"
check "spn_unknown: tried" "$(field "$report" tried.target)" "host/nothere.nettcp.test"
# 3. the service holds another key for the SPN (stale keytab)
serve stale --keytab "$NTCP_REALM_STALE_KEYTAB"
diagnose service_key_mismatch service_key_mismatch handshake "$url" --identity spn:host/stale.nettcp.test "${me[@]}"
contains "service_key_mismatch: the ticket's key version" "$(field "$report" step:kdc)" "host/stale.nettcp.test@NETTCP.TEST (key version"
contains "service_key_mismatch: peer code" "$(field "$report" step:handshake)" "0x80090322"
contains "service_key_mismatch: advice names the key version" "$(field "$report" advice)" \
    "The KDC encrypted the ticket in key version 3 (aes256-cts-hmac-sha1-96) of host/stale.nettcp.test@NETTCP.TEST"
# 4. clock skew: the service's clock 10 minutes ahead (libfaketime)
# (libfaketime preloaded directly, so the service's pid is the one to stop)
faketime_lib=$(dpkg -L libfaketime | grep '/libfaketime\.so\.1$' | head -1)
LD_PRELOAD=$faketime_lib FAKETIME=+10m ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0 \
    "$nettcp" serve "net.tcp://127.0.0.1:0/calc" --keytab "$NTCP_REALM_SERVICE_KEYTAB" >"$tmp/skew.out" 2>"$tmp/skew.err" &
pids+=($!)
wait_listening skew
diagnose clock_skew clock_skew handshake "$url" "${svc[@]}" "${me[@]}"
contains "clock_skew: peer code" "$(field "$report" step:handshake)" "0x80090324"
# 5. NTLM while server authentication is required, and why NTLM
NETTCP_PASSWORD=$NTCP_REALM_NTLM_PASSWORD diagnose ntlm ntlm_without_server_auth handshake "$main" "${svc[@]}" \
    --package ntlm --user "$NTCP_REALM_NTLM_USER"
contains "ntlm: why" "$(field "$report" step:credentials)" "NTLM (the package NTLM was asked for)"
contains "ntlm: advice" "$(field "$report" advice)" "NTLM was used because --package ntlm was given"
check "ntlm: tried package" "$(field "$report" tried.package)" "NTLM"
NETTCP_PASSWORD=$NTCP_REALM_NTLM_PASSWORD diagnose ntlm_protection_none ntlm_without_server_auth handshake "$main" \
    "${svc[@]}" --protection none --user "$NTCP_REALM_NTLM_USER"
contains "ntlm_protection_none: why" "$(field "$report" advice)" "ProtectionLevel None makes NegotiateStream use NTLM"
# 6. bad password, unknown user, no credentials, expired ticket
NETTCP_PASSWORD=not-the-password diagnose bad_password bad_password credentials "$main" "${svc[@]}" "${me[@]}"
lacks "bad_password: not in the report" "$(cat "$report")" "not-the-password"
diagnose unknown_user unknown_user credentials "$main" "${svc[@]}" --user nobody@NETTCP.TEST
contains "unknown_user: tried" "$(field "$report" tried.principal)" "nobody@NETTCP.TEST"
KRB5CCNAME=FILE:$tmp/no-such-cache diagnose no_credentials no_credentials credentials "$main" "${svc[@]}"
contains "no_credentials: which cache" "$(field "$report" step:credentials)" "$tmp/no-such-cache"
printf '%s\n' "$NTCP_REALM_PASSWORD" | KRB5CCNAME=FILE:$tmp/cc kinit "$NTCP_REALM_USER" >/dev/null
LD_PRELOAD=$faketime_lib FAKETIME=+11h ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0 "$nettcp" doctor --json "$main" "${svc[@]}" \
    --ccache "FILE:$tmp/cc" >"$tmp/expired.json" 2>"$tmp/expired.err"
check "credentials_expired: exit status" "$?" 1
check "credentials_expired: cause" "$(field "$tmp/expired.json" cause)" credentials_expired
check "credentials_expired: step" "$(field "$tmp/expired.json" failed_step)" credentials
contains "credentials_expired: says when" "$(field "$tmp/expired.json" step:credentials)" "has expired"
# 7. no KDC answers
KRB5_CONFIG=$NTCP_REALM_UNREACHABLE_CONFIG diagnose kdc_unreachable kdc_unreachable credentials "$main" "${svc[@]}" "${me[@]}"
# 8. an anonymous client, refused by a service that does not allow them
diagnose anonymous_refused anonymous_refused handshake "$main" "${svc[@]}" --anonymous
contains "anonymous_refused: the service's answer" "$(field "$report" step:handshake)" "0x8009030C"
# 9. security mode mismatch, both ways
diagnose mode_mismatch security_mode_mismatch upgrade "$plain" "${me[@]}"
contains "mode_mismatch: the fault" "$(field "$report" step:upgrade)" "UpgradeInvalid"
diagnose mode_mismatch_reverse security_mode_mismatch upgrade "$main" --security none
contains "mode_mismatch_reverse: the fault" "$(field "$report" step:upgrade)" "EndpointAccessDenied"
# 10. encoding and mode the service does not accept
diagnose encoding encoding_refused preamble "$plain" --security none --encoding soap12
contains "encoding: the fault" "$(field "$report" step:preamble)" "ContentTypeInvalid"
diagnose mode mode_refused preamble "$plain" --security none --mode simplex
contains "mode: the fault" "$(field "$report" step:preamble)" "UnsupportedMode"
# 11. wrong path, nothing listening, connection reset
diagnose endpoint_not_found endpoint_not_found preamble "${main%/calc}/nope" "${svc[@]}" "${me[@]}"
contains "endpoint_not_found: the fault" "$(field "$report" step:preamble)" "EndpointNotFound"
diagnose connection_refused connection_refused connect "net.tcp://127.0.0.1:1/calc" "${svc[@]}" "${me[@]}"
# peers that are not net.tcp services: "silent" accepts and never answers; "reset" resets after the first bytes; "wcf" reads the
# preamble to PreambleEnd (0x0C) and closes, as a WCF service that requires
# transport security does with a client that asked for no upgrade
peer() { # kind: starts it, sets $peer_port
    python3 -c "$(cat <<'PY'
import os, socket, struct, sys
kind, portfile = sys.argv[1], sys.argv[2]
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
open(portfile + ".tmp", "w").write(str(s.getsockname()[1]))
os.rename(portfile + ".tmp", portfile)
held = []
while True:
    c, _ = s.accept()
    if kind == "silent":
        held.append(c)  # accepted, never answered
        continue
    if kind == "noupgrade":
        # ignores an upgrade request; acknowledges a preamble without one, then End for End
        got = b""
        while True:
            b = c.recv(4096)
            if not b:
                break
            got += b
            if b"application/negotiate" in got:
                held.append(c)
                break
            if got.endswith(b"\x0c"):
                c.sendall(b"\x0b")
            if got.endswith(b"\x07"):
                c.sendall(b"\x07")
                break
        continue
    if kind == "reset":
        c.recv(1)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    else:
        got = b""
        while not got.endswith(b"\x0c"):
            b = c.recv(4096)
            if not b:
                break
            got += b
    c.close()
PY
)" "$1" "$tmp/$1.port" &
    pids+=($!)
    for _ in $(seq 1 200); do [ -s "$tmp/$1.port" ] && break; read -r -t 0.05 <> <(:) || true; done
    peer_port=$(cat "$tmp/$1.port")
}
peer reset
diagnose connection_reset connection_reset preamble "net.tcp://127.0.0.1:$peer_port/calc" "${svc[@]}" "${me[@]}"
peer silent
diagnose silent timeout preamble "net.tcp://127.0.0.1:$peer_port/calc" "${svc[@]}" "${me[@]}" --timeout 0.5
contains "silent: explained" "$(field "$report" step:preamble)" "does not answer as a net.tcp service"
peer noupgrade
diagnose ignored_upgrade security_mode_mismatch upgrade "net.tcp://127.0.0.1:$peer_port/calc" "${svc[@]}" "${me[@]}" --timeout 1
contains "ignored_upgrade: the second connection" "$(field "$report" step:upgrade)" \
    "a second connection without an upgrade was accepted (PreambleAck)"
peer wcf
diagnose wcf_abort security_mode_mismatch upgrade "net.tcp://127.0.0.1:$peer_port/calc" --security none
contains "wcf_abort: explained" "$(field "$report" step:upgrade)" "closed the connection without a fault"
diagnose host_unknown host_unknown resolve "net.tcp://no-such-host.invalid:808/calc" "${svc[@]}" "${me[@]}"
# 12. protection level not granted
diagnose protection protection_not_granted handshake "$main" "${svc[@]}" "${me[@]}" --protection sign
# a fault from the service at the test request
diagnose action action_not_supported request "$main" "${svc[@]}" "${me[@]}" --action http://tempuri.org/INothing/Nothing

# the text report names the cause, what was tried and the fix
out=$("$nettcp" doctor "net.tcp://localhost:$main_port/calc" "${me[@]}")
check "text failure: exit status" "$?" 1
contains "text failure: result" "$out" "result: FAILED at handshake"
contains "text failure: cause" "$out" "cause:  default_spn_not_service"
contains "text failure: tried" "$out" "tried:  target host/localhost, principal alice@NETTCP.TEST, package"
contains "text failure: advice" "$out" "advice: No identity was given"

# the same cause ids from nettcp call --json, and in its trace
call() { "$nettcp" call "$@" --action http://tempuri.org/IEcho/Echo --body "$ECHO" --json 2>/dev/null; }
for c in "default_spn_not_service|net.tcp://localhost:$main_port/calc" "security_mode_mismatch|$plain" \
         "endpoint_not_found|${main%/calc}/nope" "connection_refused|net.tcp://127.0.0.1:1/calc"; do
    want=${c%%|*} u=${c#*|}
    call "$u" "${me[@]}" >"$tmp/call.json"
    check "call --json: $want" "$(field "$tmp/call.json" cause)" "$want"
done
call "$main" "${svc[@]}" --user nobody@NETTCP.TEST --trace "$tmp/call.trace" >/dev/null
contains "call trace: cause" "$(cat "$tmp/call.trace")" '"cause":"unknown_user"'
NETTCP_PASSWORD=not-the-password call "$main" "${svc[@]}" "${me[@]}" --trace "$tmp/call2.trace" >"$tmp/call2.json"
check "call --json: bad_password" "$(field "$tmp/call2.json" cause)" bad_password
lacks "call trace: no password" "$(cat "$tmp/call2.trace")" "not-the-password"
"$nettcp" doctor "net.tcp://localhost:$main_port/calc" "${me[@]}" --trace "$tmp/fail.trace" >/dev/null
contains "doctor trace: the failure's cause" "$(cat "$tmp/fail.trace")" '"event":"result","ok":"false","cause":"default_spn_not_service"'
lacks "doctor trace: no password" "$(cat "$tmp/fail.trace")" "$NTCP_REALM_PASSWORD"

# usage
"$nettcp" doctor >/dev/null 2>&1
check "usage: no URL" "$?" 2
"$nettcp" doctor http://x/ >/dev/null 2>&1
check "usage: not net.tcp" "$?" 2
"$nettcp" doctor --help | grep -q "cause" 
check "--help" "$?" 0

finish
