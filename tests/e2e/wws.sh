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
check "the header is installed" "$(cd "$root/usr/include/nettcp/wws" && ls)" "webservices.h
wws_compat.h"
pc=(env PKG_CONFIG_SYSROOT_DIR="$root" PKG_CONFIG_PATH="$root$lib/pkgconfig" pkg-config)
check "nettcp-wws.pc: the header's directory and libnettcp" \
    "$("${pc[@]}" --cflags-only-I --libs nettcp-wws | tr " " "\n" | grep -Ex -e "-I$root/usr/include(/nettcp/wws)?" -e "-L$root$lib" -e "-lnettcp" | tr "\n" " ")" \
    "-I$root/usr/include/nettcp/wws -I$root/usr/include -L$root$lib -lnettcp "
# shellcheck disable=SC2046
cc -std=c11 -Wall -Werror "${san[@]/SAN=1/-fsanitize=address,undefined}" -o "$tmp/calc_client" \
    "$here/tests/wws/calc_client.c" $("${pc[@]}" --cflags --libs nettcp-wws) 2>"$tmp/cc.log"
check "the seed-style client compiles against the installed webservices.h" "$?:$(cat "$tmp/cc.log")" "0:"
client() { LD_LIBRARY_PATH=$root$lib "$tmp/calc_client" "$@" 2>&1; }

ADD_REPLY='<AddResponse xmlns="http://Microsoft.ServiceModel.Samples">
  <AddResult>5</AddResult>
</AddResponse>'
echo_reply() { printf '<EchoResponse xmlns="http://tempuri.org/">\n  <EchoResult>hello from WWSAPI [%s]</EchoResult>\n</EchoResponse>' "$1"; }

# security None
serve none --security none
check "none: add" "$(client "$url" add --security none)" "$ADD_REPLY"
check "none: echo" "$(client "$url" echo --security none)" "$(echo_reply "caller: unauthenticated")"
got=$(client "$url" add --security none --heap 100)
check "heap quota: WS_E_QUOTA_EXCEEDED" "$(head -1 <<<"$got")" "failure: 0x803d0008"
contains "heap quota: the cause" "$got" "cause: quota_exceeded ("
contains "heap quota: what did not fit" "$got" "than its heap's maximum size allows (100)"
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
finish
