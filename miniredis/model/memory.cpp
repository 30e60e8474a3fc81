// miniredis/model/memory.cpp
//
// The replaced global operator new/delete that keep the used_memory count (see memory.hpp).
//
// CONCEPT: see memory.hpp. The counter is atomic (relaxed) because other threads (the lazy-free
// thread above all) free memory too; the cost on the server thread is one uncontended atomic add
// per allocation.
// READ NEXT: core/lazy_free.hpp.
#include "memory.hpp"

#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <new>

namespace {

// Relaxed is enough: it is a statistic, and the only other thread (the AOF fsync helper)
// allocates nothing on its own.
std::atomic<size_t> g_used{0};

// malloc_usable_size, not `size`: glibc rounds every request up to its own chunk sizes, and that
// rounding is memory the process really holds. Counting it makes used_memory track RSS closely,
// which is what maxmemory is meant to bound.
void* counted_alloc(size_t size) {
    void* p = std::malloc(size ? size : 1);
    if (p) g_used.fetch_add(malloc_usable_size(p), std::memory_order_relaxed);
    return p;
}

// Over-aligned types (alignas > 16) come through the aligned operator new; counted the same way so
// no allocation escapes the statistic.
void* counted_aligned_alloc(size_t size, std::align_val_t align) {
    void* p = nullptr;
    size_t alignment = static_cast<size_t>(align);
    if (alignment < sizeof(void*)) alignment = sizeof(void*);
    if (posix_memalign(&p, alignment, size ? size : 1) != 0) return nullptr;
    g_used.fetch_add(malloc_usable_size(p), std::memory_order_relaxed);
    return p;
}

void counted_free(void* p) noexcept {
    if (!p) return;
    g_used.fetch_sub(malloc_usable_size(p), std::memory_order_relaxed);
    std::free(p);
}

}  // namespace

void* miniredis::allocate_zeroed(size_t count, size_t size) {
    void* p = std::calloc(count ? count : 1, size ? size : 1);
    if (!p) throw std::bad_alloc();
    g_used.fetch_add(malloc_usable_size(p), std::memory_order_relaxed);
    return p;
}

void miniredis::free_zeroed(void* p) noexcept { counted_free(p); }

// Every form of operator new and delete is replaced - plain, array, nothrow, aligned, sized: a form
// left out would bypass the count in one direction and make used_memory drift over time.
void* operator new(size_t size) {
    if (void* p = counted_alloc(size)) return p;
    throw std::bad_alloc();
}
void* operator new[](size_t size) {
    if (void* p = counted_alloc(size)) return p;
    throw std::bad_alloc();
}
void* operator new(size_t size, const std::nothrow_t&) noexcept { return counted_alloc(size); }
void* operator new[](size_t size, const std::nothrow_t&) noexcept { return counted_alloc(size); }
void* operator new(size_t size, std::align_val_t align) {
    if (void* p = counted_aligned_alloc(size, align)) return p;
    throw std::bad_alloc();
}
void* operator new[](size_t size, std::align_val_t align) {
    if (void* p = counted_aligned_alloc(size, align)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, size_t) noexcept { counted_free(p); }
void operator delete[](void* p, size_t) noexcept { counted_free(p); }
void operator delete(void* p, std::align_val_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { counted_free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { counted_free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { counted_free(p); }

namespace miniredis {

size_t used_memory() { return g_used.load(std::memory_order_relaxed); }

size_t resident_memory() {
    FILE* f = std::fopen("/proc/self/statm", "r");
    if (!f) return 0;
    unsigned long pages = 0, resident = 0;
    int n = std::fscanf(f, "%lu %lu", &pages, &resident);
    std::fclose(f);
    return n == 2 ? resident * static_cast<size_t>(sysconf(_SC_PAGESIZE)) : 0;
}

}  // namespace miniredis
