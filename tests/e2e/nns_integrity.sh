#!/usr/bin/env bash
# Tampered, replayed, reordered, truncated and lying NegotiateStream data
# frames under real Kerberos and NTLM contexts. Ends with "N passed, N failed".
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${NTCP_BUILD:-build}
case "$build" in /*) ;; *) build=$here/$build ;; esac
"$here/scripts/with-realm" "$build/tests/e2e/nns_integrity" "$@" || { [ $? -eq 1 ] || echo "0 passed, 1 failed"; exit 1; }
