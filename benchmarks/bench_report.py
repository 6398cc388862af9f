#!/usr/bin/env python3
"""Turn the benchmark binary's JSON output into the ratio table of scripts/bench.sh.

Cases are registered as "ctnn/<case>" and "eigen/<case>" (plus "fma_peak/chains:N" and
"read_peak/<net>", the bytes per second one core reads a buffer the size of <net>'s float
weights: the bound of a one-sample forward pass, printed as GB/s). For every
benchmark, the median over repetitions of its CPU time and counters is used (one value when the
run had no repetitions). Prints, last, one line per case:

  bench: case=<case> ns_per_sample=<x> gflops=<y> vs_eigen=<ratio> peak_fraction=<f>

Cases "int8/<case>" (one sample through ctnn::quantized_weights) print, after those,

  bench: case=int8/<case> ns_per_sample=<x> gflops=<y> vs_float=<ratio> vs_eigen=<ratio>

vs_float = the time of ctnn/<case> (the float inference layout) / int8's (> 1: int8 is faster).

Cases "hessian/hvp/<case>" and "hessian/gradient/<case>" (a Hessian-vector product and a gradient
of the same mean loss) print, last,

  bench: case=hessian/<case> hvp_us=<x> gradient_us=<y> hvp_over_gradient=<ratio>

= what one H·u costs in gradients.

Cases on a convolution ("<kind>/conv<...>", benchmarks/convolution.cpp: LeNet-5's conv1 and conv2
as ctnn graphs against im2col + Eigen GEMM) are in the bench: lines like any other, and again,
last, in a table of their own with Eigen's side beside ctnn's, one line each:

  conv: case=<case> vs_eigen=<ratio> peak_fraction=<f> eigen_peak_fraction=<e>

eigen_peak_fraction = Eigen's GFLOP/s over the same peak (times N on N threads); a case on N > 1
threads ends its line with vs_one_thread=<a> eigen_vs_one_thread=<b>, each side's wall-clock time
on one thread over its time on N (Eigen's own scaling beside ctnn's), and, when the run has it,
vs_eigen_threaded_gemm=<r>: the time of "eigen-threaded-gemm/<case>" (the same step as whole-batch
GEMMs on Eigen's own threads, mlp_threads.cpp's kind of twin; the eigen/ twin splits the batch
over OpenMP threads as ctnn's pool does) over ctnn's.

Cases on a recurrent net ("<kind>/gru-...", "<kind>/lstm-...", benchmarks/recurrent.cpp: one
step of ctnn::recurrent_stream against a fixed-size Eigen cell, "stream_step/<cell>-<In>-<H>", and
training steps of the row-by-row GRU with BPTT written by hand in Eigen, "train/gru-rows-...") are
in the bench: lines too, and again, last, one line each with both sides' own figures:

  rnn: case=<case> vs_eigen=<ratio> ns_per_step=<x> eigen_ns_per_step=<y>          (stream_step/)
  rnn: case=<case> vs_eigen=<ratio> sequences_per_second=<a> eigen_sequences_per_second=<b>

a training case on N > 1 threads ending with vs_one_thread=<r> eigen_vs_one_thread=<e>, as the
convolution lines do.

vs_eigen = eigen time / ctnn time (> 1: ctnn is faster); peak_fraction = ctnn GFLOP/s over the
FMA peak measured in the same run (the faster of the fma_peak variants, one core), times N for a
case on N threads. A run without the fma_peak cases (a --benchmark_filter that leaves them out:
add "|fma_peak" to it) prints the ratios without peak fractions.

Cases on several threads ("<case>/threads:N", N > 1) are timed by the wall clock (registered with
->UseRealTime(), which Google Benchmark marks by appending "/real_time" to the name; the suffix is
dropped here): their times are medians of real time, and their line ends with

  vs_one_thread=<ratio>

= the wall-clock time of the same case on one thread ("<case>/threads:1", or "<case>" without a
threads part) over this case's (> 1: the threads help; 2 is perfect on 2 threads).

usage: bench_report.py RESULTS.json
"""
import json
import re
import statistics
import sys


def load(path):
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        # Google Benchmark leaves the file empty when --benchmark_filter matches nothing.
        sys.exit(f"bench_report.py: no results in {path} ({e}); did --benchmark_filter match any "
                 "case? (list them with build-bench/benchmarks/ctnn_bench --benchmark_list_tests)")
    runs = {}
    for b in data["benchmarks"]:
        if b.get("run_type", "iteration") != "iteration" or "error_occurred" in b:
            continue
        runs.setdefault(b.get("run_name", b["name"]), []).append(b)
    return data.get("context", {}), runs


REAL_TIME = "/real_time"
# convolution.cpp's second Eigen twin of its 2-thread cases: Eigen's own threaded products.
THREADED_GEMM = "eigen-threaded-gemm/"


