#!/usr/bin/env bash
# nettcp call --config app.config [--endpoint NAME]: a WCF client configuration
# gives the address, the binding's security, quotas and the identity; the
# command line overrides it; settings nettcp lacks are named, never ignored.
set -u
source "$(dirname "$0")/common.bash"

ADD='<Add xmlns="http://Microsoft.ServiceModel.Samples"><n1>2</n1><n2>3</n2></Add>'
ECHO='<Echo xmlns="http://tempuri.org/"><text>hello</text></Echo>'
CALC=http://Microsoft.ServiceModel.Samples/ICalculator
export NETTCP_PASSWORD=$NTCP_REALM_PASSWORD

# config NAME ADDRESS BINDINGS-XML ENDPOINT-ATTRS IDENTITY-XML [BEHAVIORS-XML]: writes $tmp/NAME.config
config() {
    cat > "$tmp/$1.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <startup><supportedRuntime version="v4.0" sku=".NETFramework,Version=v4.8" /></startup>
  <system.serviceModel>
    <bindings>$3</bindings>
    <behaviors>${6:-}</behaviors>
    <client>
      <endpoint address="$2" $4 contract="ICalculator" name="calc">
        <identity>$5</identity>
      </endpoint>
      <endpoint address="net.tcp://127.0.0.1:1/other" binding="netTcpBinding" contract="IEcho" name="other" />
    </client>
  </system.serviceModel>
</configuration>
XML
}
WIN='<netTcpBinding><binding name="win" maxReceivedMessageSize="1048576" openTimeout="00:00:30" sendTimeout="00:01:00"
     receiveTimeout="00:10:00" closeTimeout="00:00:10"><readerQuotas maxDepth="32" maxStringContentLength="65536" />
     <security mode="Transport"><transport clientCredentialType="Windows" protectionLevel="EncryptAndSign" />
     <message clientCredentialType="Windows" /></security></binding></netTcpBinding>'
SPN='<servicePrincipalName value="host/svc.nettcp.test" />'

serve default --keytab "$NTCP_REALM_SERVICE_KEYTAB"
config win "$url" "$WIN" 'binding="netTcpBinding" bindingConfiguration="win"' "$SPN"
got=$("$nettcp" call --config "$tmp/win.config" --endpoint calc --action $CALC/Add --body "$ADD" --user "$NTCP_REALM_USER" --json)
check "kerberos from the config: exit 0" "$?" 0
contains "kerberos from the config: reply" "$got" '<AddResult>5</AddResult>'
contains "kerberos from the config: security" "$got" '"security":{"package":"Kerberos","protection":"EncryptAndSign","mutual":true}'
got=$("$nettcp" call --config "$tmp/win.config" --endpoint calc --action $CALC/Add --body "$ADD" --user "$NTCP_REALM_USER" -v 2>&1 >/dev/null | head -1)
check "-v says what the file gave" "$got" "config: endpoint \"calc\" of $tmp/win.config: address $url, contract ICalculator, identity spn:host/svc.nettcp.test (options given on the command line override these)"
# getopt's forms: --config=FILE, abbreviations, options after the others
got=$("$nettcp" call --action $CALC/Add --body "$ADD" --user "$NTCP_REALM_USER" --conf="$tmp/win.config" --endpoint calc)
contains "--conf=FILE (an abbreviation) --endpoint NAME" "$got" '<AddResult>5</AddResult>'
# the identity comes from the file: a wrong one fails, the command line's wins
config badspn "$url" "$WIN" 'binding="netTcpBinding" bindingConfiguration="win"' \
    '<servicePrincipalName value="host/nothere.nettcp.test" />'
"$nettcp" call --config "$tmp/badspn.config" --endpoint calc --action $CALC/Add --body "$ADD" --user "$NTCP_REALM_USER" \
    --package kerberos >/dev/null 2>"$tmp/err"
contains "the file's SPN is used" "$(cat "$tmp/err")" "cause: spn_unknown"
got=$("$nettcp" call --config "$tmp/badspn.config" --endpoint calc --action $CALC/Add --body "$ADD" \
    --user "$NTCP_REALM_USER" --identity spn:host/svc.nettcp.test)
contains "--identity overrides the file" "$got" '<AddResult>5</AddResult>'
# a UPN identity of the wrong account: refused
config upn "$url" "$WIN" 'binding="netTcpBinding" bindingConfiguration="win"' '<userPrincipalName value="nobody@NETTCP.TEST" />'
"$nettcp" call --config "$tmp/upn.config" --endpoint calc --action $CALC/Add --body "$ADD" --user "$NTCP_REALM_USER" \
    --package kerberos >/dev/null 2>"$tmp/err"
