#!/usr/bin/env bash
# The WWSAPI service host: a service written as wsutil generates one
# (tests/wws/calc_service.c: parameter structs, operation stubs, function
# tables, contract descriptions, WsCreateServiceHost with an ICalculator and
# an IEcho endpoint), compiled with -Wall -Werror against the installed
# header and nettcp-wws.pc, called by `nettcp call` with no security and
# with Kerberos, by the wsutil-style service proxy (tests/wws/calc_proxy.c,
# security None), and by Mono's WCF client (security None): replies, the
# caller's principal seen by the stub, the authorization callback refusing a
# caller, failing stubs as SOAP faults (FaultException<string> with the
# detail set by WsSetFaultErrorDetail). Ends with "N passed, N failed".
set -u
source "$(dirname "$0")/common.bash"
san=(); case "$build" in *-asan) san=(SAN=1) ;; esac
root=$tmp/root lib=/usr/lib/x86_64-test-gnu
make -s -C "$here" "${san[@]}" BUILD="$build" PREFIX=/usr LIBDIR=$lib DESTDIR="$root" install >"$tmp/make.log" 2>&1
check "make install" "$?" 0
pc=(env PKG_CONFIG_SYSROOT_DIR="$root" PKG_CONFIG_PATH="$root$lib/pkgconfig" pkg-config)
# shellcheck disable=SC2046
cc -std=c11 -Wall -Werror "${san[@]/SAN=1/-fsanitize=address,undefined}" -o "$tmp/calc_service" \
    "$here/tests/wws/calc_service.c" $("${pc[@]}" --cflags --libs nettcp-wws) -lpthread 2>"$tmp/cc.log"
check "the wsutil-style service compiles against the installed headers" "$?:$(cat "$tmp/cc.log")" "0:"
# shellcheck disable=SC2046
cc -std=c11 -Wall -Werror "${san[@]/SAN=1/-fsanitize=address,undefined}" -o "$tmp/calc_proxy" \
    "$here/tests/wws/calc_proxy.c" $("${pc[@]}" --cflags --libs nettcp-wws) 2>"$tmp/cc.log"
check "the wsutil-style proxy compiles against the installed headers" "$?:$(cat "$tmp/cc.log")" "0:"

# host NAME none|sspi [DENIED]: the service on a free port; sets $url (ICalculator) and $echo
host() {
    local name=$1; shift
    LD_LIBRARY_PATH=$root$lib "$tmp/calc_service" net.tcp://127.0.0.1:0 "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    pids+=($!)
    wait_listening "$name"
    url=$(sed -n '1s/^listening on //p' "$tmp/$name.out") # the ICalculator endpoint; IEcho on the same port
    echo=${url%/calc}/echo
}
# stop PID NAME: SIGTERM; the host closes and the process exits 0 with nothing on stderr (ASan reports land there)
stop() {
    kill -TERM "$1"
    for _ in $(seq 1 200); do kill -0 "$1" 2>/dev/null || break; read -r -t 0.05 <> <(:) || true; done
    if kill -0 "$1" 2>/dev/null; then kill -KILL "$1"; wait "$1"; check "$2: closed on SIGTERM" 124 0; return; fi
    wait "$1"
    check "$2: WsCloseServiceHost, exit 0, nothing on stderr" "$?:$(tail -1 "$tmp/$2.out"):$(cat "$tmp/$2.err")" "0:closed:"
}
call() { "$nettcp" call "$@" 2>&1; }
CALC=http://Microsoft.ServiceModel.Samples/ICalculator
calc_body() { printf '<%s xmlns="http://Microsoft.ServiceModel.Samples"><n1>%s</n1><n2>%s</n2></%s>' "$1" "$2" "$3" "$1"; }
result() { printf '<%sResponse xmlns="http://Microsoft.ServiceModel.Samples">\n  <%sResult xmlns="http://Microsoft.ServiceModel.Samples">%s</%sResult>\n</%sResponse>' "$1" "$1" "$2" "$1" "$1"; }
echo_body() { printf '<Echo xmlns="http://tempuri.org/"><text>%s</text></Echo>' "$1"; }
echo_result() { printf '<EchoResponse xmlns="http://tempuri.org/">\n  <EchoResult xmlns="http://tempuri.org/">%s</EchoResult>\n</EchoResponse>' "$1"; }
delay_body() { printf '<Delay xmlns="http://tempuri.org/"><ms>%s</ms></Delay>' "$1"; }