def summary(name, reps):
    cpu = [r["cpu_time"] for r in reps]  # in each run's time_unit; only ratios are used
    real = [r["real_time"] for r in reps]
    med = statistics.median(cpu)
    # Cases registered with UseRealTime() are compared by wall-clock time.
    timed = real if name.endswith(REAL_TIME) else cpu
    time = statistics.median(timed)
    return {
        "cpu": med,
        "real": statistics.median(real),
        "time": time,
        "spread": (max(timed) - min(timed)) / time if time > 0 else 0.0,
        "real_over_cpu": statistics.median(real) / med if med > 0 else 0.0,
        "gflops": statistics.median(r["gflops"] for r in reps),
        "ns_per_sample": statistics.median(r["ns_per_sample"] for r in reps),
        # Training cases of recurrent nets (benchmarks/recurrent.cpp) also count sequences.
        "sequences_per_second": (statistics.median(r["sequences_per_second"] for r in reps)
                                 if all("sequences_per_second" in r for r in reps) else None),
        "label": reps[0].get("label", ""),
        "repetitions": len(reps),
        "unit": reps[0].get("time_unit", "ns"),
    }


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    context, runs = load(sys.argv[1])
    reads = {name: statistics.median(r["bytes_per_second"] for r in reps)
             for name, reps in runs.items() if name.startswith("read_peak")}
    stats = {name: summary(name, reps) for name, reps in runs.items()
             if not name.startswith("read_peak")}

    peaks = {n: s for n, s in stats.items() if n.startswith("fma_peak")}
    if peaks:
        peak_name = max(peaks, key=lambda n: peaks[n]["gflops"])
        peak = peaks[peak_name]["gflops"]
    else:
        peak_name, peak = None, None
        print("bench_report.py: no fma_peak result in the JSON, so no peak fractions (a "
              "--benchmark_filter must also match fma_peak, e.g. 'conv|fma_peak')", file=sys.stderr)

    cases = [n[len("ctnn/"):] for n in stats if n.startswith("ctnn/")]
    missing = [c for c in cases if "eigen/" + c not in stats]
    if missing:
        sys.exit("bench_report.py: no Eigen baseline for " + ", ".join(missing))

    reps = max(s["repetitions"] for s in stats.values())
    print(f"machine: {context.get('num_cpus', '?')} cpus at {context.get('mhz_per_cpu', '?')} MHz, "
          f"load average {context.get('load_avg', '?')}, {reps} repetition(s), medians of CPU time "
          f"(of real time for cases on several threads)")
    for n in sorted(peaks):
        print(f"fma peak {n}: {peaks[n]['gflops']:.1f} GFLOP/s ({peaks[n]['label']})"
              + ("  <- peak" if n == peak_name else ""))
    # Noise: spread = (max - min) / median of the case's time over repetitions; real/cpu > 1 means
    # the process waited for a core (other work on the machine). Cases on N threads show about
    # 1/N there when undisturbed: the CPU time is the calling thread's only.
    print(f"{'noise':<45} {'ctnn spread':>11} {'eigen spread':>12} {'real/cpu':>9}")
    for c in cases:
        a, e = stats["ctnn/" + c], stats["eigen/" + c]
        print(f"{display(c):<45} {a['spread']:>11.1%} {e['spread']:>12.1%} "
              f"{a['real_over_cpu']:>9.2f}")
    for n in sorted(reads):
        print(f"read peak {n}: {reads[n] * 1e-9:.1f} GB/s")
    if peak is not None:
        print(f"bench-peak: fma_peak gflops={peak:.1f}")
    for c in cases:
        a, e = stats["ctnn/" + c], stats["eigen/" + c]
        if a["unit"] != e["unit"]:
            sys.exit(f"bench_report.py: {c}: time units differ")
        line = (f"bench: case={display(c)} ns_per_sample={a['ns_per_sample']:.4g} "
                f"gflops={a['gflops']:.3g} vs_eigen={e['time'] / a['time']:.3f}")
        if peak is not None:
            line += f" peak_fraction={peak_fraction(a, c, peak):.3f}"
        one = one_thread_twin(c, stats)
        if one is not None:
            if one["unit"] != a["unit"]:
                sys.exit(f"bench_report.py: {c}: time units differ from its one-thread twin")
            line += f" vs_one_thread={one['real'] / a['real']:.3f}"
        print(line)
    for c in (n[len("int8/"):] for n in stats if n.startswith("int8/")):
        q = stats["int8/" + c]
        if "ctnn/" + c not in stats or "eigen/" + c not in stats:
            print(f"bench_report.py: no float or Eigen case for int8/{c} in this run, so no ratios",
                  file=sys.stderr)
            continue
        print(f"bench: case=int8/{c} ns_per_sample={q['ns_per_sample']:.4g} gflops={q['gflops']:.3g} "
              f"vs_float={stats['ctnn/' + c]['time'] / q['time']:.3f} "
              f"vs_eigen={stats['eigen/' + c]['time'] / q['time']:.3f}")
    for c in (n[len("hessian/hvp/"):] for n in stats if n.startswith("hessian/hvp/")):
        h, g = stats["hessian/hvp/" + c], stats.get("hessian/gradient/" + c)
        if g is None or g["unit"] != h["unit"]:
            print(f"bench_report.py: no gradient case in the same unit for hessian/hvp/{c}", file=sys.stderr)
            continue
        us = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}[h["unit"]]
        print(f"bench: case=hessian/{c} hvp_us={h['time'] * us:.4g} gradient_us={g['time'] * us:.4g} "
              f"hvp_over_gradient={h['time'] / g['time']:.2f}")
    convolution_table([c for c in cases if is_convolution(c)], stats, peak)
    recurrent_table([c for c in cases if is_recurrent(c)], stats)


