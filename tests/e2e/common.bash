# Shared by the shell e2e tests that run nettcp serve over a throwaway realm
# (not a test itself: scripts/test runs *.sh). Source it first; it re-executes the test under
# scripts/with-realm when no realm is running, and defines the checks
# (each counts into $passed / $failed) and a service starter.
here=$(cd "$(dirname "${BASH_SOURCE[1]}")/../.." && pwd)
build=${NTCP_BUILD:-build}
case "$build" in /*) ;; *) build=$here/$build ;; esac
if [ -z "${NTCP_REALM:-}" ]; then exec "$here/scripts/with-realm" bash "$0" "$@"; fi
nettcp="$build/nettcp"
passed=0 failed=0
check() { # name, got, want
    if [ "$2" == "$3" ]; then passed=$((passed + 1)); else
        failed=$((failed + 1)); echo "FAIL: $1" >&2; diff <(echo "$3") <(echo "$2") | head -20 >&2; fi
}
contains() { # name, haystack, needle
    case "$2" in *"$3"*) passed=$((passed + 1)) ;; *) failed=$((failed + 1)); echo "FAIL: $1: no '$3' in: $2" >&2 ;; esac
}
lacks() { # name, haystack, needle
    case "$2" in *"$3"*) failed=$((failed + 1)); echo "FAIL: $1: '$3' found" >&2 ;; *) passed=$((passed + 1)) ;; esac
}
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done; wait; rm -rf "$tmp"' EXIT

# serve NAME ARGS...: starts `nettcp serve` on a free port; sets $url and $port
serve() {
    local name=$1; shift
    "$nettcp" serve "net.tcp://127.0.0.1:0/calc" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    pids+=($!)
    wait_listening "$name"
}
# wait_listening NAME: waits for $tmp/NAME.out to say where it listens
wait_listening() {
    local name=$1
    for _ in $(seq 1 200); do grep -q '^listening on' "$tmp/$name.out" && break; read -r -t 0.05 <> <(:) || true; done
    url=$(sed -n 's/^listening on \([^ ]*\).*/\1/p' "$tmp/$name.out")
    port=${url#net.tcp://127.0.0.1:}; port=${port%%/*}
    [ -n "$url" ] || { echo "FAIL: $name did not start: $(cat "$tmp/$name.err")" >&2; failed=$((failed + 1)); }
}
# finish: the summary line and the exit status
finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}
