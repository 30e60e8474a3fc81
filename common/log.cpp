// common/log.cpp
//
// Logging: a timestamped line per event, written to stderr with a single write(2) so that lines
// from several threads (the fsync thread, the main loop) never interleave mid-line.
//
// CONCEPT: see log.hpp. Why one write(2) per line? Two threads calling fprintf can interleave their
// output mid-line; the kernel keeps a single write to a pipe or file together, so each line is
// formatted into one buffer first.
// READ NEXT: log.hpp.
#include "log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <chrono>
#include <ctime>
#include <string>

namespace mb::log {
namespace {
std::string g_program = "minibrokers";
Level g_level = Level::info;
int g_fd = STDERR_FILENO;  // where lines go: stderr, or the file set_file opened
constexpr std::string_view kLevelNames[] = {"DEBUG", "INFO", "WARN", "ERROR"};
}  // namespace

void set_program(std::string_view name) { g_program = name; }
void set_level(Level level) { g_level = level; }
bool enabled(Level level) { return level >= g_level; }

// Each original's level names are accepted (Redis: verbose/notice/warning, RabbitMQ and Kafka:
// debug/info/warn/error), so --loglevel takes what the user already knows.
bool parse_level(std::string_view text, Level& out) {
    if (text == "debug" || text == "verbose")
        out = Level::debug;
    else if (text == "info" || text == "notice")
        out = Level::info;
    else if (text == "warn" || text == "warning")
        out = Level::warn;
    else if (text == "error")
        out = Level::error;
    else
        return false;
    return true;
}

// O_APPEND: every write lands at the file's current end, even when another process (a second
// server started with the same --logfile, a test harness) appends to it too.
bool set_file(const std::string& path, std::string& error) {
    int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        error = std::strerror(errno);
        return false;
    }
    if (g_fd != STDERR_FILENO) ::close(g_fd);
    g_fd = fd;
    return true;
}

// UTC with milliseconds, ISO 8601: the lines of three servers, their clients and the test harness
// can be merged and sorted as text, whatever the machine's time zone.
void write(Level level, std::string_view message) {
    using namespace std::chrono;
    auto now = system_clock::now();
    auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    time_t seconds = system_clock::to_time_t(now);
    struct tm utc;
    gmtime_r(&seconds, &utc);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
    std::string line =
        fmt::format("{}.{:03}Z {} {} {}\n", stamp, ms, g_program, kLevelNames[static_cast<int>(level)], message);
    // stderr is unbuffered; one write keeps the line whole. A short write (a pipe that is nearly
    // full, an interrupted call) is continued; an error gives up on the line, because logging
    // must never stop a server or throw into the code that wanted to report something.
    for (std::string_view rest = line; !rest.empty();) {
        ssize_t n = ::write(g_fd, rest.data(), rest.size());
        if (n <= 0) break;
        rest.remove_prefix(static_cast<size_t>(n));
    }
}

}  // namespace mb::log