check "the file's UPN is used: exit 1" "$?" 1
# protectionLevel Sign from the file against an EncryptAndSign service
SIGN=${WIN/protectionLevel=\"EncryptAndSign\"/protectionLevel=\"Sign\"}
config sign "$url" "$SIGN" 'binding="netTcpBinding" bindingConfiguration="win"' "$SPN"
"$nettcp" call --config "$tmp/sign.config" --endpoint calc --action $CALC/Add --body "$ADD" --user "$NTCP_REALM_USER" \
    >/dev/null 2>"$tmp/err"
contains "protectionLevel from the file" "$(cat "$tmp/err")" "protection_not_granted"
got=$("$nettcp" call --config "$tmp/sign.config" --endpoint calc --action $CALC/Add --body "$ADD" \
    --user "$NTCP_REALM_USER" --protection encrypt)
contains "--protection overrides the file" "$got" '<AddResult>5</AddResult>'
# security mode None from the file against a Transport service
NONE='<netTcpBinding><binding name="none"><security mode="None" /></binding></netTcpBinding>'
config none "$url" "$NONE" 'binding="netTcpBinding" bindingConfiguration="none"' ''
"$nettcp" call --config "$tmp/none.config" --endpoint calc --action $CALC/Add --body "$ADD" >/dev/null 2>"$tmp/err"
contains "security None from the file" "$(cat "$tmp/err")" "EndpointAccessDenied"
# maxReceivedMessageSize from the file bounds the reply (WCF's quota)
SMALL=${WIN/maxReceivedMessageSize=\"1048576\"/maxReceivedMessageSize=\"100\"}
config small "$url" "$SMALL" 'binding="netTcpBinding" bindingConfiguration="win"' "$SPN"
"$nettcp" call --config "$tmp/small.config" --endpoint calc --action $CALC/Add --body "$ADD" --user "$NTCP_REALM_USER" \
    >/dev/null 2>"$tmp/err"
contains "maxReceivedMessageSize from the file" "$(cat "$tmp/err")" "(message_too_large): upgraded (plaintext) stream offset 3; cause: quota_exceeded"
# the address on the command line overrides the file's
config elsewhere "net.tcp://127.0.0.1:1/calc" "$WIN" 'binding="netTcpBinding" bindingConfiguration="win"' "$SPN"
got=$("$nettcp" call "$url" --config "$tmp/elsewhere.config" --endpoint calc --action $CALC/Add --body "$ADD" \
    --user "$NTCP_REALM_USER")
contains "URL overrides the address" "$got" '<AddResult>5</AddResult>'
# no bindingConfiguration: NetTcpBinding's defaults (Transport, Windows, EncryptAndSign)
config defaults "$url" "" 'binding="netTcpBinding"' "$SPN"
got=$("$nettcp" call --config "$tmp/defaults.config" --endpoint calc --action http://tempuri.org/IEcho/Echo \
    --body "$ECHO" --user "$NTCP_REALM_USER")
contains "netTcpBinding defaults" "$got" "hello [caller: $NTCP_REALM_USER, Kerberos, EncryptAndSign]"
# a customBinding of windowsStreamSecurity + tcpTransport
CUSTOM='<customBinding><binding name="c"><binaryMessageEncoding /><windowsStreamSecurity protectionLevel="EncryptAndSign" />
        <tcpTransport maxReceivedMessageSize="65536" /></binding></customBinding>'
config custom "$url" "$CUSTOM" 'binding="customBinding" bindingConfiguration="c"' "$SPN"
got=$("$nettcp" call --config "$tmp/custom.config" --endpoint calc --action $CALC/Add --body "$ADD" --user "$NTCP_REALM_USER")
contains "customBinding" "$got" '<AddResult>5</AddResult>'

serve none --security none
config none2 "$url" "$NONE" 'binding="netTcpBinding" bindingConfiguration="none"' ''
got=$("$nettcp" call --config "$tmp/none2.config" --endpoint calc --action $CALC/Add --body "$ADD")
contains "security None service" "$got" '<AddResult>5</AddResult>'
# with --wsdl --op --args: the file's address and security, the operation and body from the WSDL
# (whose endpoint says Transport/Windows: the file's security None wins over it)
W=$(cd "$(dirname "$0")/../vectors/wsdl/samples" && pwd)/samples.wsdl
got=$("$nettcp" call --config "$tmp/none2.config" --endpoint calc --wsdl "$W" --op Add --args '{"n1":2,"n2":3}')
check "--config with --op --args: the file over the WSDL" "$got" '{"AddResult":5}'
got=$("$nettcp" call --config "$tmp/none2.config" --endpoint calc --wsdl "$W" --op Add --args '{"n1":2,"n2":3.25}' --json |
    python3 -c 'import json,sys; o=json.load(sys.stdin); print(o["ok"], o["result"], o["headers"])')
check "--config with --op --json: one valid document" "$got" "True {'AddResult': 5.25} []"
config mex "$url" "" 'binding="mexTcpBinding"' ''
got=$("$nettcp" call --config "$tmp/mex.config" --endpoint calc --action $CALC/Add --body "$ADD")
contains "mexTcpBinding: no security" "$got" '<AddResult>5</AddResult>'

# ---- bad files: each named, exit 1, nothing sent ----
bad() { # NAME WANT-TEXT [ARGS...]: the error line for --config $tmp/NAME.config
    local name=$1 want=$2; shift 2
    "$nettcp" call --config "$tmp/$name.config" --action $CALC/Add --body "$ADD" "$@" >/dev/null 2>"$tmp/err"
    local rc=$?
    check "$name: exit 1" "$rc" 1
    check "$name: message" "$(head -1 "$tmp/err")" "$want"
}
A='binding="netTcpBinding" bindingConfiguration="win"'
config ok "net.tcp://127.0.0.1:1/calc" "$WIN" "$A" "$SPN"
bad ok "nettcp call: $tmp/ok.config line 10: no <endpoint name=\"nope\">; the endpoints: \"calc\", \"other\"; cause: config_endpoint_missing" --endpoint nope
bad ok "nettcp call: $tmp/ok.config line 10: 2 endpoints and no --endpoint: name one of \"calc\", \"other\"; cause: config_endpoint_missing"
config nobind "net.tcp://127.0.0.1:1/calc" "$WIN" 'binding="netTcpBinding" bindingConfiguration="secure"' "$SPN"
bad nobind "nettcp call: $tmp/nobind.config line 11: <endpoint bindingConfiguration=\"secure\">: no <bindings><netTcpBinding><binding name=\"secure\">; cause: config_binding_missing" --endpoint calc
config message "net.tcp://127.0.0.1:1/calc" "${WIN/mode=\"Transport\"/mode=\"Message\"}" "$A" "$SPN"
bad message "nettcp call: $tmp/message.config line 7: <security mode=\"Message\">: message security (WS-Security in the SOAP headers) is not implemented; None and Transport are; cause: config_unsupported" --endpoint calc
config twmc "net.tcp://127.0.0.1:1/calc" "${WIN/mode=\"Transport\"/mode=\"TransportWithMessageCredential\"}" "$A" "$SPN"
bad twmc "nettcp call: $tmp/twmc.config line 7: <security mode=\"TransportWithMessageCredential\">: message security (WS-Security in the SOAP headers) is not implemented; None and Transport are; cause: config_unsupported" --endpoint calc
config rm "net.tcp://127.0.0.1:1/calc" '<netTcpBinding><binding name="win"><reliableSession enabled="true" /></binding></netTcpBinding>' "$A" "$SPN"
bad rm "nettcp call: $tmp/rm.config line 5: <reliableSession enabled=\"true\">: WS-ReliableMessaging is not implemented; cause: config_unsupported" --endpoint calc
config attr "net.tcp://127.0.0.1:1/calc" '<netTcpBinding><binding name="win" transactionFlow="true" /></netTcpBinding>' "$A" "$SPN"
bad attr "nettcp call: $tmp/attr.config line 5: <binding transactionFlow=\"true\">: flowing transactions (WS-AtomicTransaction / OleTx) is not implemented; cause: config_unsupported" --endpoint calc
config unknown "net.tcp://127.0.0.1:1/calc" '<netTcpBinding><binding name="win" frobnicate="1" /></netTcpBinding>' "$A" "$SPN"
bad unknown "nettcp call: $tmp/unknown.config line 5: <binding frobnicate=\"1\">: the attribute frobnicate is not implemented; cause: config_unsupported" --endpoint calc
config http "http://127.0.0.1:1/calc" "" 'binding="basicHttpBinding"' ''
bad http "nettcp call: $tmp/http.config line 8: <endpoint binding=\"basicHttpBinding\">: nettcp calls netTcpBinding, mexTcpBinding and customBinding (tcpTransport) endpoints; cause: config_unsupported" --endpoint calc
config text "net.tcp://127.0.0.1:1/calc" '<customBinding><binding name="c"><textMessageEncoding /><tcpTransport /></binding></customBinding>' 'binding="customBinding" bindingConfiguration="c"' ''
bad text "nettcp call: $tmp/text.config line 5: <textMessageEncoding> in <binding>: this binding element is not implemented (tcpTransport, binaryMessageEncoding, windowsStreamSecurity and sslStreamSecurity are); cause: config_unsupported" --endpoint calc
config timeout "net.tcp://127.0.0.1:1/calc" '<netTcpBinding><binding name="win" openTimeout="soon" /></netTcpBinding>' "$A" "$SPN"
bad timeout "nettcp call: $tmp/timeout.config line 5: <binding openTimeout=\"soon\">: a TimeSpan such as 00:01:00 ([d.]hh:mm:ss[.fffffff]) or Infinite; cause: config_invalid" --endpoint calc
config cred "net.tcp://127.0.0.1:1/calc" '<netTcpBinding><binding name="win"><security><transport clientCredentialType="Basic" /></security></binding></netTcpBinding>' "$A" "$SPN"
bad cred "nettcp call: $tmp/cred.config line 5: <transport clientCredentialType=\"Basic\">: one of None, Windows, Certificate; cause: config_invalid" --endpoint calc
config hdr "net.tcp://127.0.0.1:1/calc" "" 'binding="netTcpBinding"' '</identity><headers><Tenant xmlns="urn:x">a</Tenant></headers><identity>'
bad hdr "nettcp call: $tmp/hdr.config line 9: <headers> in <endpoint>: address headers are not implemented (give them with --header XML); cause: config_unsupported" --endpoint calc
config beh "net.tcp://127.0.0.1:1/calc" "" 'binding="netTcpBinding" behaviorConfiguration="b"' "$SPN" \
    '<endpointBehaviors><behavior name="b"><clientCredentials><clientCertificate findValue="x" /></clientCredentials></behavior></endpointBehaviors>'
bad beh "nettcp call: $tmp/beh.config line 6: <clientCertificate> in <clientCredentials>: certificate stores are Windows's: give --client-cert FILE --client-key FILE; cause: config_unsupported" --endpoint calc
config nobeh "net.tcp://127.0.0.1:1/calc" "" 'binding="netTcpBinding" behaviorConfiguration="zzz"' "$SPN"
bad nobeh "nettcp call: $tmp/nobeh.config line 8: <endpoint behaviorConfiguration=\"zzz\">: no <behaviors><endpointBehaviors><behavior name=\"zzz\">; cause: config_binding_missing" --endpoint calc
printf '<configuration><system.serviceModel><client>\n<endpoint name="x"\n</client></configuration>' > "$tmp/broken.config"
# (libxml2's wording of its first error differs between versions: the line and the cause are checked)
"$nettcp" call --config "$tmp/broken.config" --action a --body '<a/>' >/dev/null 2>"$tmp/err"
check "broken: exit 1" "$?" 1
got=$(head -1 "$tmp/err")
check "broken: the line of the first XML error" "${got%%: [A-Za-z]*; cause: *}" "nettcp call: $tmp/broken.config line 3"
contains "broken: cause" "$got" "; cause: config_unreadable"
"$nettcp" call --config "$tmp/absent.config" --action a --body '<a/>' >/dev/null 2>"$tmp/err"
contains "missing file: config_unreadable" "$(cat "$tmp/err")" "cause: config_unreadable"
printf '<configuration><appSettings /></configuration>' > "$tmp/nosm.config"
bad nosm "nettcp call: $tmp/nosm.config line 1: no <system.serviceModel> in <configuration>; cause: config_endpoint_missing"
# --json: the error as one object
got=$("$nettcp" call --config "$tmp/rm.config" --endpoint calc --action a --body '<a/>' --json)
check "--json error" "$got" "{\"ok\":false,\"status\":\"unsupported\",\"step\":\"config\",\"cause\":\"config_unsupported\",\"error\":\"$tmp/rm.config line 5: <reliableSession enabled=\\\"true\\\">: WS-ReliableMessaging is not implemented\",\"advice\":\"nettcp speaks netTcpBinding (or a customBinding of tcpTransport, binaryMessageEncoding and windowsStreamSecurity / sslStreamSecurity) with security None or Transport; remove the setting, or call an endpoint configured that way\"}"
"$nettcp" call --endpoint calc --action a --body '<a/>' >/dev/null 2>&1
check "--endpoint without --config: usage error" "$?" 2
"$nettcp" call --help | grep -q -- "--config FILE"
check "--help names --config" "$?" 0
finish
