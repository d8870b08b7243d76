#!/usr/bin/env bash
# Independent check of our MC-NMF bytes: capture sessions between our
# initiator and acceptor on loopback and have tshark's mc-nmf dissector read
# them. Every record we sent must appear, in order, with the same type, and
# no packet may carry a malformed mark.
set -u
BUILD=${NTCP_BUILD:-build}
prog="$BUILD/tests/interop/nmf_loopback"
source "$(dirname "$0")/checks.bash"

command -v tshark >/dev/null || { bad "tshark is not installed (scripts/bootstrap installs it)"; finish; }
[ -x "$prog" ] || { bad "$prog is not built"; finish; }

tmp=$(mktemp -d)
trap 'kill $tpid 2>/dev/null; [ -n "${NTCP_KEEP_TMP:-}" ] || rm -rf "$tmp"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# tshark dissects live (-l flushes every packet): direction port, record types, malformed mark
tshark -i lo -f "tcp port $port" -l -n -d "tcp.port==$port,mc-nmf" -T fields -E separator=';' -E aggregator=, \
    -e tcp.dstport -e mc-nmf.record_type -e _ws.malformed -e _ws.expert.severity \
    >"$tmp/seen.raw" 2>"$tmp/tshark.err" &
tpid=$!
# wait (with a deadline) until a probe connection shows up in the capture
for _ in $(seq 1 400); do
    kill -0 $tpid 2>/dev/null || break
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
    [ -s "$tmp/seen.raw" ] && break
    read -r -t 0.05 <> <(:) || true
done
[ -s "$tmp/seen.raw" ] || { bad "tshark could not capture on lo: $(cat "$tmp/tshark.err")"; finish; }

if out=$("$prog" "$port" "$tmp/sent.txt"); then ok; else bad "nmf_loopback: $out"; fi
# stop the capture once the last record (the final Fault) has been seen, or after a deadline
want=$(grep -c . "$tmp/sent.txt")
for _ in $(seq 1 200); do
    have=$(cut -d';' -f2 "$tmp/seen.raw" | tr ',' '\n' | grep -c .)
    [ "$have" -ge "$want" ] && break
    read -r -t 0.05 <> <(:) || true
done
kill -INT $tpid; wait $tpid 2>/dev/null

malformed=$(awk -F';' '$3 != "" || $4 ~ /0x0080/' "$tmp/seen.raw" | wc -l)
if [ "$malformed" -eq 0 ]; then ok; else bad "$malformed packet(s) marked malformed or as errors by the mc-nmf dissector"; fi

names=(Version Mode Via KnownEncoding ExtensibleEncoding UnsizedEnvelope SizedEnvelope End Fault \
       UpgradeRequest UpgradeResponse PreambleAck PreambleEnd)
: > "$tmp/seen.txt"
while IFS=';' read -r dport types _; do
    [ -n "$types" ] || continue
    dir="s>c"; [ "$dport" = "$port" ] && dir="c>s"
    IFS=, read -ra ts <<< "$types"
    for t in "${ts[@]}"; do
        echo "$dir ${names[$((t))]:-Unknown$t}" >> "$tmp/seen.txt"
    done
done < "$tmp/seen.raw"

# compare per direction (the two directions interleave by packet timing)
for d in 'c>s' 's>c'; do
    grep -F "$d " "$tmp/sent.txt" > "$tmp/sent.$d" || true
    grep -F "$d " "$tmp/seen.txt" > "$tmp/seen.$d" || true
    if [ -s "$tmp/sent.$d" ] && cmp -s "$tmp/sent.$d" "$tmp/seen.$d"; then
        ok
    else
        bad "records $d differ (sent vs tshark):"; diff "$tmp/sent.$d" "$tmp/seen.$d" | head -20 >&2
    fi
done
n=$(wc -l < "$tmp/seen.txt")
echo "tshark mc-nmf read $n records, $(grep -c . "$tmp/sent.txt") sent" >&2
finish
