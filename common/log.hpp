// common/log.hpp
//
// Logging for all three servers: one line per event, on stderr, with a level.
//   2026-11-24T19:20:00.123Z miniredis INFO listening on 127.0.0.1:6379
// The tests read these lines (the "listening on" line is how they learn a --port 0 server's port),
// so keep the shape stable. Formatting happens only when the level is enabled.
//
// CONCEPT: logs are an interface. The tests parse "listening on HOST:PORT"; an operator greps for
// WARN. Levels are checked before formatting, so a disabled debug line costs a comparison.
// READ NEXT: log.cpp, options.hpp (--loglevel, shared by the three servers).
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace mb::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3 };

void set_program(std::string_view name);  // printed on every line: which broker said it
void set_level(Level level);
bool parse_level(std::string_view text, Level& out);  // "debug" | "info" | "warning" | "error"
bool enabled(Level level);
void write(Level level, std::string_view message);
// From now on, lines are appended to `path` (redis.conf's `logfile`) instead of stderr. Opened
// once, with O_APPEND, so a log rotated by copy-and-truncate keeps working. False (and `error`)
// when the file cannot be opened.
bool set_file(const std::string& path, std::string& error);

template <typename... Args>
void debug(fmt::format_string<Args...> format, Args&&... args) {
    if (enabled(Level::debug)) write(Level::debug, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void info(fmt::format_string<Args...> format, Args&&... args) {
    if (enabled(Level::info)) write(Level::info, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void warn(fmt::format_string<Args...> format, Args&&... args) {
    if (enabled(Level::warn)) write(Level::warn, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void error(fmt::format_string<Args...> format, Args&&... args) {
    if (enabled(Level::error)) write(Level::error, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace mb::log
