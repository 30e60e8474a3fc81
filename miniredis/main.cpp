// miniredis: a Redis-compatible server. Parses the command line / config file (redis.conf
// directives as --name value), then hands over to the wiring in server.cpp.
//
//   miniredis [redis.conf] [--port 6379] [--appendonly yes] [--appendfsync always] ...
//   miniredis --daemonize yes --pidfile /tmp/r.pid --logfile /tmp/r.log   (in the background)
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "log.hpp"
#include "server.hpp"
#include "storage/repair.hpp"

namespace {

// `--repair` is a bare flag, as in `miniredis --repair --dir DATA`; the option parser wants a
// value after every name, so a bare one becomes `--repair=yes` (`--repair yes` works as well).
std::vector<const char*> expand_bare_flags(int argc, char** argv) {
    std::vector<const char*> args(argv, argv + argc);
    for (size_t i = 1; i < args.size(); ++i)
        if (std::string_view(args[i]) == "--repair" &&
            (i + 1 == args.size() || std::string_view(args[i + 1]).starts_with("--")))
            args[i] = "--repair=yes";
    return args;
}

// A bad config-file line, worded as redis-server words it (users grep for this banner), plus the
// file name, which Redis leaves out.
void print_fatal_config_error(const mb::ConfigFileError& e) {
    bool unknown = e.reason.starts_with("unknown option");
    fmt::print(stderr,
               "\n*** FATAL CONFIG FILE ERROR ({}) ***\nReading the configuration file {}, at line {}\n>>> '{}'\n{}\n",
               mb::version_line("miniredis"), e.path, e.line, e.text,
               unknown ? "Bad directive or wrong number of arguments" : e.reason);
}

// `daemonize yes`, as redis-server does it: fork, the parent returns to the shell at once, the
// child leaves the terminal's session and points stdin/stdout/stderr at /dev/null (log lines go to
// `logfile`, or nowhere). Done before any thread exists: fork copies only the calling thread.
void daemonize() {
    pid_t child = ::fork();
    if (child < 0) {
        fmt::print(stderr, "miniredis: fork failed: {}\n", std::strerror(errno));
        std::exit(1);
    }
    if (child > 0) std::_Exit(0);
    ::setsid();
    int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
        ::dup2(null, STDIN_FILENO);
        ::dup2(null, STDOUT_FILENO);
        ::dup2(null, STDERR_FILENO);
        if (null > STDERR_FILENO) ::close(null);
    }
}

// `pidfile`: the process id, written at start and removed at a clean exit, so init scripts and
// `kill $(cat ...)` find the server. Like redis-server, a pid file that cannot be written is a
// warning, not a reason to refuse to start.
struct PidFile {
    std::string path;
    explicit PidFile(std::string p) : path(std::move(p)) {
        if (path.empty()) return;
        std::FILE* f = std::fopen(path.c_str(), "w");
        if (!f) {
            mb::log::warn("Failed to write PID file {}: {}", path, std::strerror(errno));
            path.clear();
            return;
        }
        fmt::print(f, "{}\n", ::getpid());
        std::fclose(f);
    }
    ~PidFile() {
        if (!path.empty()) std::remove(path.c_str());
    }
};

}  // namespace

int main(int argc, char** argv) {
    mb::log::set_program("miniredis");
    miniredis::Config config;
    std::vector<const char*> args = expand_bare_flags(argc, argv);
    config.options.set_file_rules(miniredis::redis_conf_rules());
    try {
        if (!config.options.parse(miniredis::config_options(), static_cast<int>(args.size()), args.data(), "miniredis",
                                  "[redis.conf] [--repair] [--name value ...]")) {
            fmt::print("{}", config.options.wants_version() ? mb::version_line("miniredis") + "\n"
                                                            : config.options.help_text());
            return 0;
        }
    } catch (const mb::ConfigFileError& e) {
        print_fatal_config_error(e);
        return 2;
    } catch (const mb::OptionError& e) {
        fmt::print(stderr, "miniredis: {} (try --help)\n", e.what());
        return 2;
    }
    if (args.size() > 1 && !std::string_view(args[1]).starts_with("-"))
        config.config_file = std::filesystem::absolute(args[1]).string();
    try {
        config.refresh();
    } catch (const mb::OptionError& e) {
        fmt::print(stderr, "miniredis: {} (try --help)\n", e.what());
        return 2;
    }
    std::string level = config.options.text("loglevel");
    if (level == "notice" || level == "verbose") level = "info";
    if (level == "nothing") level = "error";
    mb::log::Level parsed;
    if (mb::log::parse_level(level, parsed)) mb::log::set_level(parsed);
    // The process, in redis-server's order: the log file (checked now: a typo in its path stops
    // the start, as in Redis), the fork into the background, then the pid file of the process that
    // stays. --repair is an offline tool: it never daemonizes.
    const bool repair = config.options.boolean("repair");
    if (std::string logfile = config.options.text("logfile"); !logfile.empty()) {
        std::string error;
        if (!mb::log::set_file(std::filesystem::absolute(logfile).string(), error)) {
            fmt::print(stderr, "Can't open the log file {}: {}\n", logfile, error);
            return 1;
        }
    }
    if (std::string ignored = config.options.ignored_summary(); !ignored.empty()) mb::log::warn("{}", ignored);
    if (config.options.boolean("daemonize") && !repair) daemonize();
    std::string pidfile = config.options.text("pidfile");
    PidFile pid(repair || pidfile.empty() ? std::string() : std::filesystem::absolute(pidfile).string());
    if (repair) {
        // Offline, like redis-check-aof --fix: the same --dir and file names as a normal start.
        auto in_dir = [&](const std::string& name) { return (std::filesystem::path(config.dir) / name).string(); };
        return miniredis::repair_storage(in_dir(config.appendfilename), in_dir(config.dbfilename), config.databases);
    }
    return miniredis::run_server(std::move(config));
}
