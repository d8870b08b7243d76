#!/usr/bin/env bash
# Independent reading of our NegotiateStream bytes: capture real sessions
# (real KDC, real GSSAPI) as a pcap and check that tshark's mc-nmf/ms-nns
# dissectors see the same handshake messages (id, payload size) and data
# frame sizes, in each direction, as our own encoder meant to send.
# Uses $NTCP_BUILD/tests/e2e/nns_e2e (default build). Ends with
# "N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${NTCP_BUILD:-build}
case "$build" in /*) ;; *) build=$here/$build ;; esac
bin=$build/tests/e2e/nns_e2e
if [ ! -x "$bin" ] || ! command -v tshark >/dev/null; then
    echo "nns_tshark.sh: needs $bin and tshark" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/nettcp-nns-tshark.XXXXXX")
trap '"$here/scripts/realm" stop "$dir/realm" >/dev/null 2>&1; rm -rf "$dir"' EXIT
"$here/scripts/realm" start "$dir/realm" >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
. "$dir/realm/env"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
passed=0 failed=0
for case in spnego_kerberos_encrypt_and_sign kerberos_sign ntlm_encrypt_and_sign spnego_ntlm; do
    if ! "$bin" --pcap "$dir/$case.pcap" "$dir/$case.want" "$case" >"$dir/$case.log" 2>&1; then
        echo "FAIL $case: the session failed"; cat "$dir/$case.log"; failed=$((failed + 1)); continue
    fi
    tshark -2 -r "$dir/$case.pcap" -d tcp.port==808,mc-nmf -T fields \
        -e tcp.srcport -e ms-nns.message_id -e ms-nns.auth_payload_size -e ms-nns.payload_size 2>/dev/null |
        awk -F'\t' '{
            d = ($1 == 808) ? "S" : "C"
            if ($2 != "") printf "%s handshake 0x%02x %d\n", d, $2, $3
            if ($4 != "") { n = split($4, a, ","); for (i = 1; i <= n; i++) printf "%s data %d\n", d, a[i] }
        }' >"$dir/$case.got"
    ok=1
    for d in C S; do
        if ! diff <(grep "^$d " "$dir/$case.want") <(grep "^$d " "$dir/$case.got") >"$dir/$case.diff"; then ok=0; fi
    done
    if [ $ok = 1 ] && [ -s "$dir/$case.want" ]; then
        echo "ok   $case ($(wc -l <"$dir/$case.want") NNS messages agree with tshark)"; passed=$((passed + 1))
    else
        echo "FAIL $case: tshark reads the stream differently"
        diff "$dir/$case.want" "$dir/$case.got"; failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
