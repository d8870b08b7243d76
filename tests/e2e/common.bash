# Shared by the shell e2e tests that run nettcp serve over a throwaway realm
# (not a test itself: scripts/test runs *.sh). Source it first; it
# re-executes the test under scripts/with-realm when no realm is running,
# then brings in checks.bash and defines a service starter.
if [ -z "${NTCP_REALM:-}" ]; then
    exec "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts/with-realm" bash "$0" "$@"
fi
source "$(dirname "${BASH_SOURCE[0]}")/checks.bash"

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
    for _ in $(seq 1 200); do grep -qs '^listening on' "$tmp/$name.out" && break; read -r -t 0.05 <> <(:) || true; done
    url=$(sed -n 's/^listening on \([^ ]*\).*/\1/p' "$tmp/$name.out")
    port=${url#net.tcp://127.0.0.1:}; port=${port%%/*}
    [ -n "$url" ] || { echo "FAIL: $name did not start: $(cat "$tmp/$name.err")" >&2; failed=$((failed + 1)); }
}
