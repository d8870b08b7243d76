#!/usr/bin/env bash
# nettcp serve as a daemon: --config FILE feeds every option through the
# command line's parser (the command line wins), bad config lines are named,
# the log has timestamps and levels (or goes to syslog), and SIGHUP re-reads
# the config and the keytab for new connections while an open session keeps
# working. Ends with "N passed, N failed".
set -u
source "$(dirname "$0")/common.bash"

ADD='<Add xmlns="http://Microsoft.ServiceModel.Samples"><n1>2</n1><n2>3</n2></Add>'
CALC=http://Microsoft.ServiceModel.Samples/ICalculator
BIG="<Echo xmlns=\"http://tempuri.org/\"><text>$(head -c 3000 /dev/zero | tr '\0' x)</text></Echo>"
export NETTCP_PASSWORD=$NTCP_REALM_PASSWORD
krb=(--identity spn:host/svc.nettcp.test --user "$NTCP_REALM_USER" --package kerberos)
hold="$build/tests/e2e/hold_session"
TS='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z nettcp\[[0-9]+\]'

# start NAME ARGS...: nettcp serve ARGS (the URL may come from a config); sets $url, $spid
start() {
    local name=$1; shift
    "$nettcp" serve "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    spid=$!; pids+=($spid)
    wait_listening "$name"
}
# wait_log NAME TEXT COUNT: waits (10 s at most) until NAME's log holds TEXT COUNT times
wait_log() {
    for _ in $(seq 1 200); do
        [ "$(grep -c -- "$2" "$tmp/$1.err")" -ge "$3" ] && return 0
        read -r -t 0.05 <> <(:) || true
    done
    return 1
}

# --- every option from the config file
cat >"$tmp/none.conf" <<CONF
# an unsecured endpoint with a small message limit
url = net.tcp://127.0.0.1:0/calc
security = none
max-received-message-size = 2000
  verbose = true
