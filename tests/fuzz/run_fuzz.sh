#!/usr/bin/env bash
# Test 'fuzz/<target>': a bounded libFuzzer run of one target (tests/fuzz/) from its committed seed
# corpus. The corpus is copied, so the repository is not written; what the run finds new stays in
# a temporary directory. Any crash, sanitizer report or broken promise fails the test and leaves
# the input that caused it in the artifact directory (its path is printed): add it to the
# target's corpus as a regression case.
#   run_fuzz.sh <fuzz binary> <seed corpus directory> <runs>
set -uo pipefail
binary=$1 seeds=$2 runs=$3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ctnn-fuzz.XXXXXX")
artifacts=${CTNN_FUZZ_ARTIFACTS:-$tmp/artifacts}
mkdir -p "$tmp/corpus" "$artifacts"
cp "$seeds"/* "$tmp/corpus/"
# -seed: the same run every time (a bounded CI run should not be a lottery); -max_len: the seeds
# are small, and so are the interesting variations of a header.
TMPDIR=$tmp "$binary" -runs="$runs" -seed=1 -max_len=4096 -print_final_stats=1 \
  -artifact_prefix="$artifacts/" "$tmp/corpus" >"$tmp/log" 2>&1
status=$?
grep -E "^#[0-9]+ +(INITED|DONE)|^stat::(number_of_executed_units|new_units_added|peak_rss_mb)" "$tmp/log"
if [ $status -ne 0 ]; then
  tail -n 40 "$tmp/log"
  echo "FAIL: libFuzzer exited with $status; the input is in $artifacts (kept)"
  exit 1
fi
rm -rf "$tmp"
echo "fuzz: $(basename "$binary"): $runs runs, no crash"
