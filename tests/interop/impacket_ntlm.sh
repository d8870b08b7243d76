#!/usr/bin/env bash
# impacket (an independent NTLM implementation) as a NegotiateStream client
# of `nettcp serve`: its NEGOTIATE is the 32-byte form without the Version
# field (MS-NLMP 2.2.1.1), which gss-ntlmssp refuses as it comes; the service
# accepts it and the logon completes. Ends with "N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${NTCP_BUILD:-build}
case "$build" in /*) ;; *) build=$here/$build ;; esac
source "$(dirname "$0")/checks.bash"
if ! /usr/bin/python3 -c 'import impacket.ntlm' 2>/dev/null; then
    echo "impacket_ntlm.sh: needs python3-impacket (scripts/bootstrap)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/nettcp-impacket.XXXXXX")
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait; "$here/scripts/realm" stop "$dir/realm" >/dev/null 2>&1; rm -rf "$dir"' EXIT
"$here/scripts/realm" start "$dir/realm" >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
. "$dir/realm/env"
"$build/nettcp" serve net.tcp://127.0.0.1:0/calc --keytab "$NTCP_REALM_SERVICE_KEYTAB" -v >"$dir/serve.out" 2>"$dir/serve.err" &
pid=$!
for _ in $(seq 1 200); do grep -qs '^listening on' "$dir/serve.out" && break; pause; done
url=$(sed -n 's/^listening on \([^ ]*\).*/\1/p' "$dir/serve.out")
port=${url#net.tcp://127.0.0.1:}; port=${port%%/*}
[ -n "$url" ] || { echo "impacket_ntlm.sh: the service did not start" >&2; echo "0 passed, 1 failed"; exit 1; }
out=$(/usr/bin/python3 "$here/tests/interop/impacket_nns.py" "$port" "$url" carol "$NTCP_REALM_NTLM_PASSWORD" NETTCP 2>&1)
check "impacket: a 32-byte NEGOTIATE, accepted, logon done" "negotiate 32 bytes
challenge
done" "$out"
out=$(/usr/bin/python3 "$here/tests/interop/impacket_nns.py" "$port" "$url" carol wrong-password NETTCP 2>&1)
check "impacket: a wrong password, refused at the end" "negotiate 32 bytes
challenge
error 0x000000008009030c" "$out"
for _ in $(seq 1 100); do grep -qs 'cause: bad_password' "$dir/serve.err" && break; pause; done
if grep -q 'cause: bad_password' "$dir/serve.err"; then ok; else bad "impacket: the service names bad_password: $(cat "$dir/serve.err")"; fi
if grep -q 'malformed_token' "$dir/serve.err"; then bad "impacket: the NEGOTIATE was refused: $(cat "$dir/serve.err")"; else ok; fi
finish
