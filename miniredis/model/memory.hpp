// miniredis/model/memory.hpp
//
// used_memory: how many bytes the server has allocated right now - what INFO memory reports and
// what `maxmemory` is compared with.
//
// CONCEPT: Redis counts every allocation in its zmalloc wrapper. C++ has one door every container
// goes through - the global operator new/delete - so memory.cpp replaces those with versions that
// add and subtract the allocator's real block size (malloc_usable_size). No container needs to
// know; the count includes the allocator's rounding, like Redis' used_memory.
//
// READ NEXT: memory.cpp, core/eviction.hpp (what the count is compared with).
#pragma once

#include <cstddef>

namespace miniredis {

size_t used_memory();      // bytes currently allocated through operator new
size_t resident_memory();  // RSS from /proc/self/statm (what `ps` shows), 0 if unknown

// A zeroed array from calloc, counted like operator new; give it back with free_zeroed.
// For big arrays that must start all-zero - a hash table's buckets: calloc takes fresh pages from
// the kernel, which are zero already, so nothing is written now; `new T[n]()` would write every byte.
void* allocate_zeroed(size_t count, size_t size);
void free_zeroed(void* p) noexcept;

}  // namespace miniredis
