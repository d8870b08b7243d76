# The identity and failure matrix, run against each realm (not a test itself:
# identity.sh runs it against the MIT realm, ad.sh against the Samba AD DC).
# Source it after checks.bash with a service started and these set:
#   M         a label for the check names ("mit", "ad")
#   url       a service holding the keys of $M_SPN and of the $M_UPN account,
#             writing its trace to $M_TRACE
#   M_SPN     the service's SPN;  M_DNS  a host name whose host/ SPN is M_SPN
#   M_UPNS    the service account's UPN, in every spelling the KDC accepts
#   M_OTHER_SPN      an SPN of another account (the service has not its key)
#   M_NODELEG_URL    a service whose SPN M_NODELEG_SPN is not trusted for
#                    delegation, tracing to M_NODELEG_TRACE
#   M_RC4_URL        a service holding only an RC4 key for M_RC4_SPN, which
#                    the KDC encrypts its tickets with
#   M_ENC_URL        a service whose keytab M_ENC_KEYTAB holds only an RC4 key
#                    for M_ENC_SPN, while the KDC's tickets for it are AES
MX_ECHO='<Echo xmlns="http://tempuri.org/"><text>matrix</text></Echo>'
mx_call() { # URL ARGS...: an Echo call as $NTCP_REALM_USER
    local u=$1; shift
    "$nettcp" call "$u" --action http://tempuri.org/IEcho/Echo --body "$MX_ECHO" --user "$NTCP_REALM_USER" "$@"
}
mx_fails() { # NAME CAUSE URL ARGS...: the call fails with CAUSE
    local name=$1 cause=$2; shift 2
    mx_call "$@" >/dev/null 2>"$tmp/mx.err"
    check "$M: $name: exit status" "$?" 1
    contains "$M: $name: cause" "$(cat "$tmp/mx.err")" "cause: $cause"$'\nadvice: '
}
export NETTCP_PASSWORD=$NTCP_REALM_PASSWORD
mx_caller="[caller: $NTCP_REALM_USER, Kerberos, EncryptAndSign]"

# identities that name the service: SPN, SPN@REALM, dns:, the UPN
for id in "spn:$M_SPN" "spn:$M_SPN@$NTCP_REALM" "dns:$M_DNS" "${M_UPNS[@]/#/upn:}"; do
    got=$(mx_call "$url" --identity "$id" --package kerberos 2>&1)
    contains "$M: identity $id" "$got" "$mx_caller"
done
# the doctor agrees: the identity step names what the KDC returned
for id in "spn:$M_SPN@$NTCP_REALM" "upn:${M_UPNS[0]}"; do
    got=$("$nettcp" doctor "$url" --identity "$id" --user "$NTCP_REALM_USER" --package kerberos 2>&1)
    contains "$M: doctor identity $id" "$got" "result: ok"
done
# the SPN in a realm without a trust: the KDC knows no such name
mx_fails "spn@another realm" spn_unknown "$url" --identity "spn:$M_SPN@OTHER.$NTCP_REALM" --package kerberos
# the default host/<address>: the KDC's name for it is not the service's account
mx_fails "default host/localhost" default_spn_not_service "${url/127.0.0.1/localhost}" --package kerberos
# another account's SPN: the service cannot decrypt
mx_fails "another account's SPN" service_key_mismatch "$url" --identity "spn:$M_OTHER_SPN" --package kerberos
# a UPN without @DOMAIN
mx_fails "upn without domain" identity_invalid "$url" --identity "upn:${M_UPNS[0]%@*}"
# a disabled account, an expired password
mx_fails "disabled account" account_disabled "$url" --identity "spn:$M_SPN" --user "dave@$NTCP_REALM"
mx_fails "expired password" password_expired "$url" --identity "spn:$M_SPN" --user "erin@$NTCP_REALM"
"$nettcp" doctor "$url" --identity "spn:$M_SPN" --user "erin@$NTCP_REALM" >"$tmp/mx.doc" 2>&1
contains "$M: doctor: expired password" "$(cat "$tmp/mx.doc")" "cause:  password_expired"
contains "$M: doctor: expired password, at credentials" "$(cat "$tmp/mx.doc")" "result: FAILED at credentials"

# delegation: to a service trusted for delegation, the credential and the
# Delegation level; to one that is not, neither (as Windows clients)
n=$(grep -c '"event":"request"' "$M_TRACE")
mx_call "$url" --identity "spn:$M_SPN" --impersonation delegate >/dev/null 2>&1
check "$M: delegation to a trusted service: call" "$?" 0
traced "$M_TRACE" '"event":"request"' $((n + 1))
contains "$M: delegation to a trusted service" "$(grep '"event":"request"' "$M_TRACE" | tail -1)" \
    '"impersonation":"Delegation","delegated":"true"'
n=$(grep -c '"event":"request"' "$M_NODELEG_TRACE")
mx_call "$M_NODELEG_URL" --identity "spn:$M_NODELEG_SPN" --impersonation delegate >/dev/null 2>&1
check "$M: delegation to an untrusted service: call" "$?" 0
traced "$M_NODELEG_TRACE" '"event":"request"' $((n + 1))
contains "$M: delegation to an untrusted service" "$(grep '"event":"request"' "$M_NODELEG_TRACE" | tail -1)" \
    '"impersonation":"Impersonation","delegated":"false"'
n=$(grep -c '"event":"request"' "$M_TRACE")
mx_call "$url" --identity "spn:$M_SPN" --impersonation identify >/dev/null 2>&1
traced "$M_TRACE" '"event":"request"' $((n + 1))
contains "$M: identification only" "$(grep '"event":"request"' "$M_TRACE" | tail -1)" \
    '"impersonation":"Identification","delegated":"false"'

# keytabs: RC4 only, where the KDC uses RC4, works; RC4 only where the KDC
# uses AES does not, and doctor names it given the service's keytab
got=$(mx_call "$M_RC4_URL" --identity "spn:$M_RC4_SPN" 2>&1)
contains "$M: an RC4-only keytab" "$got" "$mx_caller"
mx_fails "RC4 keytab, AES ticket" service_key_mismatch "$M_ENC_URL" --identity "spn:$M_ENC_SPN"
"$nettcp" doctor "$M_ENC_URL" --identity "spn:$M_ENC_SPN" --user "$NTCP_REALM_USER" --service-keytab "$M_ENC_KEYTAB" \
    >"$tmp/mx.doc" 2>&1
contains "$M: doctor: RC4 keytab, AES ticket" "$(cat "$tmp/mx.doc")" "cause:  enctype_mismatch"
contains "$M: doctor: RC4 keytab, AES ticket: what the keytab holds" "$(cat "$tmp/mx.doc")" \
    "no aes256-cts-hmac-sha1-96 key"
