// miniredis: a Redis-compatible server. Parses the command line / config file (redis.conf
// directives as --name value), then hands over to the wiring in server.cpp.
//
//   miniredis [redis.conf] [--port 6379] [--appendonly yes] [--appendfsync always] ...
#include "commands/config.hpp"
#include "log.hpp"
#include "server.hpp"

int main(int argc, char** argv) {
    mb::log::set_program("miniredis");
    miniredis::Config config;
    if (int code = config.options.parse_command_line(miniredis::config_options(), argc, argv, "miniredis",
                                                     "[redis.conf] [--name value ...]");
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
    return miniredis::run_server(std::move(config));
}
