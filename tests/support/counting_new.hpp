#pragma once
// Replaces every global operator new and delete with versions that count the allocations (on
// top of the malloc family), for the tests that prove a pass allocates nothing. Include it in
// exactly one file of a test program: replacements are program-wide. allocation_count() reads the
// counter, which sees every thread's allocations.
//
// ThreadSanitizer links its own operator new and delete whole, so a program built under it cannot
// replace them: there nothing is replaced, CTNN_TEST_COUNTS_ALLOCATIONS is 0, and the tests that
// count must be left out (#if CTNN_TEST_COUNTS_ALLOCATIONS).

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

#if defined(__SANITIZE_THREAD__)
#define CTNN_TEST_COUNTS_ALLOCATIONS 0
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CTNN_TEST_COUNTS_ALLOCATIONS 0
#endif
#endif
#ifndef CTNN_TEST_COUNTS_ALLOCATIONS
#define CTNN_TEST_COUNTS_ALLOCATIONS 1
#endif

namespace ctnn_test {

inline std::atomic<std::size_t> allocations{0};

inline std::size_t allocation_count() { return allocations.load(std::memory_order_relaxed); }

// Not inlined: g++ would otherwise carry a failing allocation's size (SIZE_MAX on the throwing
// path of a std::vector that cannot grow) into malloc and warn (-Walloc-size-larger-than).
[[gnu::noinline]] inline void* counted(std::size_t size, std::size_t align) noexcept {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (align <= alignof(std::max_align_t)) return std::malloc(size == 0 ? 1 : size);
  // aligned_alloc wants a size that is a multiple of the alignment.
  const std::size_t rounded = (size + align - 1) / align * align;
  return std::aligned_alloc(align, rounded == 0 ? align : rounded);
}

inline void* counted_or_throw(std::size_t size, std::size_t align) {
  if (void* p = counted(size, align)) return p;
  throw std::bad_alloc();
}

inline constexpr std::size_t plain = alignof(std::max_align_t);

// Every block comes from the malloc family, so free() releases each one. Not inlined, so that g++
// does not pair an inlined free() with `new` (-Wmismatched-new-delete).
[[gnu::noinline]] inline void release(void* p) noexcept { std::free(p); }

}  // namespace ctnn_test

#if CTNN_TEST_COUNTS_ALLOCATIONS

void* operator new(std::size_t n) { return ctnn_test::counted_or_throw(n, ctnn_test::plain); }
void* operator new[](std::size_t n) { return ctnn_test::counted_or_throw(n, ctnn_test::plain); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return ctnn_test::counted(n, ctnn_test::plain);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return ctnn_test::counted(n, ctnn_test::plain);
}
void* operator new(std::size_t n, std::align_val_t a) {
  return ctnn_test::counted_or_throw(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return ctnn_test::counted_or_throw(n, static_cast<std::size_t>(a));
}
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return ctnn_test::counted(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return ctnn_test::counted(n, static_cast<std::size_t>(a));
}
void operator delete(void* p) noexcept { ctnn_test::release(p); }
void operator delete[](void* p) noexcept { ctnn_test::release(p); }
void operator delete(void* p, std::size_t) noexcept { ctnn_test::release(p); }
void operator delete[](void* p, std::size_t) noexcept { ctnn_test::release(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { ctnn_test::release(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { ctnn_test::release(p); }
void operator delete(void* p, std::align_val_t) noexcept { ctnn_test::release(p); }
void operator delete[](void* p, std::align_val_t) noexcept { ctnn_test::release(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { ctnn_test::release(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { ctnn_test::release(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  ctnn_test::release(p);
}
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  ctnn_test::release(p);
}

#endif
