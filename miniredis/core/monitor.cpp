// miniredis/core/monitor.cpp
//
// MONITOR lines and feeding them to the monitors (see monitor.hpp). CONCEPT: in the header; here the mechanics.
//
// READ NEXT: monitor.hpp, commands/monitor.cpp.
#include "core/monitor.hpp"

#include <fmt/format.h>

#include <chrono>

#include "core/broker.hpp"
#include "core/trace.hpp"

namespace miniredis {

void append_quoted(std::string& out, std::string_view arg) {
    out += '"';
    for (char c : arg) {
        switch (c) {
            case '\\':
                out += "\\\\";
                break;
            case '"':
                out += "\\\"";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\a':
                out += "\\a";
                break;
            case '\b':
                out += "\\b";
                break;
            default:
                if (c >= 0x20 && c < 0x7f)
                    out += c;
                else
                    out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        }
    }
    out += '"';
}

std::string monitor_line(int64_t unix_us, int db, std::string_view origin, std::span<const std::string_view> argv) {
    std::string line = fmt::format("+{}.{:06} [{} {}]", unix_us / 1'000'000, unix_us % 1'000'000, db, origin);
    for (size_t i = 0; i < argv.size(); ++i) {
        line += ' ';
        append_quoted(line, is_secret_argument(argv, i) ? std::string_view("(redacted)") : argv[i]);
    }
    line += "\r\n";
    return line;
}

void Broker::feed_monitors(const Client& from, int db, std::span<const std::string_view> argv) {
    int64_t now_us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    // Built once, copied into each monitor's buffer: n monitors cost one format and n appends.
    std::string line = monitor_line(now_us, db, from.peer, argv);
    for (Client* monitor : monitors) {
        if (monitor->closed) continue;
        monitor->out.append(line);  // a status line in RESP2 and RESP3 alike, as Redis sends it
        want_write(*monitor);       // the output limits check it after the turn's send
    }
}

}  // namespace miniredis