# ---- security None
host none none
pid_none=${pids[-1]}
check "two endpoints on one port" "$(sed -n 2p "$tmp/none.out")" "listening on $echo"
check "none: Add" "$(call "$url" --security none --action $CALC/Add --body "$(calc_body Add 2 3.5)")" "$(result Add 5.5)"
check "none: Divide" "$(call "$url" --security none --action $CALC/Divide --body "$(calc_body Divide 22 8)")" \
    "$(result Divide 2.75)"
check "none: an int then a double (the frame's padding)" \
    "$(call "$url" --security none --action $CALC/Scale \
        --body '<Scale xmlns="http://Microsoft.ServiceModel.Samples"><factor>3</factor><value>1.5</value></Scale>')" \
    "$(result Scale 4.5)"
check "none: Echo, the stub's string from the call's heap" \
    "$(call "$echo" --security none --action http://tempuri.org/IEcho/Echo --body "$(echo_body 'h&amp;llo')")" \
    "$(echo_result 'echo:h&amp;llo (caller=anonymous)')"
got=$(call "$echo" --security none --action http://tempuri.org/IEcho/Delay --body "$(delay_body -1)" --json)
contains "a failing stub: a SOAP fault with the error string as its reason" "$got" \
    '"fault":{"code":"Receiver","subcodes":[],"reason":"Delay expects ms, a whole number from 0 to 60000"'
contains "a failing stub: the detail set by WsSetFaultErrorDetail" "$got" \
    '"detail":"<string xmlns=\"http://schemas.microsoft.com/2003/10/Serialization/\">ms must be from 0 to 60000</string>"'
got=$(call "$url" --security none --action $CALC/Divide --body "$(calc_body Divide 1 0)" --json)
contains "a failing stub without a detail" "$got" '"fault":{"code":"Receiver","subcodes":[],"reason":"Divide by zero","detail":null}'
got=$(call "$url" --security none --action $CALC/Add --body '<Add xmlns="http://Microsoft.ServiceModel.Samples"><n1>x</n1><n2>1</n2></Add>' --json)
contains "a request that does not fit the contract: a Sender fault" "$got" '"fault":{"code":"Sender"'
check "none: the stub blocks, the reply comes when it returns" \
    "$(call "$echo" --security none --action http://tempuri.org/IEcho/Delay --body "$(delay_body 30)")" \
    '<DelayResponse xmlns="http://tempuri.org/">
  <DelayResult xmlns="http://tempuri.org/">30</DelayResult>
</DelayResponse>'
contains "IEcho's default message handler: another action, answered with WsSendReplyMessage" \
    "$(call "$echo" --security none --action urn:other --body '<Other xmlns="urn:x"><a>1</a></Other>' --json)" \
    '"action":"http://tempuri.org/IEcho/DefaultResponse"'
contains "the default message handler: the request's body back" \
    "$(call "$echo" --security none --action urn:other --body '<Other xmlns="urn:x"><a>1</a></Other>')" '<a>1</a>'
check "no default message handler on ICalculator: ActionNotSupported" \
    "$(call "$url" --security none --action urn:other --body '<Other/>' --json | grep -o '"cause":"[a-z_]*"')" '"cause":"action_not_supported"'
# a stub that blocks (Delay, until Echo("release")) holds one thread, not the host: another session's call is
# answered meanwhile
call "$echo" --security none --action http://tempuri.org/IEcho/Delay --body "$(delay_body 50000)" >"$tmp/slow.out" &
slow=$!
for _ in $(seq 1 200); do grep -qs '^delay 50000' "$tmp/none.out" && break; read -r -t 0.05 <> <(:) || true; done
check "a blocked stub: another call is answered meanwhile" \
    "$(call "$url" --security none --action $CALC/Add --body "$(calc_body Add 1 1)"):$(kill -0 $slow 2>/dev/null && echo running)" \
    "$(result Add 2):running"
call "$echo" --security none --action http://tempuri.org/IEcho/Echo --body "$(echo_body release)" >/dev/null
wait $slow
contains "a blocked stub: its own reply when it returns" "$(cat "$tmp/slow.out")" "<DelayResult xmlns=\"http://tempuri.org/\">50000</DelayResult>"
check "the WWSAPI service proxy (WsCall) against the WWSAPI service host" \
    "$(LD_LIBRARY_PATH=$root$lib "$tmp/calc_proxy" "$url" none "$echo" 2>&1)" "Add(2, 3) = 5
Divide(1, 3) = 0.33333333333333331
Echo: echo:héllo <proxy> (caller=anonymous)
Delay(-1): 0x803d0013
fault: Receiver, Delay expects ms, a whole number from 0 to 60000 (http://tempuri.org/IEcho/DelayStringFault)
fault detail: ms must be from 0 to 60000"
contains "none: the authorization callback saw every call" "$(cat "$tmp/none.out")" "authorize anonymous"

# Mono's WCF client (SecurityMode.None): the calculator and echo sample client, then typed faults
if command -v mono >/dev/null && command -v mcs >/dev/null; then
    ok() { passed=$((passed + 1)); }
    bad() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }
    BUILD=$build
    # shellcheck disable=SC1091
    . "$here/tests/interop/mono/build.sh"
    long=$(printf '0123456789%.0s' $(seq 1 1024))
    long_reply="echo:$long (caller=anonymous)"
    check "Mono's WCF client: ICalculator and IEcho" \
        "$(cd "$tmp" && LC_ALL=C.UTF-8 timeout 60 mono "$bin/MonoClient.exe" "$url" "$echo" 2>&1)" \
        "Add(2,3) = 5
Subtract(10.5,4.25) = 6.25
Multiply(9,81.25) = 731.25
Divide(22,8) = 2.75
Echo(hello) = echo:hello (caller=anonymous)
Echo(héllo wörld ✓) = echo:héllo wörld ✓ (caller=anonymous)
Echo(long 10240) = length ${#long_reply} sha256 $(printf '%s' "$long_reply" | sha256sum | cut -d' ' -f1)"
    check "Mono's WCF client: FaultException<string> from WsSetFaultErrorDetail" \
        "$(cd "$tmp" && LC_ALL=C.UTF-8 timeout 60 mono "$bin/MonoWws.exe" "$echo" 2>&1)" \
        "Echo(hi) = echo:hi (caller=anonymous)
Delay(-1) = FaultException<String>: ms must be from 0 to 60000 | Delay expects ms, a whole number from 0 to 60000
Delay(20) = 20"
else
    check "mono and mcs are installed (scripts/bootstrap)" "missing" "installed"
fi
stop "$pid_none" none

# the authorization callback refusing the (anonymous) caller
host deny none anonymous
pid_deny=${pids[-1]}
got=$(call "$url" --security none --action $CALC/Add --body "$(calc_body Add 2 3)" --json)
contains "refused by the authorization callback: access denied" "$got" \
    '"fault":{"code":"Sender","subcodes":[{"ns":"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd","name":"FailedAuthentication"}],"reason":"Access is denied.","detail":null}'
stop "$pid_deny" deny

# ---- Kerberos (WS_TCP_SSPI_TRANSPORT_SECURITY_BINDING, keys from KRB5_KTNAME)
KRB5_KTNAME=$NTCP_REALM_SERVICE_KEYTAB host krb sspi
pid_krb=${pids[-1]}
krb=(--identity spn:host/svc.nettcp.test --user "$NTCP_REALM_USER")
got=$(NETTCP_PASSWORD=$NTCP_REALM_PASSWORD call "$echo" --action http://tempuri.org/IEcho/Echo --body "$(echo_body hi)" "${krb[@]}" -v)
contains "Kerberos: the caller's principal seen by the stub (WS_MESSAGE_PROPERTY_TRANSPORT_SECURITY_WINDOWS_TOKEN)" "$got" \
    "$(echo_result "echo:hi (caller=$NTCP_REALM_USER)")"
contains "Kerberos: the security" "$got" "security: Kerberos, EncryptAndSign, mutual authentication"
check "Kerberos: Add" "$(NETTCP_PASSWORD=$NTCP_REALM_PASSWORD call "$url" --action $CALC/Add --body "$(calc_body Add 2 3)" "${krb[@]}")" \
    "$(result Add 5)"
contains "Kerberos: the authorization callback saw the principal" "$(cat "$tmp/krb.out")" "authorize $NTCP_REALM_USER"
contains "Kerberos: a client without security is refused" \
    "$(call "$url" --security none --action $CALC/Add --body "$(calc_body Add 2 3)")" "EndpointAccessDenied"
stop "$pid_krb" krb
KRB5_KTNAME=$NTCP_REALM_SERVICE_KEYTAB host krbdeny sspi "$NTCP_REALM_USER"
pid_krbdeny=${pids[-1]}
got=$(NETTCP_PASSWORD=$NTCP_REALM_PASSWORD call "$url" --action $CALC/Add --body "$(calc_body Add 2 3)" "${krb[@]}" --json)
contains "Kerberos: the callback refuses this principal: access denied" "$got" '"reason":"Access is denied."'
stop "$pid_krbdeny" krbdeny
got=$(KRB5_KTNAME=$tmp/none.keytab LD_LIBRARY_PATH=$root$lib "$tmp/calc_service" net.tcp://127.0.0.1:0 sspi 2>&1)
check "no keytab: WsOpenServiceHost fails" "$(head -1 <<<"$got")" "failure: 0x803d000a"
contains "no keytab: the cause" "$got" "cause: keytab_missing ("
finish
