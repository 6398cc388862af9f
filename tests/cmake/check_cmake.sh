#!/usr/bin/env bash
# Tests 'cmake/<route>': builds tests/cmake/ (a CMake project linking ctnn::ctnn) in a temporary
# directory and runs it, with ctnn taken one of the ways CMake users take a library:
#   meson-install   meson install into a DESTDIR, then find_package(ctnn 0.1 CONFIG)
#   cmake-install   cmake --install of ctnn's CMakeLists.txt, then find_package
#   subdirectory    add_subdirectory(<ctnn source>)
#   fetchcontent    FetchContent_Declare(ctnn SOURCE_DIR <ctnn source>) + MakeAvailable
# and checks that the SIMD setting arrived (the program prints simd_enabled=0|1). An installed
# package must also refuse a request for another minor or major version (0.2, 1.0).
#   check_cmake.sh <repo root> <route> <simd: true|false>
# Uses $CXX and $MESON when set (tests/meson.build sets them).
set -euo pipefail
repo=$(cd "$1" && pwd) route=$2 simd=$3
meson=${MESON:-meson}
command -v cmake >/dev/null || { echo "cmake not found (scripts/setup.sh installs it)"; exit 1; }
read -r -a cxx <<<"${CXX:-c++}"
# CMake takes the compiler and its first arguments apart (ccache and the like).
compiler=${cxx[0]} compiler_args=("${cxx[@]:1}")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ctnn-cmake.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cmake_simd=ON; [ "$simd" = true ] || cmake_simd=OFF
expect=1; [ "$simd" = true ] || expect=0

consumer=(-S "$repo/tests/cmake" -B "$tmp/consumer" -DCMAKE_CXX_COMPILER="$compiler")
[ ${#compiler_args[@]} -eq 0 ] || consumer+=(-DCMAKE_CXX_COMPILER_ARG1="${compiler_args[*]}")
case $route in
  meson-install)
    "$meson" setup "$tmp/build" "$repo" --prefix=/usr -Dsimd="$simd" \
      -Dtests=false -Dexamples=false -Dbenchmarks=disabled >/dev/null
    "$meson" install -C "$tmp/build" --destdir "$tmp/dest" --quiet
    [ -f "$tmp/dest/usr/share/cmake/ctnn/ctnnConfig.cmake" ] ||
      { echo "FAIL: share/cmake/ctnn/ctnnConfig.cmake not installed beside ctnn.pc"; exit 1; }
    consumer+=(-DCTNN_ROUTE=package -DCMAKE_PREFIX_PATH="$tmp/dest/usr") ;;
  cmake-install)
    cmake -S "$repo" -B "$tmp/build" -DCTNN_SIMD="$cmake_simd" -DCMAKE_CXX_COMPILER="$compiler" >/dev/null
    cmake --install "$tmp/build" --prefix "$tmp/prefix" >/dev/null
    consumer+=(-DCTNN_ROUTE=package -DCMAKE_PREFIX_PATH="$tmp/prefix") ;;
  subdirectory|fetchcontent)
    consumer+=(-DCTNN_ROUTE="$route" -DCTNN_SOURCE="$repo" -DCTNN_SIMD="$cmake_simd") ;;
  *) echo "unknown route '$route'"; exit 2 ;;
esac

cmake "${consumer[@]}" >"$tmp/configure.log" || { cat "$tmp/configure.log"; exit 1; }
cmake --build "$tmp/consumer" || exit 1
output=$("$tmp/consumer/consumer") || { echo "FAIL: the consumer failed: $output"; exit 1; }
echo "$output"
grep -q "^simd_enabled=$expect " <<<"$output" ||
  { echo "FAIL: expected simd_enabled=$expect (simd=$simd)"; exit 1; }
if [[ $route == *-install ]]; then
  for want in 0.2 1.0; do
    if cmake "${consumer[@]}" -B "$tmp/consumer-$want" -DCTNN_WANT=$want >"$tmp/want.log" 2>&1 ||
       ! grep -q "version: 0\.1\.0" "$tmp/want.log"; then
      echo "FAIL: find_package(ctnn $want) should refuse the installed 0.1.0:"; cat "$tmp/want.log"; exit 1
    fi
  done
  echo "find_package(ctnn 0.2) and (ctnn 1.0) refused, as they should be"
fi
echo "cmake/$route: ctnn::ctnn found, built and ran"
