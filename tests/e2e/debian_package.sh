#!/usr/bin/env bash
# The Debian package: dpkg-buildpackage -us -uc -b on a copy of the tree
# builds nettcp, libnettcp0 and libnettcp-dev; they unpack (dpkg -x) into a
# temporary root where an example builds against the installed nettcp.pc
# and calls nettcp serve, and the packaged nettcp runs. The package is built
# once, in the release pass: the ASan pass says so and counts nothing.
# Ends with "N passed, N failed".
set -u
source "$(dirname "$0")/checks.bash"
case "$build" in
*-asan) echo "debian package: built in the release pass only"; finish; exit ;;
esac
for tool in dpkg-buildpackage dh pandoc pkg-config; do
    command -v $tool >/dev/null || { check "$tool is installed (scripts/bootstrap)" missing yes; finish; exit; }
done
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
version=$(sed -n '1s/^nettcp (\([^)]*\)).*/\1/p' "$here/debian/changelog")

# a copy of the tree (what git tracks, and new files it does not ignore): the build writes beside it
src=$tmp/src/nettcp-$version
mkdir -p "$src"
(cd "$here" && git ls-files -co --exclude-standard -z | tar --null -T - -cf -) | tar -x -C "$src"
(cd "$src" && DEB_BUILD_OPTIONS="parallel=$(nproc) noddebs nocheck" dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1
rc=$?
check "dpkg-buildpackage -us -uc -b" "$rc" 0
[ "$rc" -eq 0 ] || { tail -30 "$tmp/build.log" >&2; finish; exit; }
arch=$(dpkg --print-architecture)
for p in nettcp libnettcp0 libnettcp-dev; do
    deb=$tmp/src/${p}_${version}_$arch.deb
    [ -f "$deb" ]; check "$p package built" "$?" 0
    dpkg -x "$deb" "$tmp/root"
done
check "libnettcp-dev depends on the same libnettcp0" \
    "$(dpkg-deb -f "$tmp/src/libnettcp-dev_${version}_$arch.deb" Depends | tr ',' '\n' | grep libnettcp0 | tr -d ' ')" \
    "libnettcp0(=$version)"
contains "nettcp depends on libnettcp0" "$(dpkg-deb -f "$tmp/src/nettcp_${version}_$arch.deb" Depends)" "libnettcp0 (>= $version)"
check "libnettcp0 holds the shared library only" \
    "$(dpkg -c "$tmp/src/libnettcp0_${version}_$arch.deb" | awk '{ print $6 }' | grep '^./usr/lib/' | grep -v '/$' | sort)" \
    "./usr/lib/$ma/libnettcp.so.0
./usr/lib/$ma/libnettcp.so.$version"
for f in usr/bin/nettcp usr/include/nettcp/client.h usr/lib/$ma/libnettcp.a usr/lib/$ma/pkgconfig/nettcp.pc \
    usr/share/man/man1/nettcp.1.gz usr/share/man/man3/libnettcp.3.gz lib/systemd/system/nettcp.service \
    usr/share/doc/libnettcp-dev/examples/example_client.c usr/share/doc/nettcp/examples/serve.conf; do
    [ -e "$tmp/root/$f" ]; check "unpacked: $f" "$?" 0
done

# the example, built with the installed pkg-config file only
pc=(env PKG_CONFIG_SYSROOT_DIR="$tmp/root" PKG_CONFIG_PATH="$tmp/root/usr/lib/$ma/pkgconfig" pkg-config)
check "pkg-config finds the package's nettcp.pc" "$("${pc[@]}" --modversion nettcp)" "$version"
# shellcheck disable=SC2046
cc -std=c11 -Wall -Werror -o "$tmp/example" "$tmp/root/usr/share/doc/libnettcp-dev/examples/example_client.c" \
    $("${pc[@]}" --cflags --libs nettcp) 2>"$tmp/cc.log"
check "the example compiles against the package" "$?:$(cat "$tmp/cc.log")" "0:"
"$nettcp" serve net.tcp://127.0.0.1:0/calc --security none >"$tmp/serve.out" 2>"$tmp/serve.err" &
pids+=($!)
for _ in $(seq 1 200); do grep -qs '^listening on' "$tmp/serve.out" && break; read -r -t 0.05 <> <(:) || true; done
url=$(sed -n 's/^listening on \([^ ]*\).*/\1/p' "$tmp/serve.out")
contains "the example calls nettcp serve" "$(LD_LIBRARY_PATH=$tmp/root/usr/lib/$ma "$tmp/example" "$url" none 2>&1)" \
    "<AddResult>5</AddResult>"
LD_LIBRARY_PATH=$tmp/root/usr/lib/$ma ldd "$tmp/example" | grep -q "libnettcp.so.0 => $tmp/root/usr/lib/$ma/libnettcp.so.0"
check "the example uses the package's library" "$?" 0
check "the packaged nettcp runs" "$(LD_LIBRARY_PATH=$tmp/root/usr/lib/$ma "$tmp/root/usr/bin/nettcp" --version)" "nettcp $version"
# the packaged CLI calls a service with the packaged library
got=$(LD_LIBRARY_PATH=$tmp/root/usr/lib/$ma "$tmp/root/usr/bin/nettcp" call "$url" --security none \
    --action http://Microsoft.ServiceModel.Samples/ICalculator/Add \
    --body '<Add xmlns="http://Microsoft.ServiceModel.Samples"><n1>2</n1><n2>3</n2></Add>')
contains "the packaged nettcp calls the service" "$got" "<AddResult>5</AddResult>"
grep -q '^ExecStart=/usr/bin/nettcp serve --config /etc/nettcp/serve.conf$' "$tmp/root/lib/systemd/system/nettcp.service"
check "the unit starts the packaged binary" "$?" 0
finish
