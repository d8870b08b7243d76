#!/usr/bin/env bash
# Identities and the diagnoses around them over the MIT realm: the matrix
# shared with ad.sh (identity_matrix.bash), and diagnoses that once blamed
# the wrong thing. Ends with "N passed, N failed".
set -u
source "$(dirname "$0")/common.bash"

serve rc4 --keytab "$NTCP_REALM_RC4_KEYTAB"
M_RC4_URL=$url M_RC4_SPN=host/rc4.nettcp.test
serve enc --keytab "$NTCP_REALM_ENC_KEYTAB"
M_ENC_URL=$url M_ENC_SPN=host/enc.nettcp.test M_ENC_KEYTAB=$NTCP_REALM_ENC_KEYTAB
serve main --keytab "$NTCP_REALM_SERVICE_KEYTAB" --trace "$tmp/main.trace"
M=mit M_TRACE=$tmp/main.trace M_SPN=host/svc.nettcp.test M_DNS=svc.nettcp.test M_UPNS=("svcacct@$NTCP_REALM")
M_OTHER_SPN=host/box.nettcp.test M_NODELEG_URL=$url M_NODELEG_SPN=host/nodeleg.nettcp.test M_NODELEG_TRACE=$tmp/main.trace
source "$(dirname "$0")/identity_matrix.bash"

ECHO='<Echo xmlns="http://tempuri.org/"><text>hi</text></Echo>'
call() { "$nettcp" call "$url" --action http://tempuri.org/IEcho/Echo --body "$ECHO" "$@"; }
# An unknown SPN with NTLM allowed: Negotiate falls back to NTLM, which the
# service refuses for a Kerberos-only user: the fallback is named, not the password
call --identity spn:host/nothere.nettcp.test --no-require-server-auth --user "$NTCP_REALM_USER" >/dev/null 2>"$tmp/err"
contains "fallback to NTLM: cause" "$(cat "$tmp/err")" $'cause: ntlm_fallback\nadvice: '
lacks "fallback to NTLM: not the password" "$(cat "$tmp/err")" "bad_password"
"$nettcp" doctor "$url" --identity spn:host/nothere.nettcp.test --no-require-server-auth --user "$NTCP_REALM_USER" \
    >"$tmp/doc" 2>&1
contains "fallback to NTLM: doctor cause" "$(cat "$tmp/doc")" "cause:  ntlm_fallback"
contains "fallback to NTLM: doctor says why not Kerberos" "$(cat "$tmp/doc")" "Kerberos was not used: spn_unknown"
# ProtectionLevel None forces NTLM: said so, with server authentication required or not
call --identity spn:host/svc.nettcp.test --package kerberos --protection none --user "$NTCP_REALM_USER" \
    >/dev/null 2>"$tmp/err"
contains "kerberos + protection none: why NTLM" "$(cat "$tmp/err")" "ProtectionLevel None forces NTLM"
call --identity spn:host/svc.nettcp.test --package kerberos --protection none --no-require-server-auth \
    --user "$NTCP_REALM_USER" >/dev/null 2>"$tmp/err"
contains "kerberos + protection none, NTLM refused: cause" "$(cat "$tmp/err")" $'cause: ntlm_forced\nadvice: '
# call -v with NTLM: no service name claimed
NETTCP_PASSWORD=$NTCP_REALM_NTLM_PASSWORD call --package ntlm --no-require-server-auth --user "$NTCP_REALM_NTLM_USER" \
    -v >/dev/null 2>"$tmp/err"
got=$(grep 'security:' "$tmp/err")
contains "call -v, NTLM: not authenticated" "$got" "the service was not authenticated"
lacks "call -v, NTLM: no service name" "$got" "service host/"
got=$(call --identity spn:host/svc.nettcp.test --user "$NTCP_REALM_USER" -v 2>&1 >/dev/null | grep 'security:')
contains "call -v, Kerberos: the service's name" "$got" "mutual authentication, service host/svc.nettcp.test@$NTCP_REALM"
# a UPN without @: said so by doctor too
"$nettcp" doctor "$url" --identity upn:svcacct --user "$NTCP_REALM_USER" >"$tmp/doc" 2>&1
contains "upn without domain: doctor cause" "$(cat "$tmp/doc")" "cause:  identity_invalid"
lacks "upn without domain: no empty reference" "$(cat "$tmp/doc")" "see the GSS and Kerberos errors above"
finish
