#!/usr/bin/env bash
# WWSAPI (webservices.h) on Linux: a client written as the Windows SDK
# samples are (tests/wws/calc_client.c), compiled with -Wall -Werror against
# the installed header and nettcp-wws.pc, calls `nettcp serve` with no
# security, Kerberos (user and password, the ticket cache, SPN / UPN / DNS
# identities) and NTLM; the failures come back as WS_ERROR strings with
# nettcp's cause and advice. Ends with "N passed, N failed".
set -u
source "$(dirname "$0")/common.bash"
san=(); case "$build" in *-asan) san=(SAN=1) ;; esac
root=$tmp/root lib=/usr/lib/x86_64-test-gnu
make -s -C "$here" "${san[@]}" BUILD="$build" PREFIX=/usr LIBDIR=$lib DESTDIR="$root" install >"$tmp/make.log" 2>&1
check "make install" "$?" 0
check "the headers are installed" "$(cd "$root/usr/include/nettcp/wws" && ls)" "nettcp_wws.h
webservices.h
wws_compat.h"
pc=(env PKG_CONFIG_SYSROOT_DIR="$root" PKG_CONFIG_PATH="$root$lib/pkgconfig" pkg-config)
check "nettcp-wws.pc: the header's directory and libnettcp" \
    "$("${pc[@]}" --cflags-only-I --libs nettcp-wws | tr " " "\n" | grep -Ex -e "-I$root/usr/include(/nettcp/wws)?" -e "-L$root$lib" -e "-lnettcp" | tr "\n" " ")" \
    "-I$root/usr/include/nettcp/wws -I$root/usr/include -L$root$lib -lnettcp "
# shellcheck disable=SC2046
cc -std=c11 -Wall -Werror "${san[@]/SAN=1/-fsanitize=address,undefined}" -o "$tmp/calc_client" \
    "$here/tests/wws/calc_client.c" $("${pc[@]}" --cflags --libs nettcp-wws) 2>"$tmp/cc.log"
check "the seed-style client compiles against the installed webservices.h" "$?:$(cat "$tmp/cc.log")" "0:"
# shellcheck disable=SC2046
cc -std=c11 -Wall -Werror "${san[@]/SAN=1/-fsanitize=address,undefined}" -o "$tmp/echo_server" \
    "$here/tests/wws/echo_server.c" $("${pc[@]}" --cflags --libs nettcp-wws) 2>"$tmp/cc.log"
check "the seed-style service compiles against the installed headers" "$?:$(cat "$tmp/cc.log")" "0:"
# shellcheck disable=SC2046
cc -std=c11 -Wall -Werror "${san[@]/SAN=1/-fsanitize=address,undefined}" -o "$tmp/calc_proxy" \
    "$here/tests/wws/calc_proxy.c" $("${pc[@]}" --cflags --libs nettcp-wws) 2>"$tmp/cc.log"
check "the wsutil-style proxy compiles against the installed headers" "$?:$(cat "$tmp/cc.log")" "0:"
client() { LD_LIBRARY_PATH=$root$lib "$tmp/calc_client" "$@" 2>&1; }
proxy() { LD_LIBRARY_PATH=$root$lib "$tmp/calc_proxy" "$@" 2>&1; }
# wws_exits PID: waits (10 s at most) for the WWSAPI service to exit; its status, 124 when it did not
wws_exits() {
    for _ in $(seq 1 200); do kill -0 "$1" 2>/dev/null || break; read -r -t 0.05 <> <(:) || true; done
    if kill -0 "$1" 2>/dev/null; then kill -TERM "$1"; wait "$1"; return 124; fi
    wait "$1"
}
# wws_serve NAME SESSIONS none|sspi: the WWSAPI echo service on a free port; sets $url
wws_serve() {
    LD_LIBRARY_PATH=$root$lib "$tmp/echo_server" net.tcp://127.0.0.1:0/echo "$2" "$3" >"$tmp/$1.out" 2>"$tmp/$1.err" &
    pids+=($!)
    wait_listening "$1"
}

ADD_REPLY='<AddResponse xmlns="http://Microsoft.ServiceModel.Samples">
  <AddResult>5</AddResult>
</AddResponse>'
echo_reply() { printf '<EchoResponse xmlns="http://tempuri.org/">\n  <EchoResult>hello from WWSAPI [%s]</EchoResult>\n</EchoResponse>' "$1"; }

