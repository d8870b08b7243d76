#!/usr/bin/env bash
# nettcp wsdl over HTTP behind Negotiate (Kerberos through SPNEGO), as IIS
# with Windows authentication serves metadata: refused without a ticket and
# with --no-negotiate, read with the client's ticket, which the server saw as
# the client's principal. HTTP/localhost is added to the test realm.
set -u
source "$(dirname "$0")/common.bash"
# the advice the CLI prints under the error (the cause table in include/nettcp/error.h)
ADV_UNREACHABLE='check the path or URL (?wsdl, ?singleWsdl) in a browser on the same network; HTTP 401: Negotiate failed, get a ticket with kinit and check the HTTP/host SPN'
VEC=$(cd "$(dirname "$0")/../vectors/wsdl" && pwd)
helper="$build/tests/e2e/negotiate_http"

export KRB5_KDC_PROFILE=$NTCP_REALM_DIR/kdc.conf
kadmin.local -q "addprinc -randkey HTTP/localhost" >"$tmp/kadmin.log" 2>&1
kadmin.local -q "ktadd -k $tmp/http.keytab HTTP/localhost" >>"$tmp/kadmin.log" 2>&1
[ -s "$tmp/http.keytab" ]; check "HTTP/localhost keytab" "$?" 0

KRB5_KTNAME=FILE:$tmp/http.keytab "$helper" "$VEC/nettcp-windows-spn.wsdl" >"$tmp/srv.out" 2>"$tmp/srv.err" &
pids+=($!)
for _ in $(seq 1 200); do grep -qs '^listening' "$tmp/srv.out" && break; read -r -t 0.05 <> <(:) || true; done
port=$(sed -n 's/^listening //p' "$tmp/srv.out")
url="http://localhost:$port/Calculator?wsdl"

KRB5CCNAME=FILE:$tmp/empty "$nettcp" wsdl "$url" >/dev/null 2>"$tmp/err"; rc=$?
check "no ticket: exit 1" "$rc" 1
check "no ticket: error" "$(cat "$tmp/err")" "nettcp wsdl: $url: HTTP 401 (Negotiate authentication failed or no Kerberos ticket for HTTP/host); cause: wsdl_unreachable
advice: $ADV_UNREACHABLE"

printf '%s\n' "$NTCP_REALM_PASSWORD" | KRB5CCNAME=FILE:$tmp/cc kinit "$NTCP_REALM_USER" >/dev/null
KRB5CCNAME=FILE:$tmp/cc "$nettcp" wsdl --no-negotiate "$url" >/dev/null 2>"$tmp/err"
check "--no-negotiate: refused" "$(cat "$tmp/err")" "nettcp wsdl: $url: HTTP 401 (Negotiate authentication failed or no Kerberos ticket for HTTP/host); cause: wsdl_unreachable
advice: $ADV_UNREACHABLE"

got=$(KRB5CCNAME=FILE:$tmp/cc "$nettcp" wsdl --json "$url" 2>"$tmp/err" | python3 -c 'import json,sys; e=json.load(sys.stdin)["endpoints"][0]; print(e["security"], e["identity"]["value"])')
check "with a ticket: read" "$got" "Transport host/app01.example.com"
check "with a ticket: no error" "$(cat "$tmp/err")" ""
contains "the server authenticated the client" "$(cat "$tmp/srv.out")" "authenticated $NTCP_REALM_USER"
finish
