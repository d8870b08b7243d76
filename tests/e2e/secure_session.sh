#!/usr/bin/env bash
# Secured net.tcp sessions (framing + NegotiateStream + real KDC) between our
# client channel and our service host. Ends with "N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${NTCP_BUILD:-build}
case "$build" in /*) ;; *) build=$here/$build ;; esac
bin=$build/tests/e2e/secure_session
[ -x "$bin" ] || { echo "secure_session.sh: $bin is missing (run make)" >&2; echo "0 passed, 1 failed"; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/nettcp-secure.XXXXXX")
trap '"$here/scripts/realm" stop "$dir" >/dev/null 2>&1 || rm -rf "$dir"' EXIT
"$here/scripts/realm" start "$dir" >/dev/null || { echo "the realm did not start" >&2; echo "0 passed, 1 failed"; exit 1; }
# shellcheck disable=SC1091
. "$dir/env"
"$bin" "$@"
