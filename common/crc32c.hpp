// CRC32C (Castagnoli polynomial 0x1EDC6F41, reflected 0x82F63B78): the checksum of Kafka's record
// batches, and the one our own on-disk formats (AOF snapshot, AMQP journal) use to spot a torn or
// corrupted record after a crash. x86-64 CPUs with SSE4.2 compute it in hardware (the `crc32`
// instruction, 8 bytes per step); elsewhere a table-driven version gives the same answers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mb {

// Extends `crc` (the value returned for the bytes before) over `bytes`: crc32c(a+b) ==
// crc32c(b, crc32c(a)). Picks the hardware path when the CPU has it.
uint32_t crc32c(std::string_view bytes, uint32_t crc = 0);
uint32_t crc32c_portable(std::string_view bytes, uint32_t crc = 0);
bool crc32c_has_hardware();

}  // namespace mb
