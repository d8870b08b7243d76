#!/usr/bin/env bash
# make install / uninstall into a DESTDIR with PREFIX and a multiarch LIBDIR:
# the files and links, libnettcp.so.0's soname and exported symbols (the
# ntcp_ API only), an installed nettcp without a run path, nettcp.pc through
# pkg-config building and running an example client, the man pages, and an
# uninstall that leaves nothing. Ends with "N passed, N failed".
set -u
source "$(dirname "$0")/checks.bash"
san=(); case "$build" in *-asan) san=(SAN=1) ;; esac
root=$tmp/root lib=/usr/lib/x86_64-test-gnu
inst=(-s -C "$here" "${san[@]}" BUILD="$build" PREFIX=/usr LIBDIR=$lib DESTDIR="$root")

make "${inst[@]}" install >"$tmp/make.log" 2>&1; check "make install" "$?" 0
got=$(cd "$root" && find . \( -type f -o -type l \) | sort)
headers=$(cd "$here/include" && find nettcp -name '*.h' | sort | sed 's|^|./usr/include/|')
check "installed files" "$got" "./usr/bin/nettcp
$headers
.$lib/libnettcp.a
.$lib/libnettcp.so
.$lib/libnettcp.so.0
.$lib/libnettcp.so.0.1.0
.$lib/pkgconfig/nettcp-wws.pc
.$lib/pkgconfig/nettcp.pc
./usr/share/man/man1/nettcp.1
./usr/share/man/man3/libnettcp.3"
check "links" "$(readlink "$root$lib/libnettcp.so"):$(readlink "$root$lib/libnettcp.so.0")" "libnettcp.so.0:libnettcp.so.0.1.0"
check "soname" "$(readelf -d "$root$lib/libnettcp.so.0.1.0" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')" "libnettcp.so.0"

# exported: the ntcp_ API and the WWSAPI (Ws*), nothing else (not the internal ntcp__ names)
nm -D --defined-only "$root$lib/libnettcp.so.0" | awk '$2 != "A" { print $3 }' | sed 's/@.*//' | sort >"$tmp/syms"
check "only ntcp_ and Ws names exported" "$(grep -v -e '^ntcp_[a-z]' -e '^Ws[A-Z]' "$tmp/syms")" ""
for s in ntcp_client_open ntcp_client_call ntcp_service_new ntcp_service_set_nns ntcp_nmf_decoder_new \
    ntcp_xml_reader_new ntcp_status_name ntcp_set_allocator WsCreateChannel WsRequestReply WsCreateHeap; do
    grep -qx "$s" "$tmp/syms"; check "exports $s" "$?" 0
done
nm "$build/libnettcp.a" 2>/dev/null | grep -q ' T ntcp__dialog_init$'; check "ntcp__dialog_init exists inside" "$?" 0
grep -qx ntcp__dialog_init "$tmp/syms"; check "... and is not exported" "$?" 1
check "exported count is the API's" "$(wc -l <"$tmp/syms")" \
    "$(nm --defined-only -g "$build/libnettcp.a" 2>/dev/null | awk 'NF == 3 && $3 ~ /^(ntcp_[a-z]|Ws[A-Z])/ { print $3 }' | sort -u | wc -l)"

# the installed CLI: linked to libnettcp.so.0, no run path (the system's library)
readelf -d "$root/usr/bin/nettcp" >"$tmp/dyn"
grep -q 'NEEDED.*\[libnettcp.so.0\]' "$tmp/dyn"; check "nettcp needs libnettcp.so.0" "$?" 0
grep -Eq 'RPATH|RUNPATH' "$tmp/dyn"; check "installed nettcp has no run path" "$?" 1
check "installed nettcp runs" "$(LD_LIBRARY_PATH=$root$lib "$root/usr/bin/nettcp" --version)" "nettcp 0.1.0"
grep -q 'RUNPATH.*\$ORIGIN' <(readelf -d "$nettcp"); check "the in-tree nettcp finds its library beside it" "$?" 0

