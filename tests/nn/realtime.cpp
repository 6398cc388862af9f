// Real-time safety of the hot paths: one-sample inference (from inference_weights, from int8
// quantized_weights and from parameters), the one-sample gradient and the fused one-sample training step make no system
// call, take no lock and allocate nothing. For each net the passes run in a child process that
// first enters seccomp's strict mode, in which any system call other than read, write and exit
// kills it with SIGKILL (page faults and the vDSO clock are not system calls), with malloc's
// family and the pthread lock functions interposed by counting versions. The child reports the
// counts and a checksum through a pipe (write is allowed) and leaves with the raw exit call.
// The checks are checked too: a child that allocates, locks or calls getpid must be caught.
//
// Its own program, not a doctest one: it replaces malloc and pthread_mutex_lock for the whole
// process, and it forks. Linux only; not built under the sanitizers (they replace malloc).

#include <dlfcn.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <ctnn/ctnn.hpp>
#include <memory>
#include <mutex>
#include <string>

// ---- the interposer: counts while armed ---------------------------------------------------------

namespace {
std::atomic<bool> armed{false};
std::atomic<long> allocations{0}, locks{0};
void note(std::atomic<long>& counter) {
  if (armed.load(std::memory_order_relaxed)) counter.fetch_add(1, std::memory_order_relaxed);
}
using lock_fn = int (*)(pthread_mutex_t*);
lock_fn real_lock = nullptr, real_trylock = nullptr;
}  // namespace

extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void __libc_free(void*);

void* malloc(std::size_t n) {
  note(allocations);
  return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t size) {
  note(allocations);
  return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t n) {
  note(allocations);
  return __libc_realloc(p, n);
}
void* memalign(std::size_t alignment, std::size_t n) {
  note(allocations);
  return __libc_memalign(alignment, n);
}
void* aligned_alloc(std::size_t alignment, std::size_t n) {
  note(allocations);
  return __libc_memalign(alignment, n);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t n) {
  note(allocations);
  void* p = __libc_memalign(alignment, n);
  if (p == nullptr) return 12;  // ENOMEM
  *out = p;
  return 0;
}
void free(void* p) { __libc_free(p); }

int pthread_mutex_lock(pthread_mutex_t* m) {
  note(locks);
  return real_lock(m);
}
int pthread_mutex_trylock(pthread_mutex_t* m) {
  note(locks);
  return real_trylock(m);
}
}

namespace {

// Resolved before main, while nothing is armed (dlsym may allocate).
[[gnu::constructor]] void resolve_locks() {
  real_lock = reinterpret_cast<lock_fn>(dlsym(RTLD_NEXT, "pthread_mutex_lock"));
  real_trylock = reinterpret_cast<lock_fn>(dlsym(RTLD_NEXT, "pthread_mutex_trylock"));
  if (real_lock == nullptr || real_trylock == nullptr) {
    std::fprintf(stderr, "realtime: dlsym found no pthread_mutex_lock\n");
    std::abort();
  }
}

struct report {
  long allocations = 0, locks = 0;
  double checksum = 0;
};

// Runs body `repeats` times in a child under seccomp's strict mode and the armed interposer.
// Returns the child's fate as text ("ok" or what went wrong) and its report.
template <class Body>
std::string in_strict_child(Body&& body, int repeats, report& r) {
  int pipe_fd[2];
  if (pipe(pipe_fd) != 0) return "pipe failed";
  const pid_t pid = fork();
  if (pid < 0) return "fork failed";
  if (pid == 0) {
    close(pipe_fd[0]);
    allocations = 0;
    locks = 0;
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT) != 0) syscall(SYS_exit, 3);
    armed = true;
    double sum = 0;
    for (int k = 0; k < repeats; ++k) sum += body(k);
    armed = false;
    const report out{allocations.load(), locks.load(), sum};
    const auto written = write(pipe_fd[1], &out, sizeof out);
    syscall(SYS_exit, written == sizeof out ? 0 : 4);
  }
  close(pipe_fd[1]);
  const auto got = read(pipe_fd[0], &r, sizeof r);
  close(pipe_fd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status))
    return WTERMSIG(status) == SIGKILL ? "killed by seccomp: it made a system call"
                                       : "killed by signal " + std::to_string(WTERMSIG(status));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return "exited with status " + std::to_string(WEXITSTATUS(status)) +
           (WEXITSTATUS(status) == 3 ? " (seccomp's strict mode is not available)" : "");
  if (got != sizeof r) return "no report from the child";
  if (r.allocations != 0) return std::to_string(r.allocations) + " allocations";
  if (r.locks != 0) return std::to_string(r.locks) + " lock calls";
  if (!std::isfinite(r.checksum)) return "a non-finite result";
  return "ok";
}

int failures = 0;
void expect(const char* what, const std::string& fate, bool should_pass) {
  const bool passed = fate == "ok";
  const bool right = passed == should_pass;
  std::printf("%s %s: %s%s\n", right ? "ok  " : "FAIL", what, fate.c_str(),
              should_pass ? "" : " (as it should)");
  if (!right) ++failures;
}

template <class T>
double first(const T& y) {
  return double(y[0]);
}

