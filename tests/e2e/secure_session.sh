#!/usr/bin/env bash
# Secured net.tcp sessions (framing + NegotiateStream + real KDC) between our
# client channel and our service host. Ends with "N passed, N failed".
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${NTCP_BUILD:-build}
case "$build" in /*) ;; *) build=$here/$build ;; esac
"$here/scripts/with-realm" "$build/tests/e2e/secure_session" "$@" || { [ $? -eq 1 ] || echo "0 passed, 1 failed"; exit 1; }
