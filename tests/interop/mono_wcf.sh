#!/usr/bin/env bash
# Mono's WCF as an independent NetTcpBinding peer (SecurityMode.None).
# Builds MonoService/MonoClient (tests/interop/mono/*.cs) with mcs, runs the
# client against the service on 127.0.0.1, checks every result it prints,
# captures the TCP exchange with tshark and has our decoder (nettcp frames)
# read each connection: the MC-NMF records must be the duplex session
# sequence WCF sends. Also checks that the service stops cleanly on stdin EOF
# and on SIGTERM. Nothing is skipped: a missing tool is a failure.
set -u
BUILD=${NTCP_BUILD:-build}
VEC=$(cd "$(dirname "$0")/../vectors" && pwd)
src=$(cd "$(dirname "$0")/mono" && pwd)
nettcp="$BUILD/nettcp"
source "$(dirname "$0")/checks.bash"

for tool in mono mcs tshark python3; do
    command -v $tool >/dev/null || { bad "$tool is not installed (run scripts/bootstrap)"; finish; }
done
[ -x "$nettcp" ] || { bad "$nettcp is not built (run make)"; finish; }
preamble_vec="$VEC/mono-nettcp-client-preamble.hex"
[ -f "$preamble_vec" ] || { bad "$preamble_vec not found"; finish; }

# --- build the C# programs
. "$src/build.sh"

