// common/options.hpp
//
// Command-line and config-file options, in the style of each original broker:
//   miniredis  redis.conf        lines "name value"    and  --name value    (redis-server)
//   minikafka  server.properties lines "name=value"    and  --name value
// Each server declares a table of OptionSpec (name, default, help, kind); the parser fills an
// Options map of validated strings. Names match with '-', '_' and '.' treated alike, so
// `--log-segment-bytes` and `--log.segment.bytes` are the same Kafka property.
// Anything unknown or malformed is an OptionError; main() prints it and exits with status 2.
//
// The originals' own config files load as they are (docs/architecture.md, "Config files"): a
// server may declare names the original knows but it does not implement (`known_unimplemented`):
// those lines are accepted, and summarised in ONE warning line instead of refusing the file. A
// name neither declared nor known is still refused, naming file:line (ConfigFileError).
//
// CONCEPT: configuration as each original does it, from one table. The three servers share the
// options every one of them has (port, bind, dir, admin-port, loglevel, trace) and the validation;
// each adds its own rows. One table per server also gives --help for free and keeps the defaults
// in one place, next to their explanation.
//
//   argv / config file ──▶ parse against OptionSpec[] ──▶ Options (validated strings) ──▶ main.cpp
//                      └──▶ unknown or malformed ──▶ OptionError ──▶ exit 2
// READ NEXT: options.cpp, miniredis/main.cpp (a table in use).
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

// A bad line in a config file: what() is "path:line: reason"; the parts are kept so a server can
// also word it as its original does (miniredis prints Redis' "*** FATAL CONFIG FILE ERROR ***").
struct ConfigFileError : OptionError {
    ConfigFileError(std::string path, int line, std::string text, std::string reason);
    std::string path;
    int line;
    std::string text;    // the offending line, trimmed
    std::string reason;  // without the location
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
    // Several lines add up instead of the last one winning (redis.conf's `save 900 1` + `save 300
    // 10`, one `client-output-buffer-limit` line per client class). Only within one start (file +
    // command line); the first such line replaces the default, and an empty value ("") clears.
    bool repeatable = false;
};

// An old spelling the original still accepts for one of our options (Redis 7's "slaveof" for
// "replicaof"): the same option under two names, in a file, on the command line and in CONFIG SET.
struct OptionAlias {
    std::string_view alias;
    std::string_view name;
};

// What a server's config file may contain beyond its own OptionSpecs.
struct ConfigFileRules {
    // Names the original broker knows but this server does not implement: accepted, ignored,
    // listed once by ignored_summary(). A name ending in '*' is a prefix ("tls-*", "cluster-*").
    std::span<const std::string_view> known_unimplemented = {};
    bool include = false;                       // `include other.conf` (redis.conf) reads another file in place
    std::span<const OptionAlias> aliases = {};  // looked up by find(), so set() takes them too
};

class Options {
public:
    // Parses argv. A first argument without "--" is a config file (as redis-server and Kafka's
    // kafka-server-start take one); command-line options override it. Throws OptionError.
    // Returns false when --help was asked for (the help text is then in `help_text()`).
    // Also false for --version (`wants_version()`). `--override name=value` is a synonym of
    // `--name value` (Kafka's kafka-server-start.sh spelling).
    bool parse(std::span<const OptionSpec> specs, int argc, const char* const* argv, std::string_view program,
               std::string_view usage);
    void set_file_rules(ConfigFileRules rules) { rules_ = rules; }

    // parse() for main(): prints --help or --version (returns 0) or the error with a hint
    // (returns 2); returns -1 when the server should go on and start.
    int parse_command_line(std::span<const OptionSpec> specs, int argc, const char* const* argv,
                           std::string_view program, std::string_view usage);

    // Applies one name/value pair with the same validation (also used by CONFIG SET).
    void set(std::string_view name, std::string_view value);
    void load_file(const std::string& path);
    // Applies one file or command-line pair: set(), plus `repeatable` and `known_unimplemented`.
    void apply(std::string_view name, std::string_view value);

    // The known-but-unimplemented names that were given, in order of first appearance, and the one
    // warning line a server logs about them ("" when there are none).
    const std::vector<std::string>& ignored() const { return ignored_; }
    std::string ignored_summary() const;
    // Their values, by folded name ("IO_THREADS" -> "io-threads"; the last one given, quotes removed).
    const std::map<std::string, std::string, std::less<>>& ignored_values() const { return ignored_values_; }
    bool wants_version() const { return version_; }

    const std::string& text(std::string_view name) const;
    int64_t integer(std::string_view name) const;  // also for bytes options
    bool boolean(std::string_view name) const;
    bool is_set_explicitly(std::string_view name) const;
    // When `name` was last set: 0 = never, else a count that grows with every set(). Options
    // that spell the same thing twice (Kafka's listeners vs --port) use it so that the later one
    // wins, whichever it is - the command line comes after the config file.
    size_t set_position(std::string_view name) const;
    size_t set_count() const { return explicit_.size(); }  // the position the next set() gets, minus one
    const std::string& help_text() const { return help_; }

    static std::optional<int64_t> parse_integer(std::string_view text);
    static std::optional<int64_t> parse_bytes(std::string_view text);  // "100", "64mb", "1gb"
    static std::optional<bool> parse_boolean(std::string_view text);

private:
    const OptionSpec* find(std::string_view name) const;
    bool known_unimplemented(std::string_view name) const;
    void load_file_at_depth(const std::string& path, int depth);
    std::string format_help(std::string_view program, std::string_view usage) const;

    std::span<const OptionSpec> specs_;
    std::map<std::string, std::string, std::less<>> values_;  // canonical spec name -> value
    std::vector<std::string> explicit_;
    std::string help_;
    ConfigFileRules rules_;
    std::vector<std::string> ignored_;
    std::map<std::string, std::string, std::less<>> ignored_values_;
    bool version_ = false;
};

// "miniredis 0.1.0": the one version string (meson's project version, generated version.hpp).
std::string version_line(std::string_view program);

}  // namespace mb
