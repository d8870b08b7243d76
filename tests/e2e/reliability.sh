#!/usr/bin/env bash
# Broken and hostile peers (tests/e2e/fakepeer.py) against nettcp call and
# doctor: empty handshake tokens, a replayed reply, a silent service, a late
# one. Each ends in a named failure, exit status 1, and in time: a bound on
# how long a call may take is only the harness's own `timeout`, set far above
# what the call should take. Ends with "N passed, N failed".
set -u
source "$(dirname "$0")/common.bash"
fake="$here/tests/e2e/fakepeer.py"
export NETTCP_PASSWORD=$NTCP_REALM_PASSWORD
krb=(--identity spn:host/svc.nettcp.test --user "$NTCP_REALM_USER")
ECHO='<Echo xmlns="http://tempuri.org/"><text>hello</text></Echo>'
EA=http://tempuri.org/IEcho/Echo

# fakepeer NAME MODE ARGS...: starts a fake peer; sets $fport
fakepeer() {
    local name=$1; shift
    /usr/bin/python3 "$fake" "$1" "$tmp/$name.port" "${@:2}" 2>"$tmp/$name.err" &
    pids+=($!)
    for _ in $(seq 1 200); do [ -s "$tmp/$name.port" ] && break; read -r -t 0.05 <> <(:) || true; done
    fport=$(cat "$tmp/$name.port" 2>/dev/null)
    [ -n "$fport" ] || { echo "FAIL: fake peer $name did not start: $(cat "$tmp/$name.err")" >&2; failed=$((failed + 1)); }
}

# 1. a service that answers the client's first token with an empty one
for msg in 1401000000 1601000000; do
    fakepeer "empty$msg" handshake "$msg"
    for pkg in negotiate kerberos; do
        timeout 60 "$nettcp" call "net.tcp://127.0.0.1:$fport/calc" --action $EA --body "$ECHO" "${krb[@]}" \
            --package $pkg --timeout 20 >/dev/null 2>"$tmp/err"
        check "empty token $msg, $pkg: call exits 1" "$?" 1
        contains "empty token $msg, $pkg: call names it" "$(cat "$tmp/err")" "cause: protocol"
    done
    timeout 60 "$nettcp" doctor "net.tcp://127.0.0.1:$fport/calc" "${krb[@]}" --timeout 20 >"$tmp/out" 2>&1
    check "empty token $msg: doctor exits 1" "$?" 1
    contains "empty token $msg: doctor names it" "$(sed -n 's/^cause: *//p' "$tmp/out")" "protocol"
done

# 5. a replayed frame fails the call, wherever it comes: after the
# PreambleAck (the call's receive sees it) or after the reply (close sees it)
serve svc --keytab "$NTCP_REALM_SERVICE_KEYTAB"
for n in 0 1; do
    fakepeer "replay$n" replay "$port" "$n"
    got=$(timeout 60 "$nettcp" call "net.tcp://127.0.0.1:$fport/calc" --action $EA --body "$ECHO" "${krb[@]}" \
        --timeout 20 2>"$tmp/err")
    check "replayed frame $n: call exits 1" "$?" 1
    contains "replayed frame $n: cause" "$(cat "$tmp/err")" "cause: message_altered"
    check "replayed frame $n: no reply printed" "$got" ""
    got=$(timeout 60 "$nettcp" call "net.tcp://127.0.0.1:$fport/calc" --action $EA --body "$ECHO" "${krb[@]}" \
        --timeout 20 --json)
    contains "replayed frame $n: json cause" "$got" '"cause":"message_altered"'
done
got=$("$nettcp" call "$url" --action $EA --body "$ECHO" "${krb[@]}" --timeout 20)
contains "the service still answers" "$got" "hello [caller: $NTCP_REALM_USER"

# 4. a silent service: the open times out once, by name
fakepeer silent silent
timeout 30 "$nettcp" call "net.tcp://127.0.0.1:$fport/calc" --action $EA --body "$ECHO" "${krb[@]}" \
    --timeout 3 >/dev/null 2>"$tmp/err"
check "silent service: call exits 1 (not killed by the harness)" "$?" 1
contains "silent service: cause timeout" "$(cat "$tmp/err")" "cause: timeout"

# 4, 6. a service that acknowledges the preamble and then says nothing: the
# request times out and the session is aborted, with no second wait for End
# (the harness allows less than two timeouts)
fakepeer acksilent acksilent
timeout 7 "$nettcp" call "net.tcp://127.0.0.1:$fport/calc" --action $EA --body "$ECHO" --security none \
    --timeout 4 >/dev/null 2>"$tmp/err"
check "silent after the preamble: call exits 1 within one timeout" "$?" 1
contains "silent after the preamble: cause timeout" "$(cat "$tmp/err")" "cause: timeout"

# 6. one open deadline: the service answers the upgrade request after 3 s of
# the 4 s open timeout and closes the connection at 5.5 s. With one deadline
# the open times out at 4 s; a wait restarted at the answer would still be
# waiting at 5.5 s and see the connection closed.
fakepeer late late 3 5.5
timeout 30 "$nettcp" call "net.tcp://127.0.0.1:$fport/calc" --action $EA --body "$ECHO" "${krb[@]}" \
    --timeout 4 >/dev/null 2>"$tmp/err"
check "late service: call exits 1" "$?" 1
contains "late service: the open deadline is kept (cause timeout)" "$(cat "$tmp/err")" "cause: timeout"

# 4. a KDC that accepts requests and never answers (SIGSTOP): call and doctor
# end with cause timeout, within the harness's generous bound (MIT's own
# retries would hold them for tens of seconds per exchange)
kdc=$(cat "$NTCP_REALM_DIR/kdc.pid.own")
kill -STOP "$kdc"
timeout 25 "$nettcp" call "$url" --action $EA --body "$ECHO" "${krb[@]}" --timeout 3 >/dev/null 2>"$tmp/err"
check "stopped KDC: call (password) exits 1" "$?" 1
contains "stopped KDC: call cause timeout" "$(cat "$tmp/err")" "cause: timeout"
timeout 25 "$nettcp" doctor "$url" "${krb[@]}" --timeout 3 >"$tmp/out" 2>&1
check "stopped KDC: doctor exits 1" "$?" 1
contains "stopped KDC: doctor cause timeout" "$(sed -n 's/^cause: *//p' "$tmp/out")" "timeout"
kill -CONT "$kdc"
got=$("$nettcp" call "$url" --action $EA --body "$ECHO" "${krb[@]}" --timeout 20)
contains "KDC back: the call works" "$got" "hello [caller: $NTCP_REALM_USER"

finish
