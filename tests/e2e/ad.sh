#!/usr/bin/env bash
# Identities and diagnoses against a real Active Directory: a throwaway Samba
# AD DC (scripts/realm start --ad), provisioned once for the whole suite, in a
# network namespace of the suite's own (it needs ports 88 and 389). Runs the
# identity matrix shared with identity.sh, then what only a directory shows.
# Ends with "N passed, N failed".
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${NTCP_AD_NETNS:-}" ]; then
    command -v samba >/dev/null || { echo "ad.sh: samba is not installed (scripts/bootstrap)" >&2; echo "0 passed, 1 failed"; exit 1; }
    # root: a network namespace; otherwise a user namespace that maps us to root in it
    if [ "$(id -u)" -eq 0 ]; then
        NTCP_AD_NETNS=1 exec unshare -n bash "$0" "$@"
    else
        NTCP_AD_NETNS=1 exec unshare -rn bash "$0" "$@"
    fi
    echo "ad.sh: cannot make a network namespace (unshare)" >&2; echo "0 passed, 1 failed"; exit 1
fi
ip link set lo up || { echo "ad.sh: cannot bring up lo in the namespace" >&2; echo "0 passed, 1 failed"; exit 1; }
realm_dir=$(mktemp -d "${TMPDIR:-/tmp}/nettcp-ad.XXXXXX")
t0=$SECONDS
if ! "$here/scripts/realm" start --ad "$realm_dir" >/dev/null; then
    echo "ad.sh: the AD realm did not start" >&2
    rm -rf "$realm_dir"
    echo "0 passed, 1 failed"
    exit 1
fi
# shellcheck disable=SC1091
. "$realm_dir/env"
echo "ad.sh: Samba AD DC provisioned and started in $((SECONDS - t0)) s"
source "$(dirname "$0")/common.bash"
trap 'for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done; wait; "$here/scripts/realm" stop "$realm_dir" >/dev/null 2>&1; rm -rf "$tmp" "$realm_dir"' EXIT

serve main --keytab "$NTCP_REALM_SERVICE_KEYTAB" --trace "$tmp/main.trace"
main=$url
serve nodeleg --keytab "$NTCP_REALM_NODELEG_KEYTAB" --trace "$tmp/nodeleg.trace"
nodeleg=$url
serve rc4 --keytab "$NTCP_REALM_RC4_KEYTAB"
rc4=$url
serve enc --keytab "$NTCP_REALM_ENC_KEYTAB"
enc=$url
url=$main
# the UPN as the directory spells it (svcwcf@ad.nettcp.test) and as the realm does
M=ad M_TRACE=$tmp/main.trace M_SPN=$NTCP_REALM_SERVICE_SPN M_DNS=svc.ad.nettcp.test
M_UPNS=("$NTCP_REALM_SERVICE_UPN" "svcwcf@$NTCP_REALM")
M_OTHER_SPN=host/box.ad.nettcp.test M_NODELEG_URL=$nodeleg M_NODELEG_SPN=host/nodeleg.ad.nettcp.test
M_NODELEG_TRACE=$tmp/nodeleg.trace M_RC4_URL=$rc4 M_RC4_SPN=host/rc4.ad.nettcp.test
M_ENC_URL=$enc M_ENC_SPN=host/enc.ad.nettcp.test M_ENC_KEYTAB=$NTCP_REALM_ENC_KEYTAB
source "$(dirname "$0")/identity_matrix.bash"

# what the KDC answered for the UPN: AD's enterprise form, accepted as the service
got=$("$nettcp" call "$main" --action http://tempuri.org/IEcho/Echo --body "$MX_ECHO" --user "$NTCP_REALM_USER" \
    --identity "upn:$NTCP_REALM_SERVICE_UPN" -v 2>&1 >/dev/null | grep 'security:')
contains "ad: upn: the enterprise name the KDC returned" "$got" "service svcwcf\\@${NTCP_REALM_SERVICE_UPN#*@}@$NTCP_REALM"

# ---- doctor reads the directory --------------------------------------------------
field() { # FILE PATH: one value of doctor's JSON report (python3: an independent parser)
    python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
path = sys.argv[2]
if path.startswith("step:"):
    s = next(s for s in d["steps"] if s["name"] == path[5:])
    print(s["outcome"] + " " + s["detail"])
else:
    v = d
    for k in path.split("."):
        v = v[int(k)] if isinstance(v, list) else v[k]
    print(str(v).lower() if isinstance(v, bool) else v)
' "$@"
}
doctor() { # NAME ARGS...: the JSON report in $tmp/NAME.json, exit status in $rc
    local name=$1; shift
    "$nettcp" doctor --json --user "$NTCP_REALM_USER" "$@" >"$tmp/$name.json" 2>"$tmp/$name.err"
    rc=$?
}
doctor ok "$main" --identity "spn:$NTCP_REALM_SERVICE_SPN"
check "doctor ok: exit status" "$rc" 0
contains "doctor ok: directory step" "$(field "$tmp/ok.json" step:directory)" \
    "ok ldap://127.0.0.1 (servicePrincipalName=host/svc.ad.nettcp.test): host/svc.ad.nettcp.test belongs to CN=svcwcf,CN=Users,DC=ad,DC=nettcp,DC=test (svcwcf, user account; encryption types AES128,AES256; flags NORMAL_ACCOUNT,TRUSTED_FOR_DELEGATION; key version 3)"
