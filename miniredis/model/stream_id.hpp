// miniredis/model/stream_id.hpp
//
// StreamID: the name of a stream entry, "<milliseconds>-<sequence>" (Redis' streamID).
//
// CONCEPT: a stream is a log, and an ID is an *offset with a clock in it*. Kafka numbers the
// records of a partition 0, 1, 2...; Redis numbers them with the Unix time in ms of the append,
// plus a sequence for the appends within the same millisecond:
//
//     1700000000000-0   1700000000000-1   1700000000003-0   ...   (strictly increasing)
//
// So an ID answers both "where in the log" and "when, roughly" - XRANGE by time is XRANGE by ID.
// The order is (ms, seq) compared as numbers; 0-0 is never a valid entry ID (it is "before all").
// If the clock goes backwards (NTP, a VM resumed), XADD * reuses the last ID's millisecond and
// grows the sequence (commands/streams.cpp), so IDs never go backwards even when time does.
// READ NEXT: stream.hpp (the log), consumer_group.hpp (who read how far).
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace miniredis {

struct StreamID {
    uint64_t ms = 0;
    uint64_t seq = 0;

    auto operator<=>(const StreamID&) const = default;
    bool is_zero() const { return ms == 0 && seq == 0; }
    static constexpr StreamID max() { return {UINT64_MAX, UINT64_MAX}; }

    // The next possible ID (XRANGE's exclusive "(" start); nullopt past the last one.
    std::optional<StreamID> next() const {
        if (seq != UINT64_MAX) return StreamID{ms, seq + 1};
        if (ms != UINT64_MAX) return StreamID{ms + 1, 0};
        return std::nullopt;
    }
    std::optional<StreamID> prev() const {
        if (seq != 0) return StreamID{ms, seq - 1};
        if (ms != 0) return StreamID{ms - 1, UINT64_MAX};
        return std::nullopt;
    }
    std::string str() const { return std::to_string(ms) + "-" + std::to_string(seq); }
};

// Parses "123-4" or "123" (then seq = `missing_seq`: 0 for a range start, UINT64_MAX for an end).
// Strict like Redis: digits only, no sign, no overflow.
inline std::optional<StreamID> parse_stream_id(std::string_view text, uint64_t missing_seq, bool* seq_given = nullptr) {
    auto number = [](std::string_view s) -> std::optional<uint64_t> {
        if (s.empty() || s.size() > 20) return std::nullopt;
        uint64_t v = 0;
        for (char c : s) {
            if (c < '0' || c > '9') return std::nullopt;
            uint64_t d = static_cast<uint64_t>(c - '0');
            if (v > (UINT64_MAX - d) / 10) return std::nullopt;
            v = v * 10 + d;
        }
        return v;
    };
    size_t dash = text.find('-');
    auto ms = number(text.substr(0, dash));
    if (!ms) return std::nullopt;
    if (seq_given) *seq_given = dash != std::string_view::npos;
    if (dash == std::string_view::npos) return StreamID{*ms, missing_seq};
    auto seq = number(text.substr(dash + 1));
    if (!seq) return std::nullopt;
    return StreamID{*ms, *seq};
}

}  // namespace miniredis
