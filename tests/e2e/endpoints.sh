#!/usr/bin/env bash
# Two endpoints on one port with different security (Transport with Kerberos,
# None) between our client and our service host, over a throwaway realm.
# Ends with "N passed, N failed".
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${NTCP_BUILD:-build}
case "$build" in /*) ;; *) build=$here/$build ;; esac
"$here/scripts/with-realm" "$build/tests/e2e/endpoints" "$@" || { [ $? -eq 1 ] || echo "0 passed, 1 failed"; exit 1; }
