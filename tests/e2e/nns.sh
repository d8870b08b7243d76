#!/usr/bin/env bash
# End-to-end NegotiateStream tests against a throwaway MIT KDC.
# Starts the realm (scripts/realm), runs build/tests/e2e/nns_e2e (the build
# directory comes from NTCP_BUILD, default "build"), stops the realm, and ends
# with the line "N passed, N failed". Exit 0 only if every case passed.
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${NTCP_BUILD:-build}
case "$build" in /*) ;; *) build=$here/$build ;; esac
bin=$build/tests/e2e/nns_e2e
if [ ! -x "$bin" ]; then
    echo "nns.sh: $bin is missing (run make)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/nettcp-nns-e2e.XXXXXX")
trap '"$here/scripts/realm" stop "$dir" >/dev/null 2>&1 || rm -rf "$dir"' EXIT
if ! "$here/scripts/realm" start "$dir" >/dev/null; then
    echo "nns.sh: the realm did not start" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
# shellcheck disable=SC1091
. "$dir/env"
# the default-ccache case uses a ticket obtained the ordinary way
printf '%s\n' "$NTCP_REALM_PASSWORD" | kinit "$NTCP_REALM_USER" >/dev/null 2>&1 || echo "nns.sh: kinit failed" >&2
# an anonymous ticket (anonymous PKINIT) obtained the ordinary way, in its own ccache
kinit -n -c "FILE:$dir/anonymous.ccache" >/dev/null 2>&1 || echo "nns.sh: kinit -n failed" >&2
# ASan: the clock-skew case runs the acceptor under faketime (LD_PRELOAD)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
out=$("$bin" "$@" 2>"$dir/stderr.log")
rc=$?
printf '%s\n' "$out" | sed '$d'
if [ $rc -ne 0 ] && [ -s "$dir/stderr.log" ]; then
    echo "--- stderr" >&2
    cat "$dir/stderr.log" >&2
fi
last=$(printf '%s\n' "$out" | tail -n 1)
case "$last" in
*" passed, "*" failed") echo "$last" ;;
*) echo "0 passed, 1 failed"; rc=1 ;;
esac
exit $rc