def peak_fraction(s, case, peak):
    """A case's GFLOP/s over the FMA peak of as many cores as it has threads."""
    return s["gflops"] / (peak * threads_of(case))


def is_convolution(case):
    return re.match(r"[^/]+/conv", case) is not None


def convolution_table(cases, stats, peak):
    """The convolution cases (benchmarks/convolution.cpp), ctnn's and Eigen's side by side."""
    if not cases:
        return
    print("convolution: vs_eigen = Eigen's time / ctnn's (> 1: ctnn faster); peak fractions of "
          "ctnn and of Eigen; on 2 threads, each one's speed-up over its own one-thread case")
    for c in cases:
        a, e = stats["ctnn/" + c], stats["eigen/" + c]
        line = f"conv: case={display(c)} vs_eigen={e['time'] / a['time']:.3f}"
        if peak is not None:
            line += (f" peak_fraction={peak_fraction(a, c, peak):.3f}"
                     f" eigen_peak_fraction={peak_fraction(e, c, peak):.3f}")
        one = one_thread_twin(c, stats, quiet=True)
        eigen_one = one_thread_twin(c, stats, "eigen/", quiet=True)
        if one is not None and eigen_one is not None:
            line += (f" vs_one_thread={one['real'] / a['real']:.3f}"
                     f" eigen_vs_one_thread={eigen_one['real'] / e['real']:.3f}")
        gemm = stats.get(THREADED_GEMM + c)
        if gemm is not None:
            line += f" vs_eigen_threaded_gemm={gemm['time'] / a['time']:.3f}"
        print(line)


def is_recurrent(case):
    return re.match(r"[^/]+/(gru|lstm|rnn)-", case) is not None


def recurrent_table(cases, stats):
    """The recurrent cases (benchmarks/recurrent.cpp), ctnn's and Eigen's figures side by side."""
    if not cases:
        return
    print("recurrent: vs_eigen = Eigen's time / ctnn's (> 1: ctnn faster); one streaming step in ns, "
          "training in sequences per second; on 2 threads, each one's speed-up over its own "
          "one-thread case")
    for c in cases:
        a, e = stats["ctnn/" + c], stats["eigen/" + c]
        line = f"rnn: case={display(c)} vs_eigen={e['time'] / a['time']:.3f}"
        if a["sequences_per_second"] is not None and e["sequences_per_second"] is not None:
            line += (f" sequences_per_second={a['sequences_per_second']:.0f}"
                     f" eigen_sequences_per_second={e['sequences_per_second']:.0f}")
        else:
            line += f" ns_per_step={a['ns_per_sample']:.4g} eigen_ns_per_step={e['ns_per_sample']:.4g}"
        one = one_thread_twin(c, stats, quiet=True)
        eigen_one = one_thread_twin(c, stats, "eigen/", quiet=True)
        if one is not None and eigen_one is not None:
            line += (f" vs_one_thread={one['real'] / a['real']:.3f}"
                     f" eigen_vs_one_thread={eigen_one['real'] / e['real']:.3f}")
        print(line)


def display(case):
    return case[: -len(REAL_TIME)] if case.endswith(REAL_TIME) else case


def threads_of(case):
    """N of "<case>/threads:N" (1 without a threads part): the peak of N cores is N × one core's."""
    m = re.search(r"/threads:(\d+)$", display(case))
    return int(m.group(1)) if m else 1


def one_thread_twin(case, stats, side="ctnn/", quiet=False):
    """The statistics of `case` on one thread (ctnn's, or the side given), when `case` runs on
    several; else None."""
    m = re.search(r"/threads:(\d+)$", display(case))
    if m is None or int(m.group(1)) <= 1:
        return None
    base = display(case)[: m.start()]
    for name in (base + "/threads:1", base):
        for raw in (name, name + REAL_TIME):
            if side + raw in stats:
                return stats[side + raw]
    # Not in this run (a --benchmark_filter left it out): no ratio.
    if not quiet:
        print(f"bench_report.py: no one-thread case for {display(case)} in this run, so no "
              f"vs_one_thread (looked for {base}/threads:1 and {base})", file=sys.stderr)
    return None


if __name__ == "__main__":
    main()
