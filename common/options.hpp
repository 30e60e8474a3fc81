// Command-line and config-file options, in the style of each original broker:
//   miniredis  redis.conf        lines "name value"    and  --name value    (redis-server)
//   minikafka  server.properties lines "name=value"    and  --name value
// Each server declares a table of OptionSpec (name, default, help, kind); the parser fills an
// Options map of validated strings. Names match with '-', '_' and '.' treated alike, so
// `--log-segment-bytes` and `--log.segment.bytes` are the same Kafka property.
// Anything unknown or malformed is an OptionError; main() prints it and exits with status 2.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mb {

struct OptionError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

enum class OptionKind {
    text,     // any string
    integer,  // signed 64-bit, within [min, max]
    bytes,    // like integer, but also "64mb", "1gb" (Redis' memory units)
    boolean,  // yes/no/true/false
    choice,   // one of `choices` (separated by '|')
};

struct OptionSpec {
    std::string_view name;
    std::string_view default_value;
    std::string_view help;
    OptionKind kind = OptionKind::text;
    int64_t min = INT64_MIN;
    int64_t max = INT64_MAX;
    std::string_view choices = {};
};

class Options {
public:
    // Parses argv. A first argument without "--" is a config file (as redis-server and Kafka's
    // kafka-server-start take one); command-line options override it. Throws OptionError.
    // Returns false when --help was asked for (the help text is then in `help_text()`).
    bool parse(std::span<const OptionSpec> specs, int argc, const char* const* argv, std::string_view program,
               std::string_view usage);

    // parse() for main(): prints --help (returns 0) or the error with a hint (returns 2); returns
    // -1 when the server should go on and start.
    int parse_command_line(std::span<const OptionSpec> specs, int argc, const char* const* argv,
                           std::string_view program, std::string_view usage);

    // Applies one name/value pair with the same validation (also used by CONFIG SET).
    void set(std::string_view name, std::string_view value);
    void load_file(const std::string& path);

    const std::string& text(std::string_view name) const;
    int64_t integer(std::string_view name) const;  // also for bytes options
    bool boolean(std::string_view name) const;
    bool is_set_explicitly(std::string_view name) const;
    const std::string& help_text() const { return help_; }

    static std::optional<int64_t> parse_integer(std::string_view text);
    static std::optional<int64_t> parse_bytes(std::string_view text);  // "100", "64mb", "1gb"
    static std::optional<bool> parse_boolean(std::string_view text);

private:
    const OptionSpec* find(std::string_view name) const;
    std::string format_help(std::string_view program, std::string_view usage) const;

    std::span<const OptionSpec> specs_;
    std::map<std::string, std::string, std::less<>> values_;  // canonical spec name -> value
    std::vector<std::string> explicit_;
    std::string help_;
};

}  // namespace mb
