#pragma once
// A persistent fork-join pool: N − 1 worker threads plus the calling thread.
//
//   ctnn::thread_pool pool(2);
//   pool.run([&](std::size_t thread) { ... });   // thread = 0 (the caller), 1, …, N − 1
//
// run(f) calls f(k) once on every thread k and returns when all calls have returned. The pool
// only knows fixed fork-joins over N equal parts, which is all data-parallel training needs, so
// it is plain std::jthread and C++20 atomics rather than TBB or OpenMP: no dependency, and
// nothing a task scheduler would add (stealing, nesting, futures) is used.
//
// Cost of a run. No allocation: the callable stays where the caller put it and the workers see
// it through a function pointer and a context pointer. Start and end are two atomic counters, a
// generation (workers wait for it to move) and a count of workers still busy (the caller waits
// for it to reach 0). Waiters first spin and yield for up to 200 µs, which covers back-to-back
// runs of a training loop, then block in std::atomic::wait (a futex on Linux), so an idle pool
// costs no CPU.
//
// Exceptions. An exception thrown by f on any thread is caught there and, once every thread has
// finished, rethrown on the calling thread (the one of the lowest thread index if several threw).
//
// One run at a time: run() is not reentrant (f must not call run on the same pool), and one pool
// must not be used from two threads at once. thread_pool(1) starts no thread and runs f(0)
// inline. The destructor wakes the workers, tells them to stop, and joins them.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <stop_token>
#include <thread>
#include <type_traits>
#include <vector>

#include "../detail/contract.hpp"

namespace ctnn {

class thread_pool {
 public:
  // threads ≥ 1 threads in all, the calling thread included.
  explicit thread_pool(std::size_t threads) : size_(threads) {
    if (threads == 0)
      detail::contract_failed("thread_pool", "a pool needs at least 1 thread (the caller), got 0");
    errors_ = std::make_unique<std::exception_ptr[]>(threads);
    workers_.reserve(threads - 1);
    try {
      for (std::size_t k = 1; k < threads; ++k)
        workers_.emplace_back([this, k](std::stop_token stop) { work(stop, k); });
    } catch (...) {
      stop_workers();  // those already started wait for a generation: wake them to stop
      throw;
    }
  }

  thread_pool(const thread_pool&) = delete;
  thread_pool& operator=(const thread_pool&) = delete;

  // Stops the workers; workers_ is destroyed next, and each std::jthread joins.
  ~thread_pool() { stop_workers(); }

  // Threads in all, the calling thread included.
  std::size_t size() const { return size_; }

  // Calls f(k) for k = 0, …, size() − 1, k = 0 on the calling thread, each on its own thread;
  // returns when all have returned. Rethrows the first (lowest k) exception any of them threw.
  template <class F>
  void run(F&& f) {
    using callable = std::remove_reference_t<F>;
    if (size_ == 1) {
      f(std::size_t{0});
      return;
    }
    task_ = [](void* context, std::size_t k) { (*static_cast<callable*>(context))(k); };
    context_ = const_cast<void*>(static_cast<const void*>(std::addressof(f)));
    busy_.store(static_cast<std::uint32_t>(size_ - 1), std::memory_order_relaxed);
    // Release: task_, context_ and busy_ are visible to a worker that sees the new generation.
    generation_.fetch_add(1, std::memory_order_release);
    generation_.notify_all();

    call(0);
    // The workers still read f (on this thread's stack, or the caller's): wait for all of them,
    // even when f(0) threw.
    for (std::uint32_t left = busy_.load(std::memory_order_acquire); left != 0;
         left = busy_.load(std::memory_order_acquire)) {
      if (!spin_while(busy_, left)) busy_.wait(left, std::memory_order_acquire);
    }
    for (std::size_t k = 0; k < size_; ++k) {
      if (errors_[k]) {
        std::exception_ptr e = std::move(errors_[k]);
        for (std::size_t j = k + 1; j < size_; ++j) errors_[j] = nullptr;
        std::rethrow_exception(std::move(e));
      }
    }
  }

 private:
  using task_function = void (*)(void*, std::size_t);

  // Waits until a changes from seen, for at most about spin_time; true when it changed. First a
  // short busy loop (the other side is usually about to finish), then yields, which on a machine
  // with more runnable threads than cores hands the core to one of them (perhaps the very thread
  // we wait for) instead of burning it. spin_time covers the gap between back-to-back runs of a
  // training loop (an optimiser step); after it the waiter blocks in atomic::wait.
  template <class A, class V>
  static bool spin_while(const A& a, V seen) {
    constexpr int busy_spins = 1 << 10;
    constexpr auto spin_time = std::chrono::microseconds(200);
    for (int i = 0; i < busy_spins; ++i)
      if (a.load(std::memory_order_acquire) != seen) return true;
    const auto until = std::chrono::steady_clock::now() + spin_time;
    do {
      std::this_thread::yield();
      if (a.load(std::memory_order_acquire) != seen) return true;
    } while (std::chrono::steady_clock::now() < until);
    return false;
  }

  void stop_workers() noexcept {
    for (auto& w : workers_) w.request_stop();
    // The stop requests happen before this increment, so a worker that sees the new generation
    // also sees its stop request.
    generation_.fetch_add(1, std::memory_order_release);
    generation_.notify_all();
  }

  void call(std::size_t k) noexcept {
    try {
      task_(context_, k);
    } catch (...) {
      errors_[k] = std::current_exception();
    }
  }

  void work(const std::stop_token& stop, std::size_t k) {
    std::uint32_t seen = 0;  // the generation of the last run this worker took part in
    for (;;) {
      if (!spin_while(generation_, seen)) generation_.wait(seen, std::memory_order_acquire);
      const std::uint32_t now = generation_.load(std::memory_order_acquire);
      if (now == seen) continue;  // a spurious wake-up
      seen = now;
      if (stop.stop_requested()) return;
      call(k);
      // Release: errors_[k] and everything f wrote are visible to the caller that sees 0.
      if (busy_.fetch_sub(1, std::memory_order_acq_rel) == 1) busy_.notify_one();
    }
  }

  std::size_t size_;
  task_function task_ = nullptr;
  void* context_ = nullptr;
  std::unique_ptr<std::exception_ptr[]> errors_;  // one slot per thread, written by that thread
  // On separate cache lines: workers poll generation_ while they finish busy_.
  alignas(64) std::atomic<std::uint32_t> generation_{0};
  alignas(64) std::atomic<std::uint32_t> busy_{0};
  // Last, so that it is destroyed (the workers joined) before anything they use.
  std::vector<std::jthread> workers_;
};

}  // namespace ctnn
