#!/usr/bin/env bash
# nettcp call --repeat/--parallel/--sessions over a throwaway realm (Kerberos,
# EncryptAndSign): the figures it prints, several calls in flight on one
# session, failures counted, usage errors, and traces complete after close on
# both sides under that load. Ends with "N passed, N failed".
set -u
source "$(dirname "$0")/common.bash"

ECHO='<Echo xmlns="http://tempuri.org/"><text>load</text></Echo>'
EA=http://tempuri.org/IEcho/Echo
export NETTCP_PASSWORD=$NTCP_REALM_PASSWORD
krb=(--identity spn:host/svc.nettcp.test --user "$NTCP_REALM_USER")

serve load --keytab "$NTCP_REALM_SERVICE_KEYTAB" --trace "$tmp/serve.trace"
summary() { # the JSON figures that do not depend on speed, and the others' types
    python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
print(d["ok"], d["calls"], d["failures"], d["parallel"], d["sessions"], d.get("cause"),
      all(isinstance(d[k], (int, float)) and d[k] >= 0 for k in ("calls_per_second", "p50_ms", "p99_ms", "seconds")),
      d["p50_ms"] <= d["p99_ms"])'
}
got=$("$nettcp" call "$url" --action $EA --body "$ECHO" "${krb[@]}" --repeat 200 --parallel 4 --json | summary)
check "200 calls, 4 threads, 4 sessions (json)" "$got" "True 200 0 4 4 None True True"
got=$("$nettcp" call "$url" --action $EA --body "$ECHO" "${krb[@]}" --repeat 300 --parallel 6 --sessions 1 --json |
    summary)
check "300 calls, 6 threads on one session" "$got" "True 300 0 6 1 None True True"
got=$("$nettcp" call "$url" --action $EA --body "$ECHO" "${krb[@]}" --repeat 50 --parallel 3)
check "exit 0 when every call got its reply" "$?" 0
re='^calls 50, failures 0, [0-9.]+ calls/s, p50 [0-9.]+ ms, p99 [0-9.]+ ms \(3 threads on 3 sessions, [0-9.]+ s\)$'
if [[ $got =~ $re ]]; then r=yes; else r="no: $got"; fi
check "the text line" "$r" yes
got=$("$nettcp" call "$url" --action $EA --body "$ECHO" "${krb[@]}" --parallel 2 --json | summary)
check "--parallel alone: one call per thread" "$got" "True 2 0 2 2 None True True"
# failures are counted, the first one explained
got=$("$nettcp" call "$url" --action http://tempuri.org/IEcho/Nope --body "$ECHO" "${krb[@]}" --repeat 20 \
    --parallel 2 2>"$tmp/nope.err")
check "failing calls: exit 1" "$?" 1
contains "failing calls: counted" "$got" "calls 20, failures 20,"
contains "failing calls: the first explained" "$(cat "$tmp/nope.err")" "cause: action_not_supported"
got=$("$nettcp" call "$url" --action http://tempuri.org/IEcho/Nope --body "$ECHO" "${krb[@]}" --repeat 4 --json |
    summary)
check "failing calls (json)" "$got" "False 4 4 1 1 action_not_supported True True"
# usage errors
"$nettcp" call "$url" --action $EA --body "$ECHO" --parallel 0 2>"$tmp/usage.err"
check "--parallel 0: usage error" "$?" 2
"$nettcp" call "$url" --action $EA --body "$ECHO" --parallel 2 --sessions 3 2>"$tmp/usage.err"
check "more sessions than threads: usage error" "$?" 2
contains "more sessions than threads: said" "$(cat "$tmp/usage.err")" "--sessions cannot exceed --parallel (2)"
"$nettcp" call "$url" --action $EA --body "$ECHO" --mode streamed --repeat 3 2>"$tmp/usage.err"
check "streamed, more calls than sessions: usage error" "$?" 2
contains "streamed: said" "$(cat "$tmp/usage.err")" "one call per connection"
"$nettcp" call "$url" --action $EA --body "$ECHO" --repeat x 2>"$tmp/usage.err"
check "--repeat x: usage error" "$?" 2
got=$("$nettcp" call --help)
contains "--help names --repeat" "$got" "--repeat N"
contains "--help names --parallel" "$got" "--parallel M"

# 8 threads on one secured session through the library: each reply names its own request's text
printf "%s\n" "$NTCP_REALM_PASSWORD" | KRB5CCNAME=FILE:$tmp/cc kinit "$NTCP_REALM_USER" >/dev/null
got=$(KRB5CCNAME=FILE:$tmp/cc "$build/tests/e2e/client_threads" "$url" 2>&1)
check "8 threads x 100 calls on one Kerberos session, replies matched" "$got" "11 passed, 0 failed"

# the client's trace, written while 4 threads call, is complete once it exits
"$nettcp" call "$url" --action $EA --body "$ECHO" "${krb[@]}" --repeat 400 --parallel 4 --sessions 2 \
    --trace "$tmp/call.trace" >/dev/null
check "traced load: exit 0" "$?" 0
got=$(python3 - "$tmp/call.trace" <<'PYEOF'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
print(sum(e["event"] == "reply" for e in ev), sum(e["event"] == "request" for e in ev),
      sorted({e.get("conn") for e in ev if e["event"] == "record"}),
      sum(e["event"] == "record" and e["type"] == "SizedEnvelope" for e in ev),
      sum(e["event"] == "closed" for e in ev))
PYEOF
)
check "client trace: every call, both sessions' records, both closes" "$got" "400 400 ['session 1', 'session 2'] 800 2"

# the service's trace, once it stopped, holds every call it served
for p in "${pids[@]}"; do kill -INT "$p"; done
for p in "${pids[@]}"; do wait "$p"; check "serve exits 0 on SIGINT" "$?" 0; done
pids=()
# 200 + 300 + 50 + 2 + 20 + 4 + 800 + 400 requests reached the service
got=$(python3 - "$tmp/serve.trace" <<'PYEOF'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
print(sum(e["event"] == "request" for e in ev), ev[-1]["event"], ev[-1].get("level"))
PYEOF
)
check "service trace complete after close" "$got" "1776 activity Stop"
finish
