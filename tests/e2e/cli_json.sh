#!/usr/bin/env bash
# The CLI's JSON is valid whatever the bytes: frames --json on Via, upgrade and
# fault records holding 0xff, NUL, control characters, encoded surrogates,
# overlong and truncated sequences; parsed by Python's json module, the string
# is the bytes decoded with U+FFFD for each maximal ill-formed subpart
# (Python's errors="replace"), and FIELD_hex carries the exact bytes.
set -u
source "$(dirname "$0")/checks.bash"
PY=/usr/bin/python3

# one direction: Version, Mode duplex, Via <bytes>, KnownEncoding, UpgradeRequest <bytes>
cases=(
    'ff'
    '6e65742e7463703a2f2f6800ff2f'   # "net.tcp://h" NUL 0xff "/"
    '0102090a0d1b1f7f'                # control characters and DEL
    'eda080'                          # a lone high surrogate, encoded
    'edbfbf61'                        # a lone low surrogate, then "a"
    'c0af'                            # overlong "/"
    'f09f98'                          # a truncated 4-byte sequence at the end
    'f4908080'                        # past U+10FFFF
    '225c2f'                          # quote, backslash, slash
    'c3a9f09f9880'                    # valid: e-acute and an emoji
    '61f18080e180c262806380bf64'      # Unicode's table 3-8 example
)
for hex in "${cases[@]}"; do
    n=$((${#hex} / 2))
    printf '00 01 00 01 02 02 %02x %s 03 08 09 %02x %s\n' "$n" "$hex" "$n" "$hex" > "$tmp/rec.hex"
    out=$("$nettcp" frames --json "$tmp/rec.hex"); rc=$?
    check "frames --json $hex: exit 0" "$rc" 0
    got=$(printf '%s\n' "$out" | "$PY" -c '
import json, sys
raw = bytes.fromhex(sys.argv[1])
data = sys.stdin.buffer.read()
data.decode("utf-8")              # strict: no encoded surrogates, no ill-formed bytes
ok = []
for line in data.decode("utf-8").splitlines():
    o = json.loads(line)
    for key in ("via", "upgrade"):
        if key in o:
            want = raw.decode("utf-8", "replace")
            hexed = o.get(key + "_hex")
            valid = True
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                valid = False
            ok.append(o[key] == want and (hexed is None if valid else hexed == raw.hex()))
print(" ".join("ok" if x else "wrong" for x in ok))
' "$hex" 2>&1)
    check "frames --json $hex: valid JSON, replacement and _hex exact" "$got" "ok ok"
done

# the exact line for 0xff in a Via
printf '00 01 00 01 02 02 01 ff\n' > "$tmp/ff.hex"
check "Via 0xff: exact" "$("$nettcp" frames --json "$tmp/ff.hex" | sed -n 3p)" \
    "{\"offset\":5,\"type\":\"Via\",\"size\":1,\"via\":\"$(printf '\xef\xbf\xbd')\",\"via_hex\":\"ff\"}"
# NUL as \u0000, control characters escaped, no _hex for valid UTF-8
printf '00 01 00 01 02 02 03 00 01 0a\n' > "$tmp/nul.hex"
check "Via NUL: exact" "$("$nettcp" frames --json "$tmp/nul.hex" | sed -n 3p)" \
    '{"offset":5,"type":"Via","size":3,"via":"\u0000\u0001\n"}'
# a fault record holding 0xfe
printf '08 02 41 fe\n' > "$tmp/fault.hex"
check "Fault 0xfe: exact" "$("$nettcp" frames --json "$tmp/fault.hex")" \
    "{\"offset\":0,\"type\":\"Fault\",\"size\":2,\"fault\":\"A$(printf '\xef\xbf\xbd')\",\"fault_hex\":\"41fe\"}"
finish
