// The benchmark binary's main: first checks that every ctnn case and its Eigen twin agree
// (outputs, losses, gradients, updated parameters), so that no ratio ever compares different
// work; then runs Google Benchmark as usual (all its flags apply).

#include <cstdio>

#include "common.hpp"

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  bool ok = true;
  for (const auto& [name, check] : bench::checks()) {
    std::fprintf(stderr, "check %s\n", name.c_str());
    ok &= check();
  }
  if (!ok) {
    std::fprintf(stderr, "a check failed: the benchmarks would compare different work\n");
    return 1;
  }
  std::fprintf(stderr, "all %zu checks agree\n", bench::checks().size());

  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
