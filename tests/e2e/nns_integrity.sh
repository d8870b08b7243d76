#!/usr/bin/env bash
# Tampered, replayed, reordered, truncated, lying and rotated NegotiateStream
# data frames under real Kerberos and NTLM contexts, with Kerberos tokens
# through the libcrypto path and through MIT's gss_wrap/gss_unwrap
# (NTCP_GSS_FAST_WRAP=0). Ends with "N passed, N failed" for both runs.
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${NTCP_BUILD:-build}
case "$build" in /*) ;; *) build=$here/$build ;; esac
pass=0 fail=0
for fast in 1 0; do
    echo "== NTCP_GSS_FAST_WRAP=$fast"
    out=$(NTCP_GSS_FAST_WRAP=$fast "$here/scripts/with-realm" "$build/tests/e2e/nns_integrity" "$@" 2>&1)
    rc=$?
    printf '%s\n' "$out" | grep -Ev '^[0-9]+ passed, [0-9]+ failed$'
    line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
    if [ -z "$line" ] || { [ $rc -ne 0 ] && [ $rc -ne 1 ]; }; then
        fail=$((fail + 1)) # crashed
        continue
    fi
    pass=$((pass + ${line%% passed*}))
    f=${line#*passed, }
    fail=$((fail + ${f%% failed}))
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