tmp=$(mktemp -d)
tpid= spid= s2pid=
cleanup() {
    [ -z "$tpid" ] || kill $tpid 2>/dev/null
    for p in $spid $s2pid; do kill -KILL "$p" 2>/dev/null; done   # a hung Mono may ignore SIGTERM
    exec 3>&- 2>/dev/null
    [ -n "${NTCP_KEEP_TMP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
url="net.tcp://127.0.0.1:$port/calc"
echo_url="$url/echo"

# --- capture: one line per TCP segment: stream;srcport;seq;payload (hex)
tshark -i lo -f "tcp port $port" -l -n -T fields -E separator=';' \
    -e tcp.stream -e tcp.srcport -e tcp.seq -e tcp.payload >"$tmp/cap.raw" 2>"$tmp/tshark.err" &
tpid=$!
# wait (with a deadline) until a probe connection shows up in the capture; nothing
# listens on the port yet, so the probe is a SYN answered by a RST
for _ in $(seq 1 400); do
    kill -0 $tpid 2>/dev/null || break
    (exec 4<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
    [ -s "$tmp/cap.raw" ] && break
    pause
done
[ -s "$tmp/cap.raw" ] || { bad "tshark could not capture on lo: $(cat "$tmp/tshark.err")"; finish; }
probes=$(cut -d';' -f1 "$tmp/cap.raw" | sort -u | wc -l)

# --- service: stdin from a fifo, so closing fd 3 is its EOF
wait_ready() { # pid, stdout file; polls up to 30 s for the "ready" line
    local i
    for i in $(seq 1 600); do
        grep -q '^ready ' "$2" 2>/dev/null && return 0
        kill -0 "$1" 2>/dev/null || return 1
        pause
    done
    return 1
}
wait_exit() { # pid; polls up to 15 s, then returns the exit status (124: still running)
    local i
    for i in $(seq 1 300); do
        kill -0 "$1" 2>/dev/null || { wait "$1"; return $?; }
        pause
    done
    return 124
}
mkfifo "$tmp/svc.in"
# Mono runs in $tmp: a crash report (mono_crash.*.json) lands there, not in the tree
(cd "$tmp" && exec mono "$bin/MonoService.exe" "$url") <"$tmp/svc.in" >"$tmp/svc.out" 2>"$tmp/svc.err" &
spid=$!
exec 3>"$tmp/svc.in"
if wait_ready $spid "$tmp/svc.out"; then
    check "service ready line" "ready $url" "$(head -1 "$tmp/svc.out")"
else
    bad "MonoService did not get ready: $(cat "$tmp/svc.err")"; finish
fi

# --- client: every printed result, exactly
long=$(printf '0123456789%.0s' $(seq 1 1024))
long_reply="echo:$long (caller=anonymous)"
long_sha=$(printf '%s' "$long_reply" | sha256sum | cut -d' ' -f1)
expected="Add(2,3) = 5
Subtract(10.5,4.25) = 6.25
Multiply(9,81.25) = 731.25
Divide(22,8) = 2.75
Echo(hello) = echo:hello (caller=anonymous)
Echo(héllo wörld ✓) = echo:héllo wörld ✓ (caller=anonymous)
Echo(long 10240) = length ${#long_reply} sha256 $long_sha"
# (timeout bounds a hang: Mono's client does not always honour its OpenTimeout)
(cd "$tmp" && LC_ALL=C.UTF-8 exec timeout 30 mono "$bin/MonoClient.exe" "$url" "$echo_url") >"$tmp/client.out" 2>"$tmp/client.err"
rc=$?
if [ $rc -eq 0 ]; then ok; else bad "MonoClient failed (exit $rc): $(head -5 "$tmp/client.err")"; fi
check "client results" "$expected" "$(cat "$tmp/client.out")"

# --- the service exits 0 on stdin EOF
exec 3>&-
wait_exit $spid; rc=$?
if [ $rc -eq 0 ]; then ok; else bad "MonoService on stdin EOF: exit $rc: $(tail -3 "$tmp/svc.err")"; fi
[ $rc -eq 124 ] || spid=    # one still running is killed on exit

# --- a second service, on another port, exits 0 on SIGTERM
port2=$(free_port)
mkfifo "$tmp/svc2.in"   # opened read-write: a stdin that never reaches EOF
(cd "$tmp" && exec mono "$bin/MonoService.exe" "net.tcp://127.0.0.1:$port2/calc") <>"$tmp/svc2.in" >"$tmp/svc2.out" 2>"$tmp/svc2.err" &
s2pid=$!

# --- stop the capture once a later probe shows up and the capture stops growing
for _ in $(seq 1 400); do
    (exec 4<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
    n=$(cut -d';' -f1 "$tmp/cap.raw" | sort -u | wc -l)
    [ "$n" -gt $((probes + 2)) ] && break
    pause
done
settled "$tmp/cap.raw" # tshark may still be printing what it captured before the probe (under load)
kill -INT $tpid; wait $tpid 2>/dev/null; tpid=

if wait_ready $s2pid "$tmp/svc2.out"; then
    kill -TERM $s2pid
    wait_exit $s2pid; rc=$?
    if [ $rc -eq 0 ]; then ok; else bad "MonoService on SIGTERM: exit $rc: $(tail -3 "$tmp/svc2.err")"; fi
    [ $rc -eq 124 ] || s2pid=
else
    bad "second MonoService did not get ready: $(cat "$tmp/svc2.err")"
fi

# --- rebuild each connection's byte streams as a hex trace and decode it
# (a segment seen twice, e.g. a retransmission, is kept once)
python3 - "$tmp/cap.raw" "$port" "$tmp" <<'EOF' >"$tmp/streams"
import sys
raw, port, out = sys.argv[1], sys.argv[2], sys.argv[3]
streams, seen = {}, set()
for line in open(raw):
    f = line.rstrip("\n").split(";")
    if len(f) < 4 or not f[3]:
        continue
    key = (f[0], f[1], f[2])
    if key in seen:
        continue
    seen.add(key)
    d = "C->S" if f[1] != port else "S->C"
    streams.setdefault(int(f[0]), []).append("%s %s" % (d, f[3].replace(":", "")))
for s in sorted(streams):
    with open("%s/stream%d.hex" % (out, s), "w") as fh:
        fh.write("\n".join(streams[s]) + "\n")
    print("%s/stream%d.hex" % (out, s))
EOF
check "connections with payload" 2 "$(grep -c . "$tmp/streams")"

# one line per record: direction, type and the field that matters
summarise() {
    python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    t = r["type"]
    extra = {"Version": lambda: "%d.%d" % (r["major"], r["minor"]), "Mode": lambda: r["mode_name"],
             "Via": lambda: r["via"], "KnownEncoding": lambda: str(r["encoding"])}.get(t)
    print(r["direction"], t + (" " + extra() if extra else ""))
'
}
session() { # via, envelopes each way
    printf 'c>s Version 1.0\nc>s Mode duplex\nc>s Via %s\nc>s KnownEncoding 8\nc>s PreambleEnd\n' "$1"
    for _ in $(seq 1 "$2"); do echo "c>s SizedEnvelope"; done
    echo "c>s End"
    echo "s>c PreambleAck"
    for _ in $(seq 1 "$2"); do echo "s>c SizedEnvelope"; done
}
vias=
while read -r f; do
    if ! "$nettcp" frames --json "$f" >"$f.json" 2>"$f.err"; then
        bad "nettcp frames could not decode $(basename "$f"): $(cat "$f.err")"; continue
    fi
    ok
    got=$(summarise <"$f.json")
    via=$(sed -n 's/^c>s Via //p' <<<"$got")
    vias="$vias $via"
    case $via in
        "$url") want=$(session "$url" 4) ;;
        "$echo_url") want=$(session "$echo_url" 3) ;;
        *) bad "unexpected Via '$via' in $(basename "$f")"; continue ;;
    esac
    # Mono's service sends its End only some of the time (it races the client
    # closing the socket); a trailing s>c End is allowed, nothing else
    got_cmp=$got
    [ "$(tail -1 <<<"$got")" = "s>c End" ] && got_cmp=$(sed '$d' <<<"$got")
    check "records of the session to $via" "$want" "$got_cmp"
    # the client preamble is byte for byte what shared/vectors recorded, apart from the Via
    first=$(sed -n 's/^C->S //p' "$f" | tr -d '\n')
    vec=$(tr -d ' \n' <"$preamble_vec")
    via_hex=$(printf '%s' "$via" | od -An -tx1 | tr -d ' \n')
    len_hex=$(printf '%02x' ${#via})
    want_pre=$(sed -E 's/^(0001000102)02(..)[0-9a-f]*(03080c)$/\1/' <<<"$vec")02$len_hex$via_hex$(sed -E 's/.*(03080c)$/\1/' <<<"$vec")
    check "client preamble to $via matches the recorded Mono preamble" "$want_pre" "${first:0:${#want_pre}}"
done <"$tmp/streams"
# the saved reference session (tests/interop/mono/calc-session.hex) still reads the same
ref="$src/calc-session.hex"
if "$nettcp" frames --json "$ref" >"$tmp/ref.json" 2>"$tmp/ref.err"; then
    got=$(summarise <"$tmp/ref.json")
    check "records of the saved calculator session" "$(session "$(sed -n 's/^c>s Via //p' <<<"$got")" 4)" "$got"
else
    bad "nettcp frames could not decode $ref: $(cat "$tmp/ref.err")"
fi
check "one session per contract" "$(printf '%s\n' "$url" "$echo_url" | sort)" "$(tr ' ' '\n' <<<"$vias" | grep . | sort)"

[ -z "${NTCP_KEEP_TMP:-}" ] || echo "kept $tmp" >&2
finish
