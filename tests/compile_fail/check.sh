#!/usr/bin/env bash
# Compile-only check of one file.
#
#   check.sh ok|ko <file> -- <compiler> [flags...]
#
# Runs `<compiler> <flags> -fsyntax-only <file>`.
#   ok: the file must compile.
#   ko: the file must NOT compile, and every line of the form
#         // expect: <extended regex>
#       in the file must match the compiler's output (grep -E, line by line). A ko file without
#       any expect line is an error: it would pass for any reason at all. A line
#         // errors: <n>
#       also requires exactly n diagnostics of the form "file:line:col: error:" (follow-on errors
#       after the one that says what is wrong are a defect too).
# Diagnostics are produced with LC_ALL=C (plain ASCII quotes) and without colour, the same for
# g++ and clang++, so write the regexes against the message text, e.g.
#   // expect: layer 3 \(dense<64>\) expects 32 inputs, got 64
# Exit status: 0 pass, 1 fail, 99 usage error (meson's "hard error").
set -uo pipefail

usage() { echo "usage: $0 ok|ko <file> -- <compiler> [flags...]" >&2; exit 99; }

[ $# -ge 4 ] || usage
kind=$1 file=$2
[ "$3" = "--" ] || usage
shift 3
case $kind in ok|ko) ;; *) usage ;; esac
[ -f "$file" ] || { echo "check.sh: no such file: $file" >&2; exit 99; }

show_output() {
  echo "--- compiler output (first 60 lines) ---"
  head -n 60 <<<"$output"
}

cmd=("$@" -fdiagnostics-color=never -fsyntax-only "$file")
output=$(LC_ALL=C "${cmd[@]}" 2>&1)
status=$?

if [ "$kind" = ok ]; then
  if [ $status -ne 0 ]; then
    echo "FAIL: $file should compile but the compiler exited with status $status"
    echo "command: ${cmd[*]}"
    show_output
    exit 1
  fi
  exit 0
fi

if [ $status -eq 0 ]; then
  echo "FAIL: $file compiled, but it is a ko case and must be rejected"
  echo "command: ${cmd[*]}"
  exit 1
fi

mapfile -t expects < <(sed -n 's|^[[:space:]]*//[[:space:]]*expect:[[:space:]]*||; T; s|[[:space:]]*$||; p' "$file")
if [ ${#expects[@]} -eq 0 ]; then
  echo "FAIL: $file has no '// expect: <regex>' line saying why it must fail"
  show_output
  exit 1
fi

missing=0
for re in "${expects[@]}"; do
  if [ -z "$re" ]; then
    echo "FAIL: $file has an empty '// expect:' line (it would match anything)"
    missing=1
  elif ! grep -Eq -- "$re" <<<"$output"; then
    echo "FAIL: $file: compiler output does not match: $re"
    missing=1
  fi
done
want_errors=$(sed -n 's|^[[:space:]]*//[[:space:]]*errors:[[:space:]]*\([0-9][0-9]*\)[[:space:]]*$|\1|p' "$file")
if [ -n "$want_errors" ]; then
  got_errors=$(grep -Ec -- ':[0-9]+:[0-9]+: (fatal )?error:' <<<"$output")
  if [ "$got_errors" -ne "$want_errors" ]; then
    echo "FAIL: $file: the compiler reported $got_errors errors, expected $want_errors"
    missing=1
  fi
fi
if [ $missing -ne 0 ]; then
  echo "command: ${cmd[*]}"
  show_output
  exit 1
fi
exit 0
