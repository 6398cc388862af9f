#!/usr/bin/env python3
"""Compare two runs of the benchmark binary built differently (-O2 against -O3, clang++ against
g++): for every case, ctnn's time per sample in each, and how much slower the second is.

  compare_builds.py BASE.json[,BASE2.json...] OTHER.json[,OTHER2.json...] [--limit F]

BASE and OTHER are the JSON files scripts/bench.sh leaves in its build directory
(bench-results.json). With several files per side (runs made alternately: this machine's speed
moves by tens of percent between runs), each case takes its fastest run on each side. Prints one line per case

  compare: case=<case> base_ns=<x> other_ns=<y> other_over_base=<r> eigen_other_over_base=<e>

other_over_base > 1: the other build is slower. Eigen's own ratio is printed beside it: the same
flags change the hand-written baseline too, and a machine that slowed down between the two runs
moves both. Cases whose ratio exceeds the limit (default 1.10) are marked "over"; the exit status
is 0 either way (it reports, it does not test: the runs were not made side by side).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_report import display, load, summary  # noqa: E402


def cases(paths):
    best = {}
    for path in paths.split(","):
        _, runs = load(path)
        for name, reps in runs.items():
            if name.startswith(("ctnn/", "eigen/")):
                s = summary(name, reps)
                if name not in best or s["time"] < best[name]["time"]:
                    best[name] = s
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("base")
    ap.add_argument("other")
    ap.add_argument("--limit", type=float, default=1.10)
    args = ap.parse_args()
    base, other = cases(args.base), cases(args.other)
    over = 0
    for name in sorted(n for n in base if n.startswith("ctnn/") and n in other):
        c = name[len("ctnn/"):]
        b, o = base[name], other[name]
        ratio = o["time"] / b["time"]
        eb, eo = base.get("eigen/" + c), other.get("eigen/" + c)
        eigen = f"{eo['time'] / eb['time']:.3f}" if eb and eo else "-"
        mark = "  over" if ratio > args.limit else ""
        over += ratio > args.limit
        print(f"compare: case={display(c)} base_ns={b['ns_per_sample']:.4g} "
              f"other_ns={o['ns_per_sample']:.4g} other_over_base={ratio:.3f} "
              f"eigen_other_over_base={eigen}{mark}")
    print(f"compare: {over} case(s) over {args.limit:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