check "doctor ok: directory read" "$(field "$tmp/ok.json" directory.checked)" true
check "doctor ok: the account" "$(field "$tmp/ok.json" directory.accounts.0.sam_account_name) $(field "$tmp/ok.json" directory.accounts.0.user_principal_name) $(field "$tmp/ok.json" directory.accounts.0.supported_encryption_types) $(field "$tmp/ok.json" directory.accounts.0.user_account_control)" \
    "svcwcf svcwcf@ad.nettcp.test 24 524800"
contains "doctor ok: the ticket's service is trusted for delegation" "$(field "$tmp/ok.json" step:kdc)" \
    "aes256-cts-hmac-sha1-96, trusted for delegation)"
doctor nodeleg "$nodeleg" --identity spn:host/nodeleg.ad.nettcp.test --impersonation delegate
check "doctor delegation to an untrusted account: exit status" "$rc" 0
contains "doctor delegation to an untrusted account: said" "$(field "$tmp/nodeleg.json" step:directory)" \
    "delegation was allowed, but the account is not trusted for delegation: no credential is forwarded"
lacks "doctor delegation to an untrusted account: ticket not marked" "$(field "$tmp/nodeleg.json" step:kdc)" \
    "trusted for delegation"
# the UPN in the realm's spelling finds the account too
doctor upn "$main" --identity "upn:svcwcf@$NTCP_REALM"
check "doctor upn: exit status" "$rc" 0
contains "doctor upn: directory step" "$(field "$tmp/upn.json" step:directory)" \
    "(userPrincipalName=svcwcf@AD.NETTCP.TEST): svcwcf@AD.NETTCP.TEST belongs to CN=svcwcf"
# the seeds' classic: the default host/<name> belongs to a computer account
doctor default "${main/127.0.0.1/localhost}"
check "doctor default SPN: cause" "$(field "$tmp/default.json" cause)" spn_wrong_account
contains "doctor default SPN: advice" "$(field "$tmp/default.json" advice)" \
    "host/localhost belongs to CN=WEB1,CN=Computers,DC=ad,DC=nettcp,DC=test (WEB1\$, computer account"
# without the directory: the old diagnosis, and what was not checked
doctor default_noldap "${main/127.0.0.1/localhost}" --no-ldap
check "doctor default SPN, --no-ldap: cause" "$(field "$tmp/default_noldap.json" cause)" default_spn_not_service
contains "doctor default SPN, --no-ldap: not checked" "$(field "$tmp/default_noldap.json" advice)" \
    "Directory: not read (--no-ldap): which account holds the name, its encryption types and account flags were not checked."
check "doctor default SPN, --no-ldap: step" "$(field "$tmp/default_noldap.json" step:directory | cut -d' ' -f1)" skipped
# another account's SPN, with the service's keytab known
doctor other "$main" --identity spn:host/box.ad.nettcp.test --service-keytab "$NTCP_REALM_SERVICE_KEYTAB"
check "doctor another account's SPN: cause" "$(field "$tmp/other.json" cause)" spn_wrong_account
contains "doctor another account's SPN: advice" "$(field "$tmp/other.json" advice)" \
    "the service's keytab holds no key of svcother but of svcwcf@AD.NETTCP.TEST, host/svc.ad.nettcp.test@AD.NETTCP.TEST: the service runs as another account"
doctor other_nokt "$main" --identity spn:host/box.ad.nettcp.test
check "doctor another account's SPN, keytab unknown: cause" "$(field "$tmp/other_nokt.json" cause)" service_key_mismatch
contains "doctor another account's SPN, keytab unknown: the owner" "$(field "$tmp/other_nokt.json" step:directory)" \
    "host/box.ad.nettcp.test belongs to CN=svcother"
# RC4 keys in the keytab, AES asked for by the account
doctor enc "$enc" --identity spn:host/enc.ad.nettcp.test --service-keytab "$NTCP_REALM_ENC_KEYTAB"
check "doctor RC4 keytab, AES ticket: cause" "$(field "$tmp/enc.json" cause)" enctype_mismatch
contains "doctor RC4 keytab, AES ticket: advice" "$(field "$tmp/enc.json" advice)" \
    "the KDC encrypted the ticket with aes256-cts-hmac-sha1-96, and the service's keytab holds no aes256-cts-hmac-sha1-96 key for it"
# the client's own account: refused by the KDC, named
doctor dave "$main" --identity "spn:$NTCP_REALM_SERVICE_SPN" --user "dave@$NTCP_REALM"
check "doctor disabled account: cause" "$(field "$tmp/dave.json" cause)" account_disabled
doctor erin "$main" --identity "spn:$NTCP_REALM_SERVICE_SPN" --user "erin@$NTCP_REALM"
check "doctor expired password: cause" "$(field "$tmp/erin.json" cause)" password_expired
# an unknown SPN: no account holds it
doctor unknown "$main" --identity spn:host/nothere.ad.nettcp.test --package kerberos
check "doctor unknown SPN: cause" "$(field "$tmp/unknown.json" cause)" spn_unknown
contains "doctor unknown SPN: the directory agrees" "$(field "$tmp/unknown.json" step:directory)" \
    "no account in the directory holds host/nothere.ad.nettcp.test"
finish
