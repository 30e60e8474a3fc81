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

}  // namespace

int main(int argc, char** argv) {
    mb::log::set_program("miniredis");
    miniredis::Config config;
    std::vector<const char*> args = expand_bare_flags(argc, argv);
    if (int code =
            config.options.parse_command_line(miniredis::config_options(), static_cast<int>(args.size()), args.data(),
                                              "miniredis", "[redis.conf] [--repair] [--name value ...]");
        code >= 0)
        return code;
    try {
        config.refresh();
    } catch (const mb::OptionError& e) {
        fmt::print(stderr, "miniredis: {} (try --help)\n", e.what());
        return 2;
    }
    std::string level = config.options.text("loglevel");
    if (level == "notice" || level == "verbose") level = "info";
    mb::log::Level parsed;
    if (mb::log::parse_level(level, parsed)) mb::log::set_level(parsed);
    if (config.options.boolean("repair")) {
        // Offline, like redis-check-aof --fix: the same --dir and file names as a normal start.
        auto in_dir = [&](const std::string& name) { return (std::filesystem::path(config.dir) / name).string(); };
        return miniredis::repair_storage(in_dir(config.appendfilename), in_dir(config.dbfilename), config.databases);
    }
    return miniredis::run_server(std::move(config));
}
