// miniredis/core/slowlog.cpp
//
// Slowlog entries (see slowlog.hpp). CONCEPT: in the header; here the mechanics.
//
// READ NEXT: slowlog.hpp, docs/miniredis/06-looking-inside.md (SLOWLOG).
#include "core/slowlog.hpp"

#include <fmt/format.h>

#include "core/trace.hpp"

namespace miniredis {

std::vector<std::string> Slowlog::trimmed_args(std::span<const std::string_view> argv) {
    // Redis keeps kMaxArgs slots: with more arguments, the last slot tells how many were left out.
    size_t kept = argv.size() > kMaxArgs ? kMaxArgs - 1 : argv.size();
    std::vector<std::string> out;
    out.reserve(kept + 1);
    for (size_t i = 0; i < kept; ++i) {
        if (is_secret_argument(argv, i)) {
            out.emplace_back("(redacted)");
            continue;
        }
        std::string_view arg = argv[i];
        if (arg.size() > kMaxArgBytes)
            out.push_back(fmt::format("{}... ({} more bytes)", arg.substr(0, kMaxArgBytes), arg.size() - kMaxArgBytes));
        else
            out.emplace_back(arg);
    }
    if (kept < argv.size()) out.push_back(fmt::format("... ({} more arguments)", argv.size() - kept));
    return out;
}

void Slowlog::add(std::span<const std::string_view> argv, int64_t unix_time, int64_t duration_us, std::string_view peer,
                  std::string_view client_name, size_t max_len) {
    entries_.push_front(SlowlogEntry{next_id_++, unix_time, duration_us, trimmed_args(argv), std::string(peer),
                                     std::string(client_name)});
    trim(max_len);
}

void Slowlog::trim(size_t max_len) {
    while (entries_.size() > max_len) entries_.pop_back();
}

}  // namespace miniredis
