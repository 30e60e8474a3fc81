// common/crc32c.hpp
//
// CRC32C (Castagnoli polynomial 0x1EDC6F41, reflected 0x82F63B78): the checksum of Kafka's record
// batches, and the one our own on-disk formats (AOF snapshot, AMQP journal) use to spot a torn or
// corrupted record after a crash. x86-64 CPUs compute it in hardware (SSE4.2's `crc32`, 8 bytes per
// step, or AVX-512's carry-less multiply, 256 bytes per step); elsewhere a table-driven version
// gives the same answers.
//
// CONCEPT: detecting a torn write. A crash can leave the last record half written; a length prefix
// alone cannot tell garbage from data, a checksum can. CRC32C is the one Kafka specifies for its
// record batches, so minikafka must compute it anyway, and the other two formats reuse it.
// READ NEXT: crc32c.cpp, minirabbit/storage/journal.cpp (a user of it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace mb {

// Extends `crc` (the value returned for the bytes before) over `bytes`: crc32c(a+b) ==
// crc32c(b, crc32c(a)). Picks the hardware path when the CPU has it.
uint32_t crc32c(std::string_view bytes, uint32_t crc = 0);
uint32_t crc32c_portable(std::string_view bytes, uint32_t crc = 0);
bool crc32c_has_hardware();

// Every way this CPU can compute it, fastest first (crc32c() uses the first): for tests and
// micro-benchmarks, which check each against the others.
struct Crc32cImplementation {
    const char* name;
    uint32_t (*function)(std::string_view bytes, uint32_t crc);
};
std::vector<Crc32cImplementation> crc32c_implementations();

}  // namespace mb
