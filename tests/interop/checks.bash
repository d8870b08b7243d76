# The checks the interop tests share (not a test itself: scripts/test runs
# *.sh): ok / bad count into $passed / $failed, check compares an expected
# and an actual value, finish prints the summary line and exits with the
# verdict; pause is one short wait inside a polling loop with a deadline.
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }
finish() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }
check() { # description, expected, actual
    if [ "$2" = "$3" ]; then ok; else bad "$1"; diff <(echo "$2") <(echo "$3") | head -20 >&2; fi
}
pause() { read -r -t "${1:-0.05}" <> <(:) || true; }
# settled FILE: waits until a live capture's output FILE has not grown for
# 2 s (deadline 30 s): a loaded machine prints late, and stopping the
# capture earlier loses packets
settled() {
    local last=-1 now still=0
    for _ in $(seq 1 150); do
        now=$(wc -l < "$1")
        if [ "$now" -eq "$last" ]; then still=$((still + 1)); [ $still -ge 10 ] && return; else still=0; fi
        last=$now; pause 0.2
    done
}
