#!/usr/bin/env bash
# The machine code of a program's entry points, and a summary of it: by default the 784-128-10
# example's three, or the functions you name in your own program.
#
#   bash scripts/asm.sh [options] [FILE [FUNCTION ...]]
#   options: [--compiler g++|clang++] [--function forward|gradient|inference|all]
#            [--summary-only] [--source] [--scalar] [--keep DIR] [--flags "..."]
#
# Without FILE: builds examples/assembly.cpp and shows its entry points (ctnn_forward_784_128_10,
# ctnn_gradient_784_128_10, ctnn_inference_784_128_10; --function picks one). With FILE: builds
# that program (it needs a main) and shows each FUNCTION, by its name as the disassembly prints it
# (an extern "C" name, or a C++ name without its parameter list: my_net::predict); without a
# FUNCTION, main. A function the compiler inlined everywhere has no code of its own: mark it
# [[gnu::noinline]] (or make it extern "C") to see it apart. --flags adds compiler flags (for
# example "-DNDEBUG -I src"); include ctnn as <ctnn/...>.
#
# The program is built as the meson build does for tests and examples (-std=c++20 -O3
# -march=native -pthread, linked with zlib), disassembled (objdump -d --no-show-raw-insn -C: AT&T
# syntax, demangled), and for each entry point the script prints the function itself and every
# function of the program it reaches through calls and jumps (what the compiler did not inline:
# kernels, the loss, GCC's .cold blocks), then a summary over that set:
#   - instructions, and how many are packed SIMD (share of the total) and scalar floating point;
#   - vector widths: packed instructions by their widest register, zmm (512 bits), ymm (256),
#     xmm (128);
#   - call instructions, with their targets and counts (indirect calls are listed as such);
#   - whether anything allocates: a call to operator new, malloc, calloc, realloc, aligned_alloc
#     or posix_memalign anywhere in the set.
# Each summary ends with one line for scripts:
#   asm: function=<name> compiler=<c> instructions=<n> simd=<n> simd_share=<f> scalar_fp=<n>
#        xmm=<n> ymm=<n> zmm=<n> fma=<n> calls=<n> indirect_calls=<n> functions=<n>
#        allocates=<yes|no>
# (fma: fused multiply-add instructions, vfmadd/vfmsub/vfnmadd/vfnmsub, packed or scalar.)
# Exit status: 0; 1 if a selected entry point allocates; 2 on usage or build errors.
#
# --summary-only  skip the listings; --source  interleave source lines (compiles with -g, objdump
# -S); --scalar  build with CTNN_NO_SIMD=1 (ctnn's scalar kernels, left to the compiler's
# auto-vectoriser); --keep DIR  keep the program and the full disassembly in DIR.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
compiler=g++ function=all summary_only=0 source=0 scalar=0 keep="" extra_flags=""
file="" names=()

usage() {
  sed -n '2,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case $1 in
    --compiler) [ $# -ge 2 ] || usage; compiler=$2; shift 2 ;;
    --function) [ $# -ge 2 ] || usage; function=$2; shift 2 ;;
    --summary-only) summary_only=1; shift ;;
    --source) source=1; shift ;;
    --scalar) scalar=1; shift ;;
    --keep) [ $# -ge 2 ] || usage; keep=$2; shift 2 ;;
    --flags) [ $# -ge 2 ] || usage; extra_flags=$2; shift 2 ;;
    -h|--help) usage ;;
    -*) echo "asm.sh: unknown option '$1'" >&2; usage ;;
    *) if [ -z "$file" ]; then file=$1; else names+=("$1"); fi; shift ;;
  esac
done
case $function in forward|gradient|inference|all) ;; *) echo "asm.sh: --function forward|gradient|inference|all" >&2; exit 2 ;; esac
command -v "$compiler" >/dev/null || { echo "asm.sh: compiler '$compiler' not found" >&2; exit 2; }
command -v objdump >/dev/null || { echo "asm.sh: objdump not found (binutils)" >&2; exit 2; }

