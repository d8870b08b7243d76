#!/usr/bin/env bash
# nettcp decode on packet captures the test makes itself: tcpdump on lo while
# our client and `nettcp serve` talk over the throwaway realm (Kerberos and
# NTLM at each protection level, three messages a session so the session
# dictionary is reused), each decoded with the keytab or password and compared
# with what was sent and received; then the same captures with other link
# layers, and reordered, damaged, truncated ones. Ends with "N passed, N failed".
set -u
source "$(dirname "$0")/common.bash"
PY=/usr/bin/python3
client="$build/tests/e2e/capture_client"
rewrite="$here/tests/e2e/pcap_rewrite.py"
KT=$NTCP_REALM_SERVICE_KEYTAB

# poll CMD... until it succeeds or the deadline (about 10 s) passes
poll() { for _ in $(seq 1 200); do "$@" && return 0; read -r -t 0.05 <> <(:) || true; done; return 1; }
fins() { [ "$(tcpdump -r "$1" 'tcp[tcpflags] & tcp-fin != 0' 2>/dev/null | wc -l)" -ge 2 ]; }

# capture NAME URL PACKAGE PROTECTION USER PASSWORD: a session of 3 echo calls
# on URL captured into $tmp/NAME.pcap; what the client sent and received in
# $tmp/NAME.sent (c>s / s>c lines)
capture() {
    local name=$1 u=$2 pkg=$3 prot=$4 user=$5 pw=$6 p
    p=${u##*:}; p=${p%%/*}
    tcpdump -Z root --immediate-mode -U -i "${IFACE:-lo}" -w "$tmp/$name.pcap" "tcp port $p" 2>"$tmp/$name.tcpdump" &
    local tp=$!
    poll grep -q "listening on" "$tmp/$name.tcpdump"
    CAPTURE_USER=$user NETTCP_PASSWORD=$pw CAPTURE_NO_SERVER_AUTH=${NOSA:-} CAPTURE_BIG=${CAPTURE_BIG:-0} \
        "$client" "$u" "$pkg" "$prot" 3 >"$tmp/$name.sent" 2>"$tmp/$name.client.err"
    rc=$?
    check "$name: the session ran ($(cat "$tmp/$name.client.err"))" "$rc" 0
    poll fins "$tmp/$name.pcap"
    kill -INT "$tp"; wait "$tp" 2>/dev/null
}

# what decode found: "c>s TEXT" / "s>c RESULT" lines from --json, like capture_client prints them
found() { # FILE ARGS...
    local f=$1; shift
    "$nettcp" decode --json "$f" "$@" 2>/dev/null | $PY -c '
import json, re, sys
for line in sys.stdin:
    o = json.loads(line)
    if "xml" not in o:
        continue
    x = o["xml"]
    body = re.search(r"<s:Body>\s*(.*?)\s*</s:Body>", x, re.S).group(1)
    print(o["connection"], o["direction"], o["index"], re.sub(r">\s+<", "><", body))' | sort -s -k2,2 -k3,3n | cut -d' ' -f2,4-
}
summary() { # FILE ARGS...: the summary object's fields
    local f=$1; shift
    "$nettcp" decode --json "$f" "$@" 2>/dev/null | $PY -c '
import json, sys
for line in sys.stdin:
    o = json.loads(line)
    if "summary" in o:
        s = o["summary"]
        print(s["package"], s["protection"], s["client_principal"], s["service_principal"], s["enctype"],
              s["messages"]["c>s"], s["messages"]["s>c"], s["errors"], s["cause"])'
}
# what the client sent and received, white space between tags aside
sent() { $PY -c 'import re, sys; [print(re.sub(r">\s+<", "><", l.rstrip("\n"))) for l in open(sys.argv[1])]' "$1" | sort -s -k1,1; }

serve enc --keytab "$KT"
enc_url=$url
serve sign --keytab "$KT" --protection sign
sign_url=$url
serve none --keytab "$KT" --protection none
none_url=$url

K="$NTCP_REALM_USER host/svc.nettcp.test@$NTCP_REALM"
N="$NTCP_REALM_NTLM_USER host/svc.nettcp.test"
run() { # NAME URL PACKAGE PROTECTION USER PASSWORD WANT-SUMMARY DECODE-ARGS...
    local name=$1 u=$2 pkg=$3 prot=$4 user=$5 pw=$6 ws=$7; shift 7
    capture "$name" "$u" "$pkg" "$prot" "$user" "$pw"
    check "$name: every envelope as sent and received" "$(found "$tmp/$name.pcap" "$@")" \
        "$(sent "$tmp/$name.sent")"
    check "$name: summary" "$(summary "$tmp/$name.pcap" "$@")" "$ws"
    "$nettcp" decode "$tmp/$name.pcap" "$@" >"$tmp/$name.txt" 2>"$tmp/$name.err"
    rc=$?
    check "$name: exit 0 ($(head -3 "$tmp/$name.err"))" "$rc" 0
}
A256=aes256-cts-hmac-sha1-96
run krb_enc "$enc_url" negotiate encrypt "$NTCP_REALM_USER" "$NTCP_REALM_PASSWORD" \
    "Kerberos EncryptAndSign $K $A256 3 3 0 None" --keytab "$KT"
run krb_raw "$enc_url" kerberos encrypt "$NTCP_REALM_USER" "$NTCP_REALM_PASSWORD" \
    "Kerberos EncryptAndSign $K $A256 3 3 0 None" --keytab "$KT"
run krb_sign "$sign_url" negotiate sign "$NTCP_REALM_USER" "$NTCP_REALM_PASSWORD" \
    "Kerberos Sign $K $A256 3 3 0 None" --keytab "$KT"
run ntlm_enc "$enc_url" ntlm encrypt "$NTCP_REALM_NTLM_USER" "$NTCP_REALM_NTLM_PASSWORD" \
    "NTLM EncryptAndSign $N None 3 3 0 None" --password wrong --password "$NTCP_REALM_NTLM_PASSWORD"
# the password from NETTCP_PASSWORD instead of the command line
check "ntlm_enc: the password from NETTCP_PASSWORD" \
    "$(NETTCP_PASSWORD="$NTCP_REALM_NTLM_PASSWORD" summary "$tmp/ntlm_enc.pcap")" "NTLM EncryptAndSign $N None 3 3 0 None"
NOSA=1 run ntlm_spnego "$enc_url" negotiate encrypt "$NTCP_REALM_NTLM_USER" "$NTCP_REALM_NTLM_PASSWORD" \
    "NTLM EncryptAndSign $N None 3 3 0 None" --password "$NTCP_REALM_NTLM_PASSWORD"
run ntlm_sign "$sign_url" ntlm sign "$NTCP_REALM_NTLM_USER" "$NTCP_REALM_NTLM_PASSWORD" \
    "NTLM Sign $N None 3 3 0 None" --password "$NTCP_REALM_NTLM_PASSWORD"
run ntlm_none "$none_url" ntlm none "$NTCP_REALM_NTLM_USER" "$NTCP_REALM_NTLM_PASSWORD" \
    "NTLM None $N None 3 3 0 None" --password "$NTCP_REALM_NTLM_PASSWORD"

# a 200 KB message: several NegotiateStream frames and TCP segments each way
serve big --keytab "$KT" --max-received-message-size 1000000 --max-string-content-length 1000000
CAPTURE_BIG=200000 run krb_big "$url" negotiate encrypt "$NTCP_REALM_USER" "$NTCP_REALM_PASSWORD" \
    "Kerberos EncryptAndSign $K $A256 3 3 0 None" --keytab "$KT"
CAPTURE_BIG=200000 run ntlm_big "$url" ntlm encrypt "$NTCP_REALM_NTLM_USER" "$NTCP_REALM_NTLM_PASSWORD" \
    "NTLM EncryptAndSign $N None 3 3 0 None" --password "$NTCP_REALM_NTLM_PASSWORD"
got=$("$nettcp" decode --json "$tmp/krb_big.pcap" --keytab "$KT" | $PY -c '
import json, sys
print([o["size"] > 200000 for o in map(json.loads, sys.stdin) if "xml" in o])')
check "200 KB message: the big envelopes are there" "$got" "[False, True, False, False, True, False]"

# two connections in one capture, each with its own key
mergecap -F pcap -w "$tmp/two.pcap" "$tmp/krb_enc.pcap" "$tmp/ntlm_enc.pcap"
got=$("$nettcp" decode --json "$tmp/two.pcap" --keytab "$KT" --password "$NTCP_REALM_NTLM_PASSWORD" | $PY -c '
import json, sys
for o in map(json.loads, sys.stdin):
    if "summary" in o:
        print(o["connection"], o["summary"]["package"], o["summary"]["messages"]["c>s"], o["summary"]["errors"])')
check "two connections, two keys" "$got" "1 Kerberos 3 0
2 NTLM 3 0"

# the session dictionary is reused: the second and third requests are smaller than the first
got=$("$nettcp" decode --json "$tmp/krb_enc.pcap" --keytab "$KT" | $PY -c '
import json, sys
s = [o["size"] for o in map(json.loads, sys.stdin) if o.get("direction") == "c>s"]
print(s[1] < s[0] and s[2] == s[1])')
check "session dictionary reuse shows in the sizes" "$got" True
# each envelope's time is its packet's: every request before its reply, every reply before the next request
got=$("$nettcp" decode --json "$tmp/krb_enc.pcap" --keytab "$KT" | $PY -c '
import json, sys
e = [o for o in map(json.loads, sys.stdin) if "xml" in o]
t = {(o["direction"], o["index"]): o["time"] for o in e}
seq = [t[(d, i)] for i in (1, 2, 3) for d in ("c>s", "s>c")]
print(seq == sorted(seq) and len(set(seq)) == 6)')
check "envelope times follow the exchange" "$got" True
# ... and are the packets' times: the last four data packets each way carry the three envelopes and End
sport=${enc_url##*:}; sport=${sport%%/*}
got=$( { tcpdump -tt -n -r "$tmp/krb_enc.pcap" 2>/dev/null; echo ---; "$nettcp" decode --json "$tmp/krb_enc.pcap" --keytab "$KT"; } | $PY -c '
import datetime, json, re, sys
port, pk, env = sys.argv[1], {"c>s": [], "s>c": []}, {}
lines = sys.stdin.read().split("\n---\n")
for l in lines[0].splitlines():
    m = re.match(r"(\d+\.\d+) IP \S+\.(\d+) > \S+\.(\d+):.* length (\d+)", l)
    if m and int(m.group(4)) > 0:
        pk["c>s" if m.group(3) == port else "s>c"].append(m.group(1))
for o in map(json.loads, lines[1].splitlines()):
    if "xml" in o:
        t = datetime.datetime.strptime(o["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
        env[(o["direction"], o["index"])] = "%d.%06d" % (int(t.timestamp()), t.microsecond)
print(all(env[(d, i)] == pk[d][-5 + i] for d in pk for i in (1, 2, 3)))' "$sport")
check "envelope times are their packets' times" "$got" True
contains "text output: which key worked" "$(cat "$tmp/krb_enc.txt")" \
    "# security: Kerberos (SPNEGO), EncryptAndSign; key: keytab: host/svc.nettcp.test@$NTCP_REALM kvno"
contains "text output: NTLM key" "$(cat "$tmp/ntlm_enc.txt")" "# security: NTLM, EncryptAndSign; key: password 2"
contains "text output: summary" "$(cat "$tmp/krb_enc.txt")" "; messages c>s 3, s>c 3; errors 0;"
contains "text output: the XML" "$(cat "$tmp/ntlm_sign.txt")" "<text>captured message 2</text>"
# --nt-hash instead of the password
hash=$(printf '%s' "$NTCP_REALM_NTLM_PASSWORD" | iconv -t UTF-16LE | openssl dgst -md4 -provider legacy -provider default -r | cut -d' ' -f1)
check "NT hash: the same envelopes" "$(found "$tmp/ntlm_enc.pcap" --nt-hash "$hash")" "$(found "$tmp/ntlm_enc.pcap" --password "$NTCP_REALM_NTLM_PASSWORD")"
contains "NT hash named" "$("$nettcp" decode "$tmp/ntlm_enc.pcap" --nt-hash "$hash" 2>&1)" "key: NT hash 1"

# why no key worked
err=$("$nettcp" decode "$tmp/krb_enc.pcap" 2>&1 >/dev/null); rc=$?
check "no keytab: exit 1" "$rc" 1
contains "no keytab: cause" "$err" "(cause: decrypt_no_keytab)"
err=$("$nettcp" decode "$tmp/krb_enc.pcap" --keytab "$NTCP_REALM_STALE_KEYTAB" 2>&1 >/dev/null); rc=$?
check "stale keytab: exit 1" "$rc" 1
contains "stale keytab: cause" "$err" "(cause: decrypt_keytab_"
err=$("$nettcp" decode "$tmp/krb_enc.pcap" --keytab "$tmp/nothere.keytab" 2>&1 >/dev/null)
contains "missing keytab: cause" "$err" "(cause: decrypt_keytab_"
err=$("$nettcp" decode "$tmp/ntlm_enc.pcap" --password nope 2>&1 >/dev/null); rc=$?
check "wrong password: exit 1" "$rc" 1
contains "wrong password: cause" "$err" "none of the 1 password(s)/hash(es) given is NETTCP\\carol's (the NTLMv2 response does not match) (cause: decrypt_password_mismatch)"
err=$("$nettcp" decode "$tmp/ntlm_enc.pcap" 2>&1 >/dev/null)
contains "no password: cause" "$err" "(cause: decrypt_no_password)"
lacks "no secret in the output" "$(cat "$tmp"/*.txt "$tmp"/*.err)" "$NTCP_REALM_NTLM_PASSWORD"

# the same capture through other link layers and pcapng
want_krb=$(found "$tmp/krb_enc.pcap" --keytab "$KT")
for m in null vlan sll2; do
    $PY "$rewrite" $m "$tmp/krb_enc.pcap" "$tmp/krb_$m.pcap"
    check "link layer $m: the same envelopes" "$(found "$tmp/krb_$m.pcap" --keytab "$KT")" "$want_krb"
done
# Windows' wrap tokens: RRC 28 (PROTOCOLS 10)
$PY "$rewrite" rrc28 "$tmp/krb_enc.pcap" "$tmp/krb_rrc28.pcap"
check "RRC 28 wrap tokens: the same envelopes" "$(found "$tmp/krb_rrc28.pcap" --keytab "$KT")" "$want_krb"
cmp -s "$tmp/krb_enc.pcap" "$tmp/krb_rrc28.pcap"; check "RRC 28: the tokens were rewritten" "$?" 1
editcap -F pcapng "$tmp/krb_enc.pcap" "$tmp/krb.pcapng"
check "pcapng: the same envelopes" "$(found "$tmp/krb.pcapng" --keytab "$KT")" "$want_krb"

# reordered and retransmitted segments: the same envelopes, counted in the summary
port=${enc_url##*:}; port=${port%%/*}
$PY "$rewrite" reorder "$tmp/krb_enc.pcap" "$tmp/reorder.pcap" "$port"
check "reordered: the same envelopes" "$(found "$tmp/reorder.pcap" --keytab "$KT")" "$want_krb"
got=$("$nettcp" decode --json "$tmp/reorder.pcap" --keytab "$KT" | $PY -c '
import json, sys
s = [o["summary"] for o in map(json.loads, sys.stdin) if "summary" in o][0]
print(s["retransmitted"], s["out_of_order"], s["errors"])')
check "reordered: counted" "$got" "1 1 0"
# a missing segment: reported with its offset, what came before decoded
$PY "$rewrite" drop "$tmp/krb_enc.pcap" "$tmp/drop.pcap" "$port"
err=$("$nettcp" decode "$tmp/drop.pcap" --keytab "$KT" 2>&1 >"$tmp/drop.txt"); rc=$?
check "missing segment: exit 1" "$rc" 1
contains "missing segment: named with its offset" "$err" "warning: connection 1 c>s: "
contains "missing segment: cause" "$err" "bytes missing at stream offset"
contains "missing segment: the envelopes before it decoded" "$(cat "$tmp/drop.txt")" "<text>captured message 2</text>"
# a damaged data frame
$PY "$rewrite" corrupt "$tmp/krb_enc.pcap" "$tmp/corrupt.pcap" "$port"
err=$("$nettcp" decode "$tmp/corrupt.pcap" --keytab "$KT" 2>&1 >/dev/null); rc=$?
check "corrupt frame: exit 1" "$rc" 1
contains "corrupt frame: which frame and why" "$err" "does not verify (bad checksum) (cause: decrypt_frame_failed)"
$PY "$rewrite" corrupt "$tmp/ntlm_enc.pcap" "$tmp/corrupt_ntlm.pcap" "$port"
err=$("$nettcp" decode "$tmp/corrupt_ntlm.pcap" --password "$NTCP_REALM_NTLM_PASSWORD" 2>&1 >/dev/null)
contains "corrupt NTLM frame" "$err" "the NTLM signature does not verify (cause: decrypt_frame_failed)"
# a truncated file
$PY "$rewrite" cut "$tmp/krb_enc.pcap" "$tmp/cut.pcap"
err=$("$nettcp" decode "$tmp/cut.pcap" --keytab "$KT" 2>&1 >/dev/null); rc=$?
check "truncated file: exit 1" "$rc" 1
contains "truncated file: warning" "$err" "ends in the middle of a packet"
contains "truncated file: cause" "$err" "(cause: capture_truncated)"

# an unsecured session over IPv6 captured on all interfaces, and --port
"$nettcp" serve "net.tcp://[::1]:0/calc" --security none >"$tmp/v6.out" 2>"$tmp/v6.err" &
pids+=($!)
poll grep -qs '^listening on' "$tmp/v6.out"
v6=$(sed -n 's/^listening on \([^ ]*\).*/\1/p' "$tmp/v6.out")
IFACE=any capture v6 "$v6" none none "" ""   # Linux cooked v2, as tcpdump writes it
check "tcpdump -i any: Linux cooked v2" "$(tcpdump -r "$tmp/v6.pcap" 2>&1 >/dev/null | grep -c LINUX_SLL2)" 1
check "IPv6, security none: every envelope" "$(found "$tmp/v6.pcap")" "$(sent "$tmp/v6.sent")"
check "IPv6: summary" "$(summary "$tmp/v6.pcap")" "none none None None None 3 3 0 None"
v6port=${v6##*:}; v6port=${v6port%%/*}
contains "IPv6: endpoints" "$("$nettcp" decode "$tmp/v6.pcap")" " -> [::1]:$v6port, from "
check "--port: the same" "$(found "$tmp/v6.pcap" --port "$v6port")" "$(found "$tmp/v6.pcap")"
err=$("$nettcp" decode "$tmp/v6.pcap" --port 9 2>&1 >/dev/null); rc=$?
check "--port with no connection: exit 1" "$rc" 1
contains "--port with no connection: cause" "$err" "(cause: capture_no_connection)"

# not a format decode reads
head -c 300 /dev/urandom | tr '\000-\014' 'x' > "$tmp/random.bin"
err=$("$nettcp" decode "$tmp/random.bin" 2>&1); rc=$?
check "random bytes: exit 1" "$rc" 1
contains "random bytes: formats named" "$err" "expected pcap, pcapng, a hex trace"
contains "random bytes: cause" "$err" "(cause: capture_format_unknown)"
printf 'this is not hex\n' > "$tmp/text.txt"
err=$("$nettcp" decode --json "$tmp/text.txt" 2>&1); rc=$?
check "text: exit 1" "$rc" 1
contains "text: formats named" "$err" "(cause: capture_format_unknown)"
printf '\x0a\x0d\x0d\x0a\x00\x00' > "$tmp/bad.pcapng"
err=$("$nettcp" decode "$tmp/bad.pcapng" 2>&1); rc=$?
check "broken pcapng header: exit 1" "$rc" 1
contains "broken pcapng header: cause" "$err" "(cause: capture_unreadable)"
"$nettcp" decode "$tmp/krb_enc.pcap" "$tmp/krb_enc.pcap" >/dev/null 2>&1
check "two captures: usage error" "$?" 2
"$nettcp" decode --keytab "$KT" "$tmp/text.txt" >/dev/null 2>&1
check "--keytab on a hex trace: usage error" "$?" 2
"$nettcp" decode --nt-hash 12 "$tmp/krb_enc.pcap" >/dev/null 2>&1
check "bad --nt-hash: usage error" "$?" 2
finish
