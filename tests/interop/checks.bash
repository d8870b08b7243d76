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
