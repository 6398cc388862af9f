// ctnn::thread_pool (parallel/thread_pool.hpp): run(f) calls f(k) exactly once for every thread
// index k, k = 0 on the calling thread and every other k on a thread of its own; what the calls
// wrote is visible when run returns; thousands of runs in a row; an exception from any thread
// reaches the caller (the lowest index first) and leaves the pool usable; the destructor joins
// every worker (their thread_local destructors have run when it returns).

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <ctnn/parallel/thread_pool.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

TEST_CASE("run calls every thread index exactly once, index 0 on the calling thread") {
  for (std::size_t threads : {1, 2, 3, 4, 8}) {
    CAPTURE(threads);
    ctnn::thread_pool pool(threads);
    CHECK(pool.size() == threads);
    std::vector<std::atomic<int>> calls(threads);
    std::vector<std::thread::id> ran_on(threads);
    pool.run([&](std::size_t k) {
      REQUIRE(k < threads);
      calls[k].fetch_add(1);
      ran_on[k] = std::this_thread::get_id();
    });
    for (std::size_t k = 0; k < threads; ++k) CHECK(calls[k].load() == 1);
    CHECK(ran_on[0] == std::this_thread::get_id());
    // Every index on a thread of its own.
    std::vector<std::thread::id> distinct = ran_on;
    std::sort(distinct.begin(), distinct.end());
    CHECK(std::unique(distinct.begin(), distinct.end()) == distinct.end());
  }
}

TEST_CASE("many runs in a row: each index once per run, and plain writes visible after run") {
  for (std::size_t threads : {1, 2, 3, 4}) {
    CAPTURE(threads);
    ctnn::thread_pool pool(threads);
    // Plain (non-atomic) per-thread counters: run must order the workers' writes before its
    // return, or the totals below (and the thread sanitizer) would show it.
    std::vector<long> plain(threads, 0);
    constexpr int runs = 5000;
    long expected = 0;
    for (int r = 0; r < runs; ++r) {
      pool.run([&](std::size_t k) { plain[k] += static_cast<long>(k) + r; });
      expected += r;
      if (r % 1000 == 999) {
        // Between runs the caller reads and writes what the workers wrote.
        for (std::size_t k = 0; k < threads; ++k)
          REQUIRE(plain[k] == static_cast<long>(k) * (r + 1) + expected);
      }
    }
    for (std::size_t k = 0; k < threads; ++k)
      CHECK(plain[k] == static_cast<long>(k) * runs + expected);
  }
}

TEST_CASE("a pool that waits between runs (workers asleep) still runs every index") {
  ctnn::thread_pool pool(3);
  std::vector<int> plain(3, 0);
  for (int r = 0; r < 3; ++r) {
    // Longer than the spin phase, so the workers block in atomic::wait and must be woken.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    pool.run([&](std::size_t k) { ++plain[k]; });
  }
  CHECK(plain == std::vector<int>{3, 3, 3});
}

TEST_CASE("run takes an lvalue callable with a non-const call operator, by reference") {
  ctnn::thread_pool pool(3);
  // Each call writes its own element of the object: run must call this very object, not a copy.
  struct per_index {
    int seen[3] = {0, 0, 0};
    void operator()(std::size_t k) { ++seen[k]; }
  } object;
  pool.run(object);
  pool.run(object);
  CHECK(object.seen[0] == 2);
  CHECK(object.seen[1] == 2);
  CHECK(object.seen[2] == 2);
}

TEST_CASE("an exception from a worker reaches the caller, and the pool stays usable") {
  for (std::size_t threads : {2, 3, 4}) {
    CAPTURE(threads);
    ctnn::thread_pool pool(threads);
    const std::size_t thrower = threads - 1;
    std::vector<std::atomic<int>> calls(threads);
    auto throwing = [&](std::size_t k) {
      calls[k].fetch_add(1);
      if (k == thrower) throw std::runtime_error("from thread " + std::to_string(k));
    };
    CHECK_THROWS_WITH_AS(pool.run(throwing), ("from thread " + std::to_string(thrower)).c_str(),
                         std::runtime_error);
    // Every other thread still ran (and was waited for).
    for (std::size_t k = 0; k < threads; ++k) CHECK(calls[k].load() == 1);

    // Afterwards: a normal run works and rethrows nothing stale.
    std::vector<int> plain(threads, 0);
    CHECK_NOTHROW(pool.run([&](std::size_t k) { plain[k] = 1; }));
    CHECK(std::count(plain.begin(), plain.end(), 1) == static_cast<long>(threads));
  }
}

TEST_CASE("exceptions: the calling thread's own, several at once (lowest index wins)") {
  ctnn::thread_pool pool(4);
  std::vector<std::atomic<int>> calls(4);
  CHECK_THROWS_WITH_AS(pool.run([&](std::size_t k) {
    calls[k].fetch_add(1);
    if (k == 0) throw std::logic_error("from the caller");
  }),
                       "from the caller", std::logic_error);
  for (auto& c : calls) CHECK(c.load() == 1);

  CHECK_THROWS_WITH_AS(pool.run([](std::size_t k) {
    if (k >= 1) throw std::runtime_error("thread " + std::to_string(k));
  }),
                       "thread 1", std::runtime_error);
  // The other two exceptions were dropped, not kept for the next run.
  CHECK_NOTHROW(pool.run([](std::size_t) {}));

  ctnn::thread_pool inline_pool(1);
  CHECK_THROWS_AS(inline_pool.run([](std::size_t) { throw std::out_of_range("x"); }),
                  std::out_of_range);
}

TEST_CASE("thread_pool(1) runs inline; thread_pool(0) is a contract error") {
  ctnn::thread_pool pool(1);
  std::thread::id ran_on;
  int calls = 0;
  pool.run([&](std::size_t k) {
    CHECK(k == 0);
    ++calls;
    ran_on = std::this_thread::get_id();
  });
  CHECK(calls == 1);
  CHECK(ran_on == std::this_thread::get_id());
  CHECK_THROWS_AS(ctnn::thread_pool(0), ctnn::contract_error);
}

// Counts worker threads that have finished: a thread_local object's destructor runs when its
// thread exits, before join returns.
std::atomic<int> exited_workers{0};
struct exit_counter {
  bool armed = false;
  ~exit_counter() {
    if (armed) exited_workers.fetch_add(1);
  }
};
thread_local exit_counter on_exit;

TEST_CASE("the destructor stops and joins every worker") {
  for (std::size_t threads : {2, 3, 4}) {
    CAPTURE(threads);
    exited_workers = 0;
    {
      ctnn::thread_pool pool(threads);
      pool.run([](std::size_t k) {
        if (k != 0) on_exit.armed = true;
      });
      CHECK(exited_workers.load() == 0);  // workers stay alive between runs
    }
    CHECK(exited_workers.load() == static_cast<int>(threads) - 1);
  }
  // Pools that never ran, and pools destroyed right after a run, in quick succession.
  for (int r = 0; r < 50; ++r) {
    ctnn::thread_pool idle(3);
    ctnn::thread_pool busy(2);
    busy.run([](std::size_t) {});
  }
}

}  // namespace
