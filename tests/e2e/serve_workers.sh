#!/usr/bin/env bash
# nettcp serve's threads (security None): --workers, --loops and
# --concurrency on the command line and in a --config file, many concurrent
# nettcp calls (Delay and Multiply) over several event loops with every
# reply checked, bad values refused, and a stop that waits for a Delay in
# flight. scripts/test also runs it in the ThreadSanitizer build. Ends with
# "N passed, N failed".
set -u
source "$(dirname "$0")/checks.bash"

ECHO=http://tempuri.org/IEcho
CALC=http://Microsoft.ServiceModel.Samples/ICalculator
# start NAME ARGS...: serve in the background; sets $url
start() {
    local name=$1; shift
    "$nettcp" serve "net.tcp://127.0.0.1:0/calc" --security none "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    pids+=($!)
    for _ in $(seq 1 400); do grep -qs '^listening on' "$tmp/$name.out" && break; read -r -t 0.05 <> <(:) || true; done
    url=$(sed -n 's/^listening on \([^ ]*\).*/\1/p' "$tmp/$name.out")
    [ -n "$url" ] || { echo "FAIL: $name did not start: $(cat "$tmp/$name.err")" >&2; failed=$((failed + 1)); }
}
delay() { printf '<Delay xmlns="http://tempuri.org/"><ms>%s</ms></Delay>' "$1"; }
mul() { printf '<Multiply xmlns="http://Microsoft.ServiceModel.Samples"><n1>%s</n1><n2>1000</n2></Multiply>' "$1"; }

# bad values: usage errors that say what is expected
for bad in "--workers -1" "--workers 257" "--workers x" "--loops 0" "--inline-us -1" "--inline-us 1000001" "--concurrency some"; do
    # shellcheck disable=SC2086
    timeout 20 "$nettcp" serve "net.tcp://127.0.0.1:0/calc" --security none $bad >/dev/null 2>"$tmp/bad.err"
    check "serve $bad: exit 2" "$?" 2
done
contains "--concurrency: names the values" "$(cat "$tmp/bad.err")" "--concurrency expects single or multiple, not 'some'"
timeout 20 "$nettcp" serve "net.tcp://127.0.0.1:0/calc" --security none --loops 0 >/dev/null 2>"$tmp/bad.err"
contains "--loops 0: names the range" "$(cat "$tmp/bad.err")" "--loops expects a whole number from 1 to 256, not '0'"
contains "--help names --workers" "$("$nettcp" serve --help)" "--workers N"
timeout 20 "$nettcp" serve "net.tcp://127.0.0.1:0/calc" --security none --inline-us x >/dev/null 2>"$tmp/bad.err"
contains "--inline-us x: names the range" "$(cat "$tmp/bad.err")" "--inline-us expects a whole number from 0 to 1000000, not 'x'"
contains "--help names --inline-us" "$("$nettcp" serve --help)" "--inline-us N"

# 4 workers on 2 loops: 8 Delays and 8 Multiplies at once, each on its own session
start threads --workers 4 --loops 2 --trace "$tmp/threads.trace"
contains "the log says how it serves" "$(cat "$tmp/threads.err")" "2 event loops, 4 workers, concurrency single"
for i in $(seq 1 8); do
    "$nettcp" call "$url" --security none --action $ECHO/Delay --body "$(delay $((i * 50)))" >"$tmp/d$i.out" 2>&1 &
    cp[$i]=$!
    "$nettcp" call "$url" --security none --action $CALC/Multiply --body "$(mul "$i")" >"$tmp/m$i.out" 2>&1 &
    mp[$i]=$!
done
bad=0
for i in $(seq 1 8); do
    wait "${cp[$i]}" || bad=$((bad + 1))
    wait "${mp[$i]}" || bad=$((bad + 1))
    grep -q "<DelayResult>$((i * 50))</DelayResult>" "$tmp/d$i.out" || bad=$((bad + 1))
    grep -q "<MultiplyResult>$((i * 1000))</MultiplyResult>" "$tmp/m$i.out" || bad=$((bad + 1))
done
check "16 concurrent calls on 2 loops and 4 workers: every reply right" "$bad" 0
traced "$tmp/threads.trace" '"event":"reply"' 16
check "the service's trace: 16 requests" "$(grep -c '"event":"request"' "$tmp/threads.trace")" 16
check "the service's trace: 16 replies" "$(grep -c '"event":"reply"' "$tmp/threads.trace")" 16

# a stop waits for the Delay in flight: its reply still goes out, then serve exits 0
"$nettcp" call "$url" --security none --action $ECHO/Delay --body "$(delay 1500)" >"$tmp/late.out" 2>&1 &
late=$!
for _ in $(seq 1 200); do
    [ "$(grep -c '"event":"request"' "$tmp/threads.trace")" -ge 17 ] && break; read -r -t 0.05 <> <(:) || true
done
kill -INT "${pids[0]}"
wait "$late"
check "a Delay in flight at SIGINT: the call succeeds" "$?" 0
contains "a Delay in flight at SIGINT: its reply" "$(cat "$tmp/late.out")" "<DelayResult>1500</DelayResult>"
wait "${pids[0]}"
check "serve exits 0 after the stop" "$?" 0
pids=()

# the same from a --config file; --workers 0 runs handlers on the loops (Delay is deferred: still concurrent)
printf 'workers = 0\nloops = 3\nconcurrency = multiple\n' >"$tmp/serve.conf"
start conf --config "$tmp/serve.conf"
contains "config keys workers, loops, concurrency" "$(cat "$tmp/conf.err")" "3 event loops, 0 workers, concurrency multiple"
for i in 1 2 3 4; do
    "$nettcp" call "$url" --security none --action $ECHO/Delay --body "$(delay $((i * 100)))" >"$tmp/c$i.out" 2>&1 &
    cp[$i]=$!
done
bad=0
for i in 1 2 3 4; do
    wait "${cp[$i]}" || bad=$((bad + 1))
    grep -q "<DelayResult>$((i * 100))</DelayResult>" "$tmp/c$i.out" || bad=$((bad + 1))
done
check "--workers 0 on 3 loops: 4 concurrent Delays, every reply right" "$bad" 0
start cli --config "$tmp/serve.conf" --workers 2
contains "the command line wins over the config file" "$(cat "$tmp/cli.err")" "3 event loops, 2 workers, concurrency multiple"
# --inline-us 0: every operation goes to a worker
start handed --workers 2 --loops 1 --inline-us 0
out=$("$nettcp" call "$url" --security none --action $CALC/Multiply --body "$(mul 7)" 2>&1)
contains "--inline-us 0: the call is answered by a worker" "$out" "<MultiplyResult>7000</MultiplyResult>"

for p in "${pids[@]}"; do kill -INT "$p"; done
for p in "${pids[@]}"; do wait "$p"; check "serve exits 0 on SIGINT" "$?" 0; done
pids=()
finish