# security None
serve none --security none
check "none: add" "$(client "$url" add --security none)" "$ADD_REPLY"
check "none: echo" "$(client "$url" echo --security none)" "$(echo_reply "caller: unauthenticated")"
check "WsCall through a service proxy, security none" "$(proxy "$url" none)" "Add(2, 3) = 5
Divide(1, 3) = 0.33333333333333331
Echo: héllo <proxy> [caller: unauthenticated]
Delay(-1): 0x803d0013
fault: Sender, Delay expects ms, a whole number from 0 to 60000 (http://tempuri.org/IEcho/DelayStringFault)
fault detail: ms must be from 0 to 60000"
got=$(client "$url" add --security none --heap 100)
check "heap quota: WS_E_QUOTA_EXCEEDED" "$(head -1 <<<"$got")" "failure: 0x803d0008"
contains "heap quota: the cause" "$got" "cause: quota_exceeded ("
contains "heap quota: what did not fit" "$got" "than its heap's maximum size allows (100)"
got=$(client "$url" nope --security none)
check "a SOAP fault: WS_E_ENDPOINT_FAULT_RECEIVED" "$(head -1 <<<"$got")" "failure: 0x803d0013"
contains "a SOAP fault: its code and reason" "$got" "the service answered with a SOAP fault: Sender/ActionNotSupported: The service has no operation for the action 'http://tempuri.org/IEcho/Nope'"
contains "a SOAP fault: the cause" "$got" "cause: action_not_supported ("
got=$(client "net.tcp://127.0.0.1:1/calc" add --security none)
check "nothing listens: WS_E_ENDPOINT_UNREACHABLE" "$(head -1 <<<"$got")" "failure: 0x803d0010"
contains "nothing listens: cause and advice" "$got" "cause: connection_refused (nothing listens at host:port)
advice: nothing listens at that host and port"

# Windows credentials: NegotiateStream with Kerberos
serve krb --keytab "$NTCP_REALM_SERVICE_KEYTAB"
alice="caller: $NTCP_REALM_USER, Kerberos, EncryptAndSign"
pw=(--user "${NTCP_REALM_USER%@*}" --domain "$NTCP_REALM" --password "$NTCP_REALM_PASSWORD")
check "kerberos, SPN identity, user and password" "$(client "$url" echo --spn host/svc.nettcp.test "${pw[@]}")" \
    "$(echo_reply "$alice")"
check "kerberos, UPN identity" "$(client "$url" echo --upn "svcacct@$NTCP_REALM" "${pw[@]}" --package kerberos)" \
    "$(echo_reply "$alice")"
check "kerberos, DNS identity" "$(client "$url" echo --dns svc.nettcp.test "${pw[@]}")" "$(echo_reply "$alice")"
check "kerberos add" "$(client "$url" add --spn host/svc.nettcp.test "${pw[@]}")" "$ADD_REPLY"
check "WsCall through a service proxy, Kerberos" \
    "$(proxy "$url" sspi host/svc.nettcp.test "${NTCP_REALM_USER%@*}" "$NTCP_REALM" "$NTCP_REALM_PASSWORD")" \
    "Add(2, 3) = 5
Divide(1, 3) = 0.33333333333333331
Echo: héllo <proxy> [$alice]
Delay(-1): 0x803d0013
fault: Sender, Delay expects ms, a whole number from 0 to 60000 (http://tempuri.org/IEcho/DelayStringFault)
fault detail: ms must be from 0 to 60000"
got=$(proxy "$url" sspi host/wrong.nettcp.test "${NTCP_REALM_USER%@*}" "$NTCP_REALM" "$NTCP_REALM_PASSWORD")
check "WsOpenServiceProxy, wrong SPN: the failure" "$(head -1 <<<"$got")" "failure: 0x803d000a"
contains "WsOpenServiceProxy, wrong SPN: the cause" "$got" "cause: spn_unknown ("
printf '%s\n' "$NTCP_REALM_PASSWORD" | KRB5CCNAME=FILE:$tmp/cc kinit "$NTCP_REALM_USER" >/dev/null
check "kerberos, the default credential (the ticket cache)" \
    "$(KRB5CCNAME=FILE:$tmp/cc client "$url" echo --spn host/svc.nettcp.test)" "$(echo_reply "$alice")"
got=$(KRB5CCNAME=FILE:$tmp/empty client "$url" echo --spn host/svc.nettcp.test --package kerberos)
check "default credential, no ticket: WS_E_SECURITY_VERIFICATION_FAILURE" "$(head -1 <<<"$got")" "failure: 0x803d000a"
contains "default credential, no ticket: the cause" "$got" "cause: no_credentials ("

# a wrong SPN: the error strings say why, and Negotiate does not fall back to NTLM
got=$(client "$url" echo --spn host/wrong.nettcp.test "${pw[@]}")
check "wrong SPN: WS_E_SECURITY_VERIFICATION_FAILURE" "$(head -1 <<<"$got")" "failure: 0x803d000a"
contains "wrong SPN: what failed" "$got" "target host/wrong.nettcp.test"
contains "wrong SPN: cause and advice" "$got" "cause: spn_unknown (the KDC does not know the target name (SPN))
advice: the KDC does not know the target name: check the identity (spn:/dns:/upn:) or register the SPN"
lacks "wrong SPN: no NTLM fallback in the client" "$got" "NTLM"
lacks "wrong SPN: no NTLM logon at the service" "$(cat "$tmp/krb.err")" "NTLM"
got=$(client "$url" echo --opaque --spn host/svc.nettcp.test)
check "opaque credential: WS_E_NOT_SUPPORTED" "$(head -1 <<<"$got")" "failure: 0x803d0017"
contains "opaque credential: says what is unsupported" "$got" \
    "WS_OPAQUE_WINDOWS_INTEGRATED_AUTH_CREDENTIAL (a SEC_WINNT_AUTH_IDENTITY handle from SSPI) is not supported on Linux"
got=$(client "$url" echo --security none)
check "no security against a secured service: WS_E_ENDPOINT_ACCESS_DENIED" "$(head -1 <<<"$got")" "failure: 0x803d0005"

# NTLM: only with REQUIRE_SERVER_AUTH false
ntlm=(--user "${NTCP_REALM_NTLM_USER#*\\}" --domain "${NTCP_REALM_NTLM_USER%%\\*}" --password "$NTCP_REALM_NTLM_PASSWORD"
      --package ntlm --spn host/svc.nettcp.test)
check "ntlm without server authentication" "$(client "$url" echo "${ntlm[@]}" --no-server-auth)" \
    "$(echo_reply "caller: $NTCP_REALM_NTLM_USER, NTLM, EncryptAndSign")"
got=$(client "$url" echo "${ntlm[@]}")
check "ntlm with server authentication required: refused" "$(head -1 <<<"$got")" "failure: 0x803d000a"
contains "ntlm refused: cause and advice" "$got" "cause: ntlm_without_server_auth (NTLM was negotiated while server authentication is required)
advice: NTLM cannot authenticate the server; make Kerberos work"

# the WWSAPI service (WsCreateListener / WsAcceptChannel / WsReceiveMessage / WsSendReplyMessage)
ECHO='<Echo xmlns="http://tempuri.org/"><text>hi</text></Echo>'
wws_serve wnone 2 none
pid_wnone=${pids[-1]}
got=$("$nettcp" call "$url" --security none --action http://tempuri.org/IEcho/Echo --body "$ECHO" --json)
contains "WWSAPI service, security none: nettcp call gets the reply" "$got" \
    '"action":"http://tempuri.org/IEcho/EchoResponse"'
contains "WWSAPI service, security none: the reply's body" "$got" \
    '"body":"<EchoResponse xmlns=\"http://tempuri.org/\">\n  <Echo xmlns=\"http://tempuri.org/\">\n    <text>hi</text>\n  </Echo>\n</EchoResponse>"'
check "WWSAPI service, security none: the WWSAPI client" "$(client "$url" echo --security none)" \
    '<EchoResponse xmlns="http://tempuri.org/">
  <Echo xmlns="http://tempuri.org/">
    <text>hello from WWSAPI</text>
  </Echo>
</EchoResponse>'
wws_exits "$pid_wnone"
check "WWSAPI service: both sessions served and ended, then it exits" "$?:$(cat "$tmp/wnone.out")" "0:listening on $url
received http://tempuri.org/IEcho/Echo
session ended
received http://tempuri.org/IEcho/Echo
session ended"

KRB5_KTNAME=$NTCP_REALM_SERVICE_KEYTAB wws_serve wkrb 2 sspi
pid_wkrb=${pids[-1]}
got=$("$nettcp" call "$url" --security none --action http://tempuri.org/IEcho/Echo --body "$ECHO" 2>&1)
contains "WWSAPI service, Kerberos: a client without security is refused" "$got" "EndpointAccessDenied"
got=$(NETTCP_PASSWORD=$NTCP_REALM_PASSWORD "$nettcp" call "$url" --action http://tempuri.org/IEcho/Echo --body "$ECHO" \
    --identity spn:host/svc.nettcp.test --user "$NTCP_REALM_USER" -v 2>&1)
contains "WWSAPI service, Kerberos: nettcp call" "$got" "<text>hi</text>"
contains "WWSAPI service, Kerberos: the security" "$got" "security: Kerberos, EncryptAndSign, mutual authentication"
contains "WWSAPI service, Kerberos: the WWSAPI client" "$(client "$url" echo --spn host/svc.nettcp.test "${pw[@]}")" \
    "<text>hello from WWSAPI</text>"
wws_exits "$pid_wkrb"
check "WWSAPI service, Kerberos: served and exited" "$?" 0
got=$(KRB5_KTNAME=$tmp/none.keytab LD_LIBRARY_PATH=$root$lib "$tmp/echo_server" net.tcp://127.0.0.1:0/echo 1 sspi 2>&1)
check "WWSAPI service without a keytab: refused at WsOpenListener" "$(head -1 <<<"$got")" "failure: 0x803d000a"
contains "WWSAPI service without a keytab: the cause" "$got" "cause: keytab_missing ("
finish