# pkg-config: an example client built against the installed files, run against nettcp serve
pc=(env PKG_CONFIG_SYSROOT_DIR="$root" PKG_CONFIG_PATH="$root$lib/pkgconfig" pkg-config)
check "pkg-config --modversion" "$("${pc[@]}" --modversion nettcp)" "0.1.0"
check "pkg-config: the installed paths" "$("${pc[@]}" --cflags-only-I --libs nettcp | tr " " "\n" | grep -Ex -e "-I$root/usr/include" -e "-L$root$lib" -e "-lnettcp" | tr "\n" " ")" \
    "-I$root/usr/include -L$root$lib -lnettcp "
"${pc[@]}" --print-requires-private nettcp | sort | tr '\n' ' ' >"$tmp/req"
check "Requires.private" "$(cat "$tmp/req")" "krb5 krb5-gssapi ldap libcrypto libcurl libpcap libssl libxml-2.0 "
# shellcheck disable=SC2046
cc -std=c11 -Wall -Werror "${san[@]/SAN=1/-fsanitize=address,undefined}" -o "$tmp/example" "$here/contrib/example_client.c" \
    $("${pc[@]}" --cflags --libs nettcp) 2>"$tmp/cc.log"
check "example compiles against the installed nettcp.pc" "$?:$(cat "$tmp/cc.log")" "0:"
"$nettcp" serve net.tcp://127.0.0.1:0/calc --security none >"$tmp/serve.out" 2>"$tmp/serve.err" &
pids+=($!)
for _ in $(seq 1 200); do grep -qs '^listening on' "$tmp/serve.out" && break; read -r -t 0.05 <> <(:) || true; done
url=$(sed -n 's/^listening on \([^ ]*\).*/\1/p' "$tmp/serve.out")
got=$(LD_LIBRARY_PATH=$root$lib "$tmp/example" "$url" none 2>&1)
contains "the example calls the service" "$got" "<AddResult>5</AddResult>"
LD_LIBRARY_PATH=$root$lib ldd "$tmp/example" | grep -q "libnettcp.so.0 => $root$lib/libnettcp.so.0"
check "the example uses the installed library" "$?" 0
# static linking through pkg-config --static (libcurl dynamic: its static dependencies are not installed)
cc -std=c11 "${san[@]/SAN=1/-fsanitize=address,undefined}" -o "$tmp/example-static" "$here/contrib/example_client.c" \
    -I"$root/usr/include" "$root$lib/libnettcp.a" $(pkg-config --libs --static libxml-2.0 krb5-gssapi krb5 libssl libcrypto) $(pkg-config --libs libcurl) -lm -lpthread \
    2>"$tmp/cc.log"
check "example links with libnettcp.a" "$?:$(cat "$tmp/cc.log")" "0:"
contains "the static example calls the service" "$("$tmp/example-static" "$url" none 2>&1)" "<AddResult>5</AddResult>"

# man pages (roff from pandoc): one section per command in nettcp(1); libnettcp(3)
man1=$root/usr/share/man/man1/nettcp.1 man3=$root/usr/share/man/man3/libnettcp.3
for c in frames decode xml serve call doctor; do
    grep -qx "\.SH nettcp $c" "$man1"; check "nettcp(1) has a section for $c" "$?" 0
done
grep -q -- "--config FILE" "$man1"; check "nettcp(1) documents serve --config" "$?" 0
check "nettcp(1) title" "$(grep '^\.TH' "$man1")" '.TH "NETTCP" "1" "" "nettcp 0.1.0" "nettcp manual"'
grep -q "nettcp/client.h" "$man3"; check "libnettcp(3) names the headers" "$?" 0
check "libnettcp(3) title" "$(grep '^\.TH' "$man3")" '.TH "LIBNETTCP" "3" "" "nettcp 0.1.0" "nettcp manual"'

make "${inst[@]}" uninstall >"$tmp/make.log" 2>&1; check "make uninstall" "$?" 0
check "uninstall leaves no file" "$(cd "$root" && find . \( -type f -o -type l \))" ""
finish
