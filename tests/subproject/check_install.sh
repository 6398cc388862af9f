#!/usr/bin/env bash
# Test 'meson/install': configures a fresh ctnn build with --prefix=/usr, installs it into a
# temporary DESTDIR, checks the headers and ctnn.pc are there, and compiles tests/subproject/main.cpp
# with nothing but the flags `pkg-config --cflags ctnn` gives for the installed copy.
#   check_install.sh <repo root> [-D<option>=<value>...]
# Uses $CXX, $MESON, $PKG_CONFIG when set (tests/meson.build sets them).
set -euo pipefail
repo=$(cd "$1" && pwd); shift
meson=${MESON:-meson} pkg_config=${PKG_CONFIG:-pkg-config}
read -r -a cxx <<<"${CXX:-c++}"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ctnn-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/dest

"$meson" setup "$tmp/build" "$repo" --prefix=/usr \
  -Dtests=false -Dexamples=false -Dbenchmarks=disabled "$@"
"$meson" install -C "$tmp/build" --destdir "$dest" --quiet

fail() { echo "FAIL: $*"; echo "installed files:"; (cd "$dest" && find . -type f | sort | head -n 40); exit 1; }

[ -f "$dest/usr/include/ctnn/ctnn.hpp" ] || fail "usr/include/ctnn/ctnn.hpp not installed"
pc=$dest/usr/share/pkgconfig/ctnn.pc
[ -f "$pc" ] || fail "usr/share/pkgconfig/ctnn.pc not installed"

# The sysroot makes pkg-config prefix the installed -I paths with $dest.
cflags=$(PKG_CONFIG_PATH="$(dirname "$pc")" PKG_CONFIG_SYSROOT_DIR="$dest" "$pkg_config" --cflags ctnn)
echo "pkg-config --cflags ctnn: $cflags"
[[ " $cflags " == *" -I$dest/usr/include "* ]] || fail "cflags do not point at $dest/usr/include"

read -r -a cflag_array <<<"$cflags"
"${cxx[@]}" -std=c++20 "${cflag_array[@]}" "$repo/tests/subproject/main.cpp" -o "$tmp/consumer"
"$tmp/consumer"
echo "installed ctnn found through pkg-config, compiled and ran"