// A chain: inference from the three layouts (parameters, inference_weights, int8
// quantized_weights), the gradient and the fused step with Adam.
template <class Net, std::size_t In, std::size_t Out>
void check_chain(const char* name, int repeats) {
  auto p = std::make_unique<ctnn::parameters<Net, float>>();
  ctnn::initialize(*p, 3);
  const auto w = std::make_unique<ctnn::inference_weights<Net, float>>(*p);
  ctnn::quantization_ranges<Net> ranges;
  ctnn::observe(ranges, *w, std::array<float, In>{});
  const auto q = std::make_unique<ctnn::quantized_weights<Net>>(*p, ranges);
  auto g = std::make_unique<ctnn::gradient<Net, float>>();
  auto opt = std::make_unique<ctnn::adam<Net, float>>();
  std::array<float, In> x{};
  std::array<float, Out> t{};
  for (std::size_t i = 0; i < In; ++i) x[i] = 0.01f * float(i % 13) - 0.05f;
  t[0] = 1;
  const ctnn::softmax_cross_entropy loss;
  // The one-sample passes promise not to throw (fixed-extent spans: nothing to check at run time).
  static_assert(noexcept(ctnn::forward(*w, x)) && noexcept(ctnn::forward(*p, x)) && noexcept(ctnn::forward(*q, x)) &&
                noexcept(ctnn::loss(*p, loss, x, t)) && noexcept(ctnn::loss_and_gradient(*p, loss, x, t, *g)));
  // Once outside, so that nothing is first touched under the filter (static guards, lazy setup).
  (void)ctnn::forward(*w, x);
  (void)ctnn::forward(*p, x);
  (void)ctnn::forward(*q, x);
  (void)ctnn::loss_and_gradient(*p, loss, x, t, *g);
  (void)ctnn::train_step(*p, loss, x, t, *opt, 1e-4);
  report r;
  const std::string label = std::string(name) + ": inference (float and int8), gradient and fused Adam step";
  expect(label.c_str(), in_strict_child([&](int k) {
           x[0] = 0.001f * float(k % 7);
           double s = first(ctnn::forward(*w, x)) + first(ctnn::forward(*p, x)) + first(ctnn::forward(*q, x));
           s += double(ctnn::loss_and_gradient(*p, loss, x, t, *g));
           s += double(ctnn::train_step(*p, loss, x, t, *opt, 1e-4));
           return s;
         }, repeats, r), true);
}

}  // namespace

int main() {
  using small = ctnn::network<ctnn::input<8>, ctnn::dense<16>, ctnn::tanh, ctnn::dense<16>,
                              ctnn::tanh, ctnn::dense<2>>;
  using mnist = ctnn::network<ctnn::input<784>, ctnn::dense<128>, ctnn::relu, ctnn::dense<10>>;
  check_chain<small, 8, 2>("8-16-16-2 tanh", 2000);
  check_chain<mnist, 784, 10>("784-128-10 relu", 200);

  // A DAG with an objective: residual add, concat, two inputs, fan-out.
  {
    namespace op = ctnn::op;
    using a = op::input<"a", 20>;
    using b = op::input<"b", 6>;
    using h = op::relu<op::dense<"in", 32, a>>;
    using res = op::add<h, op::tanh<op::dense<"res", 32, h>>>;
    using y = op::dense<"head", 4, op::concat<res, b>>;
    using net = ctnn::graph<ctnn::inputs<a, b>, ctnn::outputs<y>,
                            ctnn::objective<op::softmax_cross_entropy<y>>>;
    auto p = std::make_unique<ctnn::parameters<net, float>>();
    ctnn::initialize(*p, 5);
    auto g = std::make_unique<ctnn::gradient<net, float>>();
    auto opt = std::make_unique<ctnn::adamw<net, float>>();
    std::array<float, 20> xa{};
    std::array<float, 6> xb{};
    std::array<float, 4> t{0, 0, 1, 0};
    for (std::size_t i = 0; i < xa.size(); ++i) xa[i] = 0.1f * float(i % 5);
    const auto x = std::tuple(std::span<const float, 20>(xa), std::span<const float, 6>(xb));
    (void)ctnn::forward(*p, x);
    (void)ctnn::loss_and_gradient(*p, x, std::span<const float, 4>(t), *g);
    (void)ctnn::train_step(*p, x, std::span<const float, 4>(t), *opt, 1e-4);
    report r;
    expect("residual DAG with two inputs: forward, gradient and fused AdamW step",
           in_strict_child([&](int k) {
             xb[0] = 0.01f * float(k % 3);
             double s = first(ctnn::forward(*p, x));
             s += double(ctnn::loss_and_gradient(*p, x, std::span<const float, 4>(t), *g));
             s += double(ctnn::train_step(*p, x, std::span<const float, 4>(t), *opt, 1e-4));
             return s;
           }, 500, r), true);
  }

  // The checks are not blind: each kind of violation is caught.
  report r;
  expect("a child that allocates", in_strict_child([](int) {
           void* volatile q = std::malloc(64);
           std::free(q);
           return 0.0;
         }, 1, r), false);
  std::mutex m;
  expect("a child that takes a lock", in_strict_child([&](int) {
           const std::lock_guard<std::mutex> hold(m);
           return 0.0;
         }, 1, r), false);
  expect("a child that makes a system call", in_strict_child([](int) {
           return double(syscall(SYS_getpid) > 0);
         }, 1, r), false);

  std::printf("realtime: %s\n", failures == 0 ? "ok" : "FAILED");
  return failures == 0 ? 0 : 1;
}
