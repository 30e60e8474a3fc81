// minirabbit/core/memory_monitor.cpp
//
// Measuring the process's memory for the alarm (see memory_monitor.hpp).
//
// CONCEPT: see memory_monitor.hpp - here the mechanics: two ways to ask the process what it uses
// (the allocator's in-use bytes, or the kernel's resident set), and the limit (physical RAM, or a
// cgroup's memory.max inside a container - a container limit is what the OOM killer enforces, so it
// is the one that counts). Under AddressSanitizer mallinfo2 does not see ASan's allocator, so the
// sanitizer build asks the sanitizer runtime for its allocated bytes instead.
// READ NEXT: server.cpp (the tick that samples it).
#include "memory_monitor.hpp"

#include <malloc.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "options.hpp"

// GCC says __SANITIZE_ADDRESS__, clang says __has_feature(address_sanitizer).
#if defined(__SANITIZE_ADDRESS__)
#define MINIRABBIT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MINIRABBIT_ASAN 1
#endif
#endif
#ifdef MINIRABBIT_ASAN
// From the sanitizer runtime (sanitizer/allocator_interface.h, which GCC's Debian packages do not
// ship): the bytes the application has allocated and not freed.
extern "C" size_t __sanitizer_get_current_allocated_bytes();
#endif

namespace minirabbit {

std::optional<MemoryStrategy> parse_memory_strategy(std::string_view text) {
    if (text == "allocated") return MemoryStrategy::allocated;
    if (text == "rss") return MemoryStrategy::rss;
    return std::nullopt;
}

std::string_view memory_strategy_name(MemoryStrategy strategy) {
    return strategy == MemoryStrategy::rss ? "rss" : "allocated";
}

namespace {

// "allocated": the allocator's own count of bytes in use (mallinfo2's uordblks + hblkhd) - close to
// what the process asked for, unaffected by pages the allocator keeps cached for reuse.
uint64_t allocated_bytes() {
#ifdef MINIRABBIT_ASAN
    return __sanitizer_get_current_allocated_bytes();
#else
    // uordblks: bytes in use in the heap arenas; hblkhd: big blocks mmapped one by one (the
    // 1 MiB bodies of large messages). Free memory the allocator keeps is in neither.
    struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
#endif
}

// "rss": what the kernel says the process occupies in RAM - what the OOM killer looks at, but it
// lags behind frees (glibc keeps freed pages), so the alarm clears later.
uint64_t resident_bytes() {
    // statm: "size resident shared ..." in pages.
    std::FILE* statm = std::fopen("/proc/self/statm", "r");
    if (statm == nullptr) return 0;
    unsigned long long size = 0, resident = 0;
    int fields = std::fscanf(statm, "%llu %llu", &size, &resident);
    std::fclose(statm);
    return fields == 2 ? resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE)) : 0;
}

}  // namespace

uint64_t process_memory(MemoryStrategy strategy) {
    return strategy == MemoryStrategy::rss ? resident_bytes() : allocated_bytes();
}

// The RAM the relative watermark is a fraction of: physical memory, or less inside a container.
uint64_t total_memory() {
    uint64_t total = static_cast<uint64_t>(::sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    // cgroup v2: "max" or a number of bytes.
    std::ifstream cgroup("/sys/fs/cgroup/memory.max");
    std::string limit;
    if (cgroup >> limit && limit != "max") {
        uint64_t bytes = 0;
        auto [end, ec] = std::from_chars(limit.data(), limit.data() + limit.size(), bytes);
        if (ec == std::errc() && bytes > 0 && bytes < total) total = bytes;
    }
    return total;
}

namespace {

std::optional<double> parse_fraction(std::string_view text) {
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

// vm_memory_high_watermark.relative = 0.4: 40 % of total_memory(), RabbitMQ's default - leaving
// room for the garbage collector's peaks there, and for the kernel's page cache here.
uint64_t relative_watermark(std::string_view name, std::string_view text, uint64_t total) {
    auto fraction = parse_fraction(text);
    // RabbitMQ accepts fractions of RAM up to 1.0 (values above are a warning there, an error here).
    if (!fraction || *fraction <= 0 || *fraction > 1)
        throw std::invalid_argument(std::string(name) + ": expected a fraction of RAM in (0, 1], got '" +
                                    std::string(text) + "'");
    return static_cast<uint64_t>(*fraction * static_cast<double>(total));
}

uint64_t absolute_watermark(std::string_view name, std::string_view text) {
    auto bytes = mb::Options::parse_bytes(text);
    if (!bytes || *bytes <= 0)
        throw std::invalid_argument(std::string(name) + ": expected an amount of memory such as 2gb, got '" +
                                    std::string(text) + "'");
    return static_cast<uint64_t>(*bytes);
}

}  // namespace

uint64_t memory_watermark(std::string_view classic, std::string_view relative, std::string_view absolute,
                          uint64_t total) {
    if (!absolute.empty()) return absolute_watermark("vm_memory_high_watermark.absolute", absolute);
    if (!relative.empty()) return relative_watermark("vm_memory_high_watermark.relative", relative, total);
    // The classic setting: a fraction ("0.4") or, as minirabbit always took it, an amount ("1gb").
    if (classic.find('.') != std::string_view::npos || classic == "0" || classic == "1")
        return relative_watermark("vm_memory_high_watermark", classic, total);
    return absolute_watermark("vm_memory_high_watermark", classic);
}

}  // namespace minirabbit
