// /metrics and /healthz additions for minirabbit: see server_metrics.cpp.
#pragma once

#include <cstdint>
#include <string>

#include "metrics.hpp"

namespace minirabbit {

class Broker;

// Per-queue series (messages ready / unacked, consumers) and process_*, read when scraped.
void register_queue_metrics(mb::Metrics& metrics, const Broker& broker);
// "" when healthy, else one line per alarm: the memory alarm (vm_memory_high_watermark), the
// data directory's disk below `disk_free_limit` (RabbitMQ's disk_free_limit).
std::string health_problems(const Broker& broker, const std::string& dir, uint64_t disk_free_limit);

}  // namespace minirabbit
