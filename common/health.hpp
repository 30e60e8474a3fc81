// common/health.hpp
//
// CONCEPT: health that means something. "The process answers HTTP" is what /healthz used to say,
// and it is the least interesting fact about a broker: a load balancer or an orchestrator asks
// /healthz to decide whether to send traffic here, so it must say "no" when the broker would
// refuse or lose work. Two alarms every one of the originals knows:
//
//   memory   above the limit the user set (miniredis maxmemory, minirabbit's
//            vm_memory_high_watermark) writes are refused or publishers blocked;
//   disk     below a free-space floor on the data directory's filesystem (RabbitMQ's
//            disk_free_limit, default 50 MB) the next fsync may fail - better to say so first.
//
//   GET /healthz  ->  200 "ok"                        nothing wrong
//                 ->  503 "memory: 1048576 bytes used, limit 1000000\n"
//                     503 "disk: 10485760 bytes free under /var/lib/x, limit 52428800\n"
//
// 503 (Service Unavailable) is the status every health checker understands as "not now"; the
// body says why, one line per alarm, so a human with curl learns it too.
//
// READ NEXT: common/admin_http.cpp (who calls it), each server's admin wiring (what it passes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace mb {

// RabbitMQ's default disk_free_limit: {absolute, 50000000}. We use 50 MiB.
constexpr uint64_t kDefaultDiskFreeLimit = 50ull * 1024 * 1024;

struct HealthInputs {
    uint64_t memory_used = 0;
    uint64_t memory_limit = 0;  // 0: the user set no limit, so there is no memory alarm
    std::string data_dir;       // empty: no disk check (nothing is written)
    uint64_t disk_free_limit = kDefaultDiskFreeLimit;
};

// Bytes an unprivileged process may still write on the filesystem holding `path` (statvfs's
// f_bavail: root's reserved blocks do not count, they are not ours); nullopt if it cannot tell.
std::optional<uint64_t> disk_free_bytes(const std::string& path);

// The reasons the broker is unhealthy, one line each ("" = healthy).
std::string health_problems(const HealthInputs& in);

}  // namespace mb
