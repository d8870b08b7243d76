#!/usr/bin/env bash
# The programs of docs/api.md (examples/) build against the public headers
# only (-Iinclude, libnettcp.a) and work: the service and the client talk,
# with a header, a fault's detail and a deferred reply. Ends with
# "N passed, N failed".
set -u
source "$(dirname "$0")/checks.bash"

san=()
case "$build" in *asan*) san=(-fsanitize=address,undefined -fno-omit-frame-pointer) ;; esac
libs=$(pkg-config --libs libxml-2.0 krb5-gssapi krb5 libssl libcrypto libpcap ldap libcurl)
for prog in greeter_service greeter_client; do
    cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror "${san[@]}" -I"$here/include" -o "$tmp/$prog" \
        "$here/examples/$prog.c" "$build/libnettcp.a" $libs -lm -lpthread 2>"$tmp/$prog.cc"
    rc=$? # taken before the message's $(head) replaces it
    check "examples/$prog.c builds with the public headers only ($(head -3 "$tmp/$prog.cc"))" "$rc" 0
done
[ -x "$tmp/greeter_service" ] && [ -x "$tmp/greeter_client" ] || { finish; exit 1; }

"$tmp/greeter_service" net.tcp://127.0.0.1:0/greeter >"$tmp/service.out" 2>"$tmp/service.err" &
pids+=($!)
for _ in $(seq 1 200); do grep -qs '^listening on' "$tmp/service.out" && break; read -r -t 0.05 <> <(:) || true; done
port=$(sed -n 's/^listening on //p' "$tmp/service.out")
got=$("$tmp/greeter_client" "net.tcp://127.0.0.1:$port/greeter" Ada 2>&1)
check "the example client against the example service" "$got" 'Greet: Hello, Ada of contoso
reply header: {urn:example:greeter}Served
fault: Sender: Greet needs a name; detail <string xmlns="http://schemas.microsoft.com/2003/10/Serialization/">name is empty</string>
Later: 100'
# the sample nettcp serve speaks the same way to the example client's calls
got=$("$nettcp" call "net.tcp://127.0.0.1:$port/greeter" --security none --action urn:example:greeter/IGreeter/Greet \
    --body '<Greet xmlns="urn:example:greeter"><name>Bob</name></Greet>' --json | python3 -c '
import json, sys; o = json.load(sys.stdin); print(o["headers"])')
check "nettcp call sees the example's reply header" "$got" "[{'ns': 'urn:example:greeter', 'name': 'Served', 'text': 'greeter'}]"
kill -INT "${pids[0]}"; wait "${pids[0]}"
check "the example service exits 0 on SIGINT" "$?" 0
pids=()
finish
