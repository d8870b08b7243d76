#!/usr/bin/env bash
# The libcrypto RFC 4121 fast path (src/negotiate/cfx.c) against MIT's
# gss_wrap/gss_unwrap as the independent implementation, over real Kerberos
# contexts from a throwaway KDC. Ends with "N passed, N failed".
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${NTCP_BUILD:-build}
case "$build" in /*) ;; *) build=$here/$build ;; esac
# shellcheck disable=SC2016
"$here/scripts/with-realm" bash -c 'printf "%s\n" "$NTCP_REALM_PASSWORD" | kinit "$NTCP_REALM_USER" >/dev/null && exec "$0" "$@"' \
    "$build/tests/e2e/cfx_cross" "$@" || { [ $? -eq 1 ] || echo "0 passed, 1 failed"; exit 1; }
