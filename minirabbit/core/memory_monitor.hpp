// minirabbit/core/memory_monitor.hpp
//
// CONCEPT: the memory alarm's measure - what the process really uses, not what its messages
// weigh (RabbitMQ's vm_memory_high_watermark and vm_memory_calculation_strategy).
//
//   watermark = vm_memory_high_watermark.absolute            (e.g. 2gb), or else
//               vm_memory_high_watermark(.relative) x RAM     (default 0.4; RAM = min(physical, cgroup limit))
//
//   memory used = sample (every 250 ms on the broker's tick)           ── allocated: the allocator's
//               + message bytes that arrived since the sample                 in-use bytes (mallinfo2)
//                                                                          ── rss: /proc/self/statm
//   memory used > watermark  ──▶  memory alarm: publishing connections get connection.blocked
//
// Counting message bodies alone misses what a message costs besides its body: a queue of two
// million 10-byte messages holds 20 MB of bodies and a gigabyte of bookkeeping (the Message, its
// properties, the queue entry, allocator overhead), and the alarm never fired. The allocator knows
// the real figure. We ask it on the periodic tick (cheap), and add the bodies that arrived since,
// so a publisher flooding at a gigabyte a second is stopped between two samples too.
//
// Why "allocated" by default while RabbitMQ defaults to "rss": glibc keeps freed memory mapped,
// so after a queue is drained the RSS often stays where it was and the alarm would never clear.
// The allocator's in-use count goes down as soon as messages are freed. Under AddressSanitizer
// (which replaces malloc) the sanitizer's own allocator is asked instead.
// READ NEXT: server.cpp (Server::after_batch raises and clears the alarm), connection.cpp
// (Connection::update_blocked sends connection.blocked / unblocked).
//
// READ NEXT: memory_monitor.cpp, server.cpp (after_batch: the alarm's connection.blocked),
//            docs/minirabbit/01-follow-a-publish.md (the memory alarm).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace minirabbit {

enum class MemoryStrategy { allocated, rss };

std::optional<MemoryStrategy> parse_memory_strategy(std::string_view text);
std::string_view memory_strategy_name(MemoryStrategy strategy);

// What the process uses now, by `strategy`. A few microseconds: one allocator call or one read.
uint64_t process_memory(MemoryStrategy strategy);

// The machine's memory as the process sees it: physical RAM, or the cgroup's limit if lower
// (a container's memory.max), as RabbitMQ computes its total for the relative watermark.
uint64_t total_memory();

// The watermark from RabbitMQ's settings. `classic` is vm_memory_high_watermark itself, which
// takes either a fraction of RAM ("0.4", RabbitMQ's classic form) or an amount ("1gb"); the
// .relative and .absolute forms, when given, win (absolute first). Throws std::invalid_argument
// with a message naming the setting.
uint64_t memory_watermark(std::string_view classic, std::string_view relative, std::string_view absolute,
                          uint64_t total);

}  // namespace minirabbit
