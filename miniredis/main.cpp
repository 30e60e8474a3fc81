// miniredis: a Redis-compatible server. Parses the command line / config file (redis.conf
// directives as --name value), then hands over to the wiring in server.cpp.
//
//   miniredis [redis.conf] [--port 6379] [--appendonly yes] [--appendfsync always] ...
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
    if (std::string ignored = config.options.ignored_summary(); !ignored.empty()) mb::log::warn("{}", ignored);
    if (config.options.boolean("repair")) {
        // Offline, like redis-check-aof --fix: the same --dir and file names as a normal start.
        auto in_dir = [&](const std::string& name) { return (std::filesystem::path(config.dir) / name).string(); };
        return miniredis::repair_storage(in_dir(config.appendfilename), in_dir(config.dbfilename), config.databases);
    }
    return miniredis::run_server(std::move(config));
}
