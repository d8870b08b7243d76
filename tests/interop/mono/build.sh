# Sourced by the Mono interop tests: builds MonoService, MonoClient, MonoHeaders, MonoMetadata and MonoWws
# with mcs into $BUILD/mono (rebuilt when a source changes) and sets $bin.
# Expects $BUILD and the functions ok/bad/finish of the sourcing script.
src=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$BUILD/mono"
bin=$(cd "$BUILD/mono" && pwd)
refs=(-r:System.ServiceModel.dll -r:System.Runtime.Serialization.dll)
build_exe() { # name, extra mcs args...
    local name=$1; shift
    local exe="$bin/$name.exe"
    if [ -f "$exe" ] && [ ! "$src/Contracts.cs" -nt "$exe" ] && [ ! "$src/$name.cs" -nt "$exe" ]; then
        return 0
    fi
    mcs -nologo -warnaserror -out:"$exe" "${refs[@]}" "$@" "$src/Contracts.cs" "$src/$name.cs" ||
        { rm -f "$exe"; return 1; }
}
if build_exe MonoService -r:Mono.Posix.dll && build_exe MonoClient && build_exe MonoHeaders && build_exe MonoMetadata && build_exe MonoWws; then ok; else
    bad "mcs failed"; finish; fi
