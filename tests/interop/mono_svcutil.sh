#!/usr/bin/env bash
# Mono's svcutil (Debian mono-devel) generating a WCF client from the WSDL
# `nettcp serve --wsdl-port` publishes: from ?singleWsdl it writes both
# contracts with the exact actions, and the generated EchoClient, compiled
# with mcs, calls our service over NetTcpBinding (SecurityMode.None).
# Mono's svcutil generates no types from a WSDL split over several
# namespaces (?wsdl importing ?wsdl=wsdl0, as WCF publishes them too), and
# writes no configuration (so no <identity> to check): see docs/cli.md.
# Nothing is skipped: a missing tool is a failure. Ends with "N passed, N failed".
set -u
BUILD=${NTCP_BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
nettcp="$BUILD/nettcp"
source "$(dirname "$0")/checks.bash"
for tool in mono mcs svcutil; do
    command -v $tool >/dev/null || { bad "$tool is not installed (run scripts/bootstrap)"; finish; }
done
[ -x "$nettcp" ] || { bad "$nettcp is not built (run make)"; finish; }
tmp=$(mktemp -d)
spid=
trap '[ -z "$spid" ] || kill -TERM "$spid" 2>/dev/null; wait; rm -rf "$tmp"' EXIT

"$nettcp" serve "net.tcp://127.0.0.1:0/calc" --security none --wsdl-port 0 >"$tmp/serve.out" 2>"$tmp/serve.err" &
spid=$!
for _ in $(seq 1 200); do grep -qs '^listening on' "$tmp/serve.out" && break; pause; done
url=$(sed -n 's/^listening on \([^ ]*\).*/\1/p' "$tmp/serve.out")
meta=$(sed -n 's/^metadata at \(.*\)?wsdl$/\1/p' "$tmp/serve.out")
[ -n "$url" ] && [ -n "$meta" ] || { bad "serve did not start: $(cat "$tmp/serve.err")"; finish; }

(cd "$tmp" && timeout 120 svcutil --noLogo --noConfig "$meta?singleWsdl" -o:gen.cs >svcutil.out 2>&1)
check "svcutil reads ?singleWsdl" "0" "$?"
got=$(grep -o 'Action="[^"]*", ReplyAction="[^"]*"' "$tmp/gen.cs" | sort)
C=http://Microsoft.ServiceModel.Samples/ICalculator E=http://tempuri.org/IEcho
want=$(for a in $C/Add $C/Divide $C/Multiply $C/Subtract $E/Delay $E/Echo $E/Headers; do
    printf 'Action="%s", ReplyAction="%sResponse"\n' $a $a; done | sort)
check "every operation with its actions" "$want" "$got"
got=$(grep -o -E '(public interface|public class) [A-Za-z]+(Client)? ' "$tmp/gen.cs" | grep -E 'ICalculator |IEcho |Client ' | sort)
check "the contracts and their clients" "public class CalculatorClient 
public class EchoClient 
public interface ICalculator 
public interface IEcho " "$got"
mcs -nologo -out:"$tmp/client.exe" -r:System.ServiceModel.dll -r:System.Runtime.Serialization.dll \
    "$tmp/gen.cs" "$(dirname "$0")/mono/SvcutilClient.cs" >"$tmp/mcs.out" 2>&1
check "the generated code compiles" "0" "$?"
got=$(timeout 120 mono "$tmp/client.exe" "$url" 2>"$tmp/client.err")
check "the generated client calls our service" "Echo = hi [caller: unauthenticated]
Delay = 5
Headers = 0" "$got"
[ -s "$tmp/client.err" ] && echo "client: $(head -5 "$tmp/client.err")" >&2
finish
