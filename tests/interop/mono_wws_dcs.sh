#!/usr/bin/env bash
# The WWSAPI serializer against Mono's DataContractSerializer
# (tests/interop/mono/MonoDcs.cs), both ways, for three data contracts: v
# (float, DateTime UTC and unspecified, TimeSpan, Guid, byte[], an enum), n
# (null string, null byte[], null and set int?, empty string) and box (a
# KnownType subtype behind a base-typed member). nettcp reads what Mono
# writes and Mono reads what nettcp writes (tests/interop/wws_dcs.c); each
# side prints what it got, and both must print what Mono prints for the
# value itself. Nothing is skipped: a missing tool is a failure.
set -u
BUILD=${NTCP_BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
source "$(dirname "$0")/checks.bash"
for tool in mono mcs; do
    command -v $tool >/dev/null || { bad "$tool is not installed (run scripts/bootstrap)"; finish; }
done
helper="$BUILD/tests/interop/wws_dcs"
[ -x "$helper" ] || { bad "$helper is not built (run make)"; finish; }
. "$(dirname "$0")/mono/build.sh"
if mcs_out=$(build_exe MonoDcs 2>&1); then ok; else bad "mcs MonoDcs: $mcs_out"; finish; fi
dcs() { mono "$bin/MonoDcs.exe" "$@"; }

for kind in v n box; do
    want=$(dcs describe $kind)
    check "$kind: nettcp reads what DataContractSerializer writes" "$want" "$(dcs write $kind | "$helper" read $kind 2>&1)"
    check "$kind: DataContractSerializer reads what nettcp writes" "$want" "$("$helper" write $kind | dcs read $kind 2>&1)"
done
finish