if [ -n "$keep" ]; then
  mkdir -p "$keep"
  work=$(cd "$keep" && pwd)
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi

flags=(-std=c++20 -O3 -march=native -pthread -I"$root/include")
[ "$source" = 1 ] && flags+=(-g)
[ "$scalar" = 1 ] && flags+=(-DCTNN_NO_SIMD=1)
source_file=$root/examples/assembly.cpp
if [ -n "$file" ]; then
  [ -f "$file" ] || { echo "asm.sh: no such file: $file" >&2; exit 2; }
  source_file=$file
  [ ${#names[@]} -gt 0 ] || names=(main)
  function=all
fi
read -r -a extra <<<"$extra_flags"
"$compiler" "${flags[@]}" ${extra[@]+"${extra[@]}"} "$source_file" -o "$work/assembly" -lz || {
  echo "asm.sh: building $source_file failed" >&2
  exit 2
}
objdump_flags=(-d --no-show-raw-insn -C)
[ "$source" = 1 ] && objdump_flags+=(-S)
objdump "${objdump_flags[@]}" "$work/assembly" >"$work/assembly.s"

version=$("$compiler" --version | head -n 1)
[ "$scalar" = 1 ] && version+="; CTNN_NO_SIMD=1"
python3 - "$work/assembly.s" "$function" "$summary_only" "$compiler" "$version" ${names[@]+"${names[@]}"} <<'PYTHON'
import re
import signal
import sys
from collections import Counter

signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet when piped into head

listing, which, summary_only, compiler, version = sys.argv[1:6]
named = sys.argv[6:]  # the functions of the user's own program, if one was given
entries = {"forward": "ctnn_forward_784_128_10", "gradient": "ctnn_gradient_784_128_10",
           "inference": "ctnn_inference_784_128_10"}
if named:
    entries = {name: name for name in named}
selected = list(entries) if which == "all" else [which]

header = re.compile(r"^([0-9a-f]+) <(.*)>:$")
instruction = re.compile(r"^\s+([0-9a-f]+):\t(.*)$")
target = re.compile(r"<(.*)>$")

# name -> list of (raw line, mnemonic, operands); source lines (-S) are kept for printing only.
functions, lines, order = {}, {}, []
current = None
for raw in open(listing, encoding="utf-8", errors="replace"):
    raw = raw.rstrip("\n")
    m = header.match(raw)
    if m:
        current = m.group(2)
        functions[current], lines[current] = [], [raw]
        order.append(current)
        continue
    if current is None:
        continue
    if raw.strip() == "" :
        continue
    lines[current].append(raw)
    m = instruction.match(raw)
    if not m:
        continue
    text = m.group(2).strip()
    if not text or text.startswith("(bad)"):
        continue
    words = text.split(None, 1)
    prefixes = {"rep", "repz", "repe", "repnz", "repne", "lock", "notrack", "bnd", "data16", "cs", "ds"}
    while words and words[0] in prefixes and len(words) > 1:
        words = words[1].split(None, 1)
    mnemonic = words[0]
    operands = words[1] if len(words) > 1 else ""
    if mnemonic.startswith("nop") or mnemonic == "int3":
        continue  # alignment padding between functions, never executed
    functions[current].append((mnemonic, operands))

def base_name(t):
    t = re.sub(r"\+0x[0-9a-f]+$", "", t)
    return t

def edges(name):
    """(kind, target) for every call and every jump that leaves the function."""
    out = []
    for mnemonic, operands in functions[name]:
        is_call = mnemonic.startswith("call")
        is_jump = mnemonic.startswith("j")
        if not (is_call or is_jump):
            continue
        m = target.search(operands)
        if not m:
            if is_call:
                out.append(("call", "(indirect) " + operands))
            continue
        t = base_name(m.group(1))
        if is_call:
            out.append(("call", t))
        elif t != name:
            out.append(("jump", t))
    return out

def replace_template(name, prefix, replacement):
    """Replaces prefix<...> (balanced angle brackets) by replacement."""
    out, k = "", 0
    while True:
        at = name.find(prefix + "<", k)
        if at < 0:
            return out + name[k:]
        depth, e = 0, at + len(prefix)
        while e < len(name):
            depth += {"<": 1, ">": -1}.get(name[e], 0)
            e += 1
            if depth == 0:
                break
        out += name[k:at] + replacement
        k = e

def short(name):
    """A demangled name made readable: the network type is Net, strings are std::string, and
    the parameter list is dropped."""
    name = replace_template(name, "ctnn::network", "Net")
    name = replace_template(name, "ctnn::workspace", "workspace")
    name = replace_template(name, "ctnn::parameters", "parameters")
    name = name.replace("std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >", "std::string")
    name = re.sub(r"boost::hana::type_impl<(.*?)>::_", r"\1", name)
    clone = " ".join(re.findall(r"\[clone [^]]*\]", name))
    depth, cut = 0, None
    for k, c in enumerate(name):
        if c in "<(":
            if c == "(" and depth == 0 and cut is None and k > 0:
                cut = k
            depth += 1
        elif c in ">)":
            depth -= 1
    if cut is not None and not name.startswith("operator"):
        name = name[:cut] + "(...)" + (" " + clone if clone else "")
    return name if len(name) <= 150 else name[:100] + " ... " + name[-45:]

def strip_plt(t):
    return t[:-4] if t.endswith("@plt") else t

allocators = re.compile(r"^(operator new(\[\])?\(|malloc$|calloc$|realloc$|aligned_alloc$|posix_memalign$|__libc_malloc$)")

# The contract checks of the batch passes (detail/contract.hpp): a few compares on every call and,
# when a buffer does not fit, a message built in a std::string (out of line: rows_mismatch, ...)
# and a thrown ctnn::contract_error.
# That error path is the one place where ctnn allocates; it is summarised apart from the hot path.
contract_check = re.compile(r"^ctnn::detail::(require_rows|require_batch|samples_in|contract_failed|"
                            r"rows_mismatch|numbered_rows_mismatch|not_whole_samples|empty_batch)\(")

def is_simd_packed(mnemonic, operands):
    if not re.search(r"%[xyz]mm", operands):
        return False
    return not re.search(r"(ss|sd|si2ss|si2sd|ss2si|sd2si|ss2sd|sd2ss)$", mnemonic) or mnemonic.startswith("vbroadcast")

def is_scalar_fp(mnemonic, operands):
    return bool(re.search(r"%xmm", operands)) and not is_simd_packed(mnemonic, operands)

def is_fused_multiply_add(mnemonic):
    return bool(re.match(r"vfn?m(add|sub)(sub)?\d{3}[ps][sd]", mnemonic))

def width(operands):
    if "%zmm" in operands:
        return "zmm"
    if "%ymm" in operands:
        return "ymm"
    return "xmm"

status = 0
for key in selected:
    entry = entries[key]
    if entry not in functions:
        # A C++ function by its name without the parameter list (one overload, or say which).
        matches = [f for f in order if re.sub(r"\(.*", "", f) == entry]
        # GCC's clones of one function (its .cold part, say) are not other overloads.
        originals = [f for f in matches if "[clone" not in f]
        if originals:
            matches = originals
        if len(matches) > 1:
            print(f"asm.sh: {entry} names {len(matches)} functions; give one of them in full:",
                  file=sys.stderr)
            for f in matches:
                print(f"  {f}", file=sys.stderr)
            sys.exit(2)
        if not matches:
            near = [f for f in order if entry in f and not f.endswith("@plt")][:10]
            print(f"asm.sh: {entry} not found in the program (inlined everywhere? mark it "
                  "[[gnu::noinline]] or extern \"C\")" + (": functions whose names contain it:" if near else ""),
                  file=sys.stderr)
            for f in near:
                print(f"  {short(f)}", file=sys.stderr)
            sys.exit(2)
        entry = matches[0]
    # Everything the entry point reaches inside the program (PLT stubs are external calls),
    # except the contract checks, which are followed separately as the error path.
    def reach(starts, stop_at_checks):
        found, stack, checks = [], list(starts), []
        while stack:
            f = stack.pop()
            if f in found:
                continue
            if stop_at_checks and contract_check.match(f):
                if f not in checks:
                    checks.append(f)
                continue
            found.append(f)
            for _, t in edges(f):
                if t in functions and not t.endswith("@plt") and t not in found:
                    stack.append(t)
        return found, checks

    reached, checks = reach([entry], True)
    error_path, _ = reach(checks, False)
    if summary_only == "0":
        print(f"==== {entry} and the {len(reached) - 1} functions it reaches ({compiler})")
        for f in reached:
            print("\n".join(lines[f]))
            print()
    total = packed = scalar = fused = 0
    widths = Counter()
    calls = Counter()
    indirect = 0
    allocating = []
    for f in reached:
        for mnemonic, operands in functions[f]:
            total += 1
            fused += is_fused_multiply_add(mnemonic)
            if is_simd_packed(mnemonic, operands):
                packed += 1
                widths[width(operands)] += 1
            elif is_scalar_fp(mnemonic, operands):
                scalar += 1
        for kind, t in edges(f):
            if kind != "call":
                continue
            if t.startswith("(indirect)"):
                indirect += 1
            name = strip_plt(t)
            calls[name] += 1
            if allocators.match(name):
                allocating.append(f"{name} (from {f})")
    share = packed / total if total else 0.0
    error_allocates = any(allocators.match(strip_plt(t)) for f in error_path
                          for kind, t in edges(f) if kind == "call")
    error_throws = any(strip_plt(t) == "__cxa_throw" for f in error_path
                       for kind, t in edges(f) if kind == "call")
    print(f"---- summary: {entry}  [{version}; -O3 -march=native]")
    print(f"  functions         {len(reached)}: the entry point and what it calls or jumps to "
          "(instructions, name)")
    for f in reached:
        print(f"                    {len(functions[f]):6d}  {short(f)}")
    print(f"  instructions      {total}")
    print(f"  packed SIMD       {packed} ({100 * share:.1f}% of all); scalar floating point {scalar}")
    print(f"  vector widths     zmm (512 bit) {widths['zmm']}, ymm (256 bit) {widths['ymm']}, "
          f"xmm (128 bit) {widths['xmm']}")
    print(f"  fused mul-add     {fused}")
    print(f"  call instructions {sum(calls.values())}" + (f" ({indirect} indirect)" if indirect else ""))
    for name, n in calls.most_common():
        print(f"                    {n:6d}x {short(name)}")
    print(f"  allocates         {'YES: ' + '; '.join(short(a) for a in allocating) if allocating else 'no'}")
    if checks:
        size = sum(len(functions[f]) for f in error_path)
        print(f"  error path        not counted above: the contract checks "
              + ", ".join(re.sub(r"\(.*", "", f) for f in checks)
              + f" and what they call ({len(error_path)} functions, {size} instructions);")
        print(f"                    on a buffer that does not fit they build a message"
              f"{' (allocating)' if error_allocates else ''}"
              f"{' and throw ctnn::contract_error' if error_throws else ''}")
    print(f"asm: function={key} compiler={compiler} instructions={total} simd={packed} "
          f"simd_share={share:.3f} scalar_fp={scalar} xmm={widths['xmm']} ymm={widths['ymm']} "
          f"zmm={widths['zmm']} fma={fused} calls={sum(calls.values())} indirect_calls={indirect} "
          f"functions={len(reached)} allocates={'yes' if allocating else 'no'} "
          f"error_path_allocates={'yes' if error_allocates else 'no'}")
    print()
    if allocating:
        status = 1
sys.exit(status)
PYTHON
