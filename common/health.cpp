// common/health.cpp
//
// The two alarms of health.hpp: a comparison each, kept here so all three servers word them alike.
//
// CONCEPT: see health.hpp. One place for the wording means an operator reads the same alarm text
// from any of the three servers' /healthz.
// READ NEXT: admin_http.cpp (GET /healthz).
#include "health.hpp"

#include <fmt/format.h>
#include <sys/statvfs.h>

namespace mb {

std::optional<uint64_t> disk_free_bytes(const std::string& path) {
    struct statvfs fs {};
    if (statvfs(path.c_str(), &fs) != 0) return std::nullopt;
    return static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
}

std::string health_problems(const HealthInputs& in) {
    std::string out;
    if (in.memory_limit && in.memory_used > in.memory_limit)
        out += fmt::format("memory: {} bytes used, limit {}\n", in.memory_used, in.memory_limit);
    if (!in.data_dir.empty()) {
        // A directory we cannot stat is itself a reason: the broker cannot write there either.
        if (auto free = disk_free_bytes(in.data_dir); !free)
            out += fmt::format("disk: cannot stat {}\n", in.data_dir);
        else if (*free < in.disk_free_limit)
            out += fmt::format("disk: {} bytes free under {}, limit {}\n", *free, in.data_dir, in.disk_free_limit);
    }
    return out;
}

}  // namespace mb
