# The checks every shell test shares (not a test itself: scripts/test runs
# *.sh). Source it first: it sets $nettcp (from NTCP_BUILD), a temporary
# directory $tmp removed on exit (with the processes in $pids), and
# check / contains / lacks, each counting into $passed or $failed; finish
# prints the summary line and sets the exit status.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${NTCP_BUILD:-build}
case "$build" in /*) ;; *) build=$here/$build ;; esac
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
# traced FILE PATTERN N: waits (10 s at most) until FILE has N lines that
# match PATTERN (grep -E); a running service writes its trace from a thread of
# its own, a moment after the event
traced() {
    for _ in $(seq 1 200); do
        [ "$(grep -cE -- "$2" "$1" 2>/dev/null)" -ge "$3" ] && return 0
        read -r -t 0.05 <> <(:) || true
    done
    return 1
}
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done; wait; rm -rf "$tmp"' EXIT

# finish: the summary line and the exit status
finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}
