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
M_NODELEG_TRACE=$tmp/nodeleg.trace
source "$(dirname "$0")/identity_matrix.bash"

# what the KDC answered for the UPN: AD's enterprise form, accepted as the service
got=$("$nettcp" call "$main" --action http://tempuri.org/IEcho/Echo --body "$MX_ECHO" --user "$NTCP_REALM_USER" \
    --identity "upn:$NTCP_REALM_SERVICE_UPN" -v 2>&1 >/dev/null | grep 'security:')
contains "ad: upn: the enterprise name the KDC returned" "$got" "service svcwcf\\@${NTCP_REALM_SERVICE_UPN#*@}@$NTCP_REALM"

# keytabs: RC4 keys only (the account asks for nothing else) work; RC4 keys
# while the account asks for AES do not
got=$(mx_call "$rc4" --identity spn:host/rc4.ad.nettcp.test 2>&1)
contains "ad: an RC4-only keytab" "$got" "$mx_caller"
mx_fails "RC4 keytab, AES ticket" service_key_mismatch "$enc" --identity spn:host/enc.ad.nettcp.test
finish