trace = "$tmp/none.trace"
allow-anonymous = false
CONF
start none --config "$tmp/none.conf"
got=$("$nettcp" call "$url" --security none --action $CALC/Add --body "$ADD")
contains "config: url and security = none" "$got" "<AddResult>5</AddResult>"
"$nettcp" call "$url" --security none --action http://tempuri.org/IEcho/Echo --body "$BIG" >/dev/null 2>"$tmp/err"
contains "config: max-received-message-size" "$(cat "$tmp/err")" "MaxMessageSizeExceededFault"
grep -q '"event":"listening"' "$tmp/none.trace"; check "config: trace = FILE" "$?" 0
grep -Eq "^$TS: info: listening on net.tcp://127.0.0.1:0/calc, port $port \(security none; [0-9]+ event loops, [0-9]+ workers, concurrency single\)$" "$tmp/none.err"
check "log: timestamp, pid, level" "$?" 0
grep -Eq "^$TS: notice: 127.0.0.1:[0-9]+: message_too_large: " "$tmp/none.err"
check "config: verbose = true logs refused messages as notices" "$?" 0
# the command line wins over the file, the URL included
start cli --config "$tmp/none.conf" --max-received-message-size 65536 net.tcp://127.0.0.1:0/other
contains "command line URL wins" "$url" "/other"
got=$("$nettcp" call "$url" --security none --action http://tempuri.org/IEcho/Echo --body "$BIG")
contains "command line limit wins" "$got" "<EchoResult>xxxx"
# bad config files: exit 2, the file and line named
printf 'security = none\nbogus = 1\n' >"$tmp/bad1.conf"
err=$("$nettcp" serve --config "$tmp/bad1.conf" 2>&1); rc=$?
check "unknown option: exit 2 and where" "$rc:$err" "2:nettcp serve: $tmp/bad1.conf:2: unknown option 'bogus' (see nettcp serve --help)"
printf 'allow-anonymous = maybe\n' >"$tmp/bad2.conf"
err=$("$nettcp" serve --config "$tmp/bad2.conf" 2>&1); rc=$?
check "flag value: exit 2" "$rc:$err" "2:nettcp serve: $tmp/bad2.conf:1: allow-anonymous takes true or false, not 'maybe'"
printf 'keytab\n' >"$tmp/bad3.conf"
err=$("$nettcp" serve --config "$tmp/bad3.conf" 2>&1); rc=$?
check "no '=': exit 2" "$rc:$err" "2:nettcp serve: $tmp/bad3.conf:1: expected 'option = value'"
err=$("$nettcp" serve --config "$tmp/none.conf" --protection bogus 2>&1); check "a bad value is the parser's usage error" "$?" 2
"$nettcp" serve --config "$tmp/missing.conf" 2>/dev/null; check "missing config: exit 2" "$?" 2
# --syslog: nothing on stderr (syslog(3) gets the lines)
start syslog --config "$tmp/none.conf" --syslog
lacks "--syslog: the log leaves stderr" "$(cat "$tmp/syslog.err")" "listening"
"$nettcp" serve --help | grep -q -- "--config FILE"; check "--help names --config" "$?" 0

# --- SIGHUP: a new keytab for new connections, the open session continues
printf 'url = net.tcp://127.0.0.1:0/calc\nkeytab = %s\nverbose = yes\n' "$NTCP_REALM_SERVICE_KEYTAB" >"$tmp/krb.conf"
start krb --config "$tmp/krb.conf"
kpid=$spid
coproc HOLD { "$hold" "$url" host/svc.nettcp.test; }
hpid=$HOLD_PID
read -r -t 30 line <&"${HOLD[0]}"; check "held session opens" "$line" "open"
echo call >&"${HOLD[1]}"; read -r -t 30 line <&"${HOLD[0]}"
contains "held session: first call" "$line" "<EchoResult>held 1 [caller: $NTCP_REALM_USER, Kerberos, EncryptAndSign]</EchoResult>"
"$nettcp" call "$url" --action $CALC/Add --body "$ADD" "${krb[@]}" >/dev/null 2>&1; check "good keytab: a new connection" "$?" 0
# the config now names a keytab without host/svc's key: after SIGHUP new connections fail
sed -i "s|^keytab = .*|keytab = $NTCP_REALM_STALE_KEYTAB|" "$tmp/krb.conf"
kill -HUP "$kpid"
wait_log krb "info: reloaded the configuration: keytab $NTCP_REALM_STALE_KEYTAB" 1; check "SIGHUP: reloaded (logged)" "$?" 0
"$nettcp" call "$url" --action $CALC/Add --body "$ADD" "${krb[@]}" >/dev/null 2>"$tmp/err"
check "after SIGHUP new connections use the new keytab (it lacks the key: refused)" "$?" 1
echo call >&"${HOLD[1]}"; read -r -t 30 line <&"${HOLD[0]}"
contains "the session open across SIGHUP keeps working" "$line" "<EchoResult>held 2 [caller: $NTCP_REALM_USER, Kerberos, EncryptAndSign]</EchoResult>"
# back to the right keytab
sed -i "s|^keytab = .*|keytab = $NTCP_REALM_SERVICE_KEYTAB|" "$tmp/krb.conf"
kill -HUP "$kpid"
wait_log krb "info: reloaded the configuration: keytab $NTCP_REALM_SERVICE_KEYTAB" 1; check "second SIGHUP: reloaded" "$?" 0
got=$("$nettcp" call "$url" --action $CALC/Add --body "$ADD" "${krb[@]}")
contains "second SIGHUP: new connections accepted again" "$got" "<AddResult>5</AddResult>"
echo call >&"${HOLD[1]}"; read -r -t 30 line <&"${HOLD[0]}"
contains "the held session survives both reloads" "$line" "<EchoResult>held 3 [caller: $NTCP_REALM_USER, Kerberos, EncryptAndSign]</EchoResult>"
exec {HOLD[1]}>&-
wait "$hpid"; check "held session closes cleanly" "$?" 0
# a config that no longer parses keeps the previous one
printf 'bogus = 1\n' >>"$tmp/krb.conf"
kill -HUP "$kpid"
wait_log krb "error: reload: the configuration cannot be read; keeping the previous one" 1
check "bad config on SIGHUP: logged, the previous one kept" "$?" 0
got=$("$nettcp" call "$url" --action $CALC/Add --body "$ADD" "${krb[@]}")
contains "bad config on SIGHUP: still serving" "$got" "<AddResult>5</AddResult>"
# a keytab that does not exist is refused as at the start, and the previous one kept
sed -i -e '/^bogus = 1$/d' -e "s|^keytab = .*|keytab = $tmp/no-such.keytab|" "$tmp/krb.conf"
kill -HUP "$kpid"
wait_log krb "error: reload: the new security options were refused (the service's keytab $tmp/no-such.keytab cannot be read" 1
check "missing keytab on SIGHUP: refused, logged" "$?" 0
grep -q "cause: keytab_missing); keeping the previous ones" "$tmp/krb.err"; check "missing keytab on SIGHUP: the cause" "$?" 0
got=$("$nettcp" call "$url" --action $CALC/Add --body "$ADD" "${krb[@]}")
contains "missing keytab on SIGHUP: still serving with the previous keytab" "$got" "<AddResult>5</AddResult>"
kill -0 "$kpid"; check "the service is still running" "$?" 0
kill -TERM "$kpid"; wait "$kpid"; check "SIGTERM: clean exit" "$?" 0
grep -Eq "^$TS: info: stopped$" "$tmp/krb.err"; check "log: stopped" "$?" 0
lacks "no password in the log" "$(cat "$tmp"/*.err)" "$NTCP_REALM_PASSWORD"
finish
