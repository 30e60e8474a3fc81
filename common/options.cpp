// common/options.cpp
//
// Options: validation of every value against its spec, config files, and --help generation.
//
// CONCEPT: see options.hpp. Validation happens here, at start, for every value (a size, a port, an
// enum), so a typo in a config file stops the server with the line it is on instead of surfacing as
// odd behaviour an hour later.
// READ NEXT: options.hpp.
#include "options.hpp"

#include <fmt/format.h>

#include "version.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>

namespace mb {
namespace {

// Option names compare case-insensitively with '-', '_' and '.' as one character: Kafka spells its
// properties log.segment.bytes, Redis its directives maxmemory-policy, RabbitMQ vm_memory_high_watermark,
// and a user who types any of the spellings on the command line should be understood.
char fold(char c) {
    if (c == '_' || c == '.') return '-';
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
}

bool same_name(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return fold(x) == fold(y); });
}

// '\r' is trimmed too: a config file edited on Windows must load the same way.
std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

// An enum option's spec lists its values as "always|everysec|no"; matching uses the same folding.
bool in_choices(std::string_view choices, std::string_view value) {
    while (!choices.empty()) {
        size_t bar = choices.find('|');
        if (same_name(choices.substr(0, bar), value)) return true;
        if (bar == std::string_view::npos) break;
        choices.remove_prefix(bar + 1);
    }
    return false;
}

}  // namespace

ConfigFileError::ConfigFileError(std::string path_, int line_, std::string text_, std::string reason_)
    : OptionError(fmt::format("{}:{}: {}", path_, line_, reason_)),
      path(std::move(path_)),
      line(line_),
      text(std::move(text_)),
      reason(std::move(reason_)) {}

std::string version_line(std::string_view program) { return fmt::format("{} {}", program, kVersion); }

// Strict: the whole text must be the number ("100x" and "" are errors, not 100 and 0).
std::optional<int64_t> Options::parse_integer(std::string_view text) {
    int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return value;
}

std::optional<int64_t> Options::parse_bytes(std::string_view text) {
    // Redis' units: k=1000, kb=1024, m=1000^2, mb=1024^2, g=1000^3, gb=1024^3 (case-insensitive).
    std::string lower;
    for (char c : text) lower.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
    struct Unit {
        std::string_view suffix;
        int64_t factor;
    };
    constexpr Unit kUnits[] = {{"kb", 1024}, {"mb", 1024 * 1024}, {"gb", 1024LL * 1024 * 1024},
                               {"k", 1000},  {"m", 1000 * 1000},  {"g", 1000LL * 1000 * 1000},
                               {"b", 1}};
    std::string_view body = lower;
    int64_t factor = 1;
    for (const Unit& unit : kUnits) {
        if (body.size() > unit.suffix.size() && body.ends_with(unit.suffix)) {
            body.remove_suffix(unit.suffix.size());
            factor = unit.factor;
            break;
        }
    }
    auto number = parse_integer(body);
    if (!number || *number < 0 || *number > INT64_MAX / factor) return std::nullopt;
    return *number * factor;
}

// yes/no is redis.conf's spelling, true/false server.properties' and rabbitmq.conf's; all are
// accepted everywhere so a student moving between the three is not tripped up.
std::optional<bool> Options::parse_boolean(std::string_view text) {
    if (same_name(text, "yes") || same_name(text, "true") || text == "1") return true;
    if (same_name(text, "no") || same_name(text, "false") || text == "0") return false;
    return std::nullopt;
}

// A linear search: a server has a few dozen options and they are looked up at start-up only.
// An alias finds the option it spells: values are stored under the real name, so both names
// read and write the same value.
const OptionSpec* Options::find(std::string_view name) const {
    for (const OptionSpec& spec : specs_)
        if (same_name(spec.name, name)) return &spec;
    for (const OptionAlias& alias : rules_.aliases)
        if (same_name(alias.alias, name)) return find(alias.name);
    return nullptr;
}

void Options::set(std::string_view name, std::string_view raw_value) {
    const OptionSpec* spec = find(name);
    if (!spec) throw OptionError(fmt::format("unknown option '{}'", name));
    std::string_view value = trim(raw_value);
    // Config files may quote values ("" for empty, as redis.conf does; 'x' too).
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front())
        value = value.substr(1, value.size() - 2);
    auto bad = [&](std::string_view why) {
        return OptionError(fmt::format("bad value '{}' for '{}': {}", value, spec->name, why));
    };
    switch (spec->kind) {
        case OptionKind::text:
            break;
        case OptionKind::integer:
        case OptionKind::bytes: {
            auto n = spec->kind == OptionKind::integer ? parse_integer(value) : parse_bytes(value);
            if (!n) throw bad(spec->kind == OptionKind::integer ? "expected an integer" : "expected a size like 100mb");
            if (*n < spec->min || *n > spec->max)
                throw bad(fmt::format("must be between {} and {}", spec->min, spec->max));
            break;
        }
        case OptionKind::boolean:
            if (!parse_boolean(value)) throw bad("expected yes or no");
            break;
        case OptionKind::choice:
            if (!in_choices(spec->choices, value)) throw bad(fmt::format("expected one of {}", spec->choices));
            break;
    }
    values_[std::string(spec->name)] = std::string(value);
    explicit_.emplace_back(spec->name);
}

bool Options::known_unimplemented(std::string_view name) const {
    for (std::string_view known : rules_.known_unimplemented) {
        if (known.ends_with('*')) {
            known.remove_suffix(1);
            if (name.size() >= known.size() && same_name(name.substr(0, known.size()), known)) return true;
        } else if (same_name(known, name)) {
            return true;
        }
    }
    return false;
}

void Options::apply(std::string_view name, std::string_view value) {
    const OptionSpec* spec = find(name);
    if (!spec && known_unimplemented(name)) {
        // Accepted so the original's file loads; remembered once for ignored_summary().
        if (std::none_of(ignored_.begin(), ignored_.end(), [&](const std::string& n) { return same_name(n, name); }))
            ignored_.emplace_back(name);
        // ... and its value kept (the last one given), so CONFIG GET shows what the file said, as
        // redis-server does.
        std::string key(name);
        for (char& c : key) c = fold(c);  // "IO_THREADS" is io-threads, as for our own names
        std::string_view v = trim(value);
        if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front())
            v = v.substr(1, v.size() - 2);
        ignored_values_[key] = std::string(v);
        return;
    }
    if (spec && spec->repeatable && is_set_explicitly(spec->name)) {
        std::string_view v = trim(value);
        bool empty = v.empty() || v == "\"\"" || v == "''";
        const std::string& current = values_[std::string(spec->name)];
        if (!empty && !current.empty()) {
            set(name, current + " " + std::string(v));
            return;
        }
    }
    set(name, value);
}

std::string Options::ignored_summary() const {
    if (ignored_.empty()) return "";
    std::string names;
    for (const std::string& name : ignored_) names += (names.empty() ? "" : ", ") + name;
    return fmt::format("{} setting(s) known to the original but not implemented here, ignored: {}", ignored_.size(),
                       names);
}

void Options::load_file(const std::string& path) { load_file_at_depth(path, 0); }

// One reader for the three originals' file formats: a line is a name, a separator (the first of
// '=', space or tab) and a value; '#' starts a comment line. The error names file and line, since
// that is where the user must look.
void Options::load_file_at_depth(const std::string& path, int depth) {
    std::ifstream in(path);
    if (!in) throw OptionError(fmt::format("cannot read config file '{}'", path));
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        std::string_view l = trim(line);
        if (l.empty() || l.front() == '#') continue;
        // "name=value" (server.properties), "name = value" (rabbitmq.conf) or "name value"
        // (redis.conf), whichever separator comes first.
        size_t split = l.find_first_of("= \t");
        if (split == std::string_view::npos)
            throw ConfigFileError(path, number, std::string(l), "expected 'name value'");
        std::string_view name = trim(l.substr(0, split)), value = trim(l.substr(split + 1));
        if (!value.empty() && value.front() == '=' && l[split] != '=') value = trim(value.substr(1));
        try {
            if (rules_.include && same_name(name, "include")) {
                // Redis reads the named file right here, so later lines still override it.
                if (depth >= 10) throw OptionError("include nested too deeply (a loop?)");
                std::string_view target = value;
                if (target.size() >= 2 && target.front() == '"' && target.back() == '"')
                    target = target.substr(1, target.size() - 2);
                load_file_at_depth(std::string(target), depth + 1);
                continue;
            }
            if (!find(name) && !known_unimplemented(name)) throw OptionError(fmt::format("unknown option '{}'", name));
            apply(name, value);
        } catch (const ConfigFileError&) {
            throw;  // from an included file: it names its own file and line
        } catch (const OptionError& e) {
            throw ConfigFileError(path, number, std::string(l), e.what());
        }
    }
}

bool Options::parse(std::span<const OptionSpec> specs, int argc, const char* const* argv, std::string_view program,
                    std::string_view usage) {
    specs_ = specs;
    for (const OptionSpec& spec : specs_) values_[std::string(spec.name)] = std::string(spec.default_value);
    help_ = format_help(program, usage);
    int i = 1;
    if (i < argc && std::string_view(argv[i]).substr(0, 1) != "-") load_file(argv[i++]);
    for (; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") return false;
        if (arg == "--version" || arg == "-v") {
            version_ = true;
            return false;
        }
        if (!arg.starts_with("--")) throw OptionError(fmt::format("unexpected argument '{}'", arg));
        arg.remove_prefix(2);
        if (arg == "override") {  // kafka-server-start.sh: --override log.dirs=/tmp/k
            if (i + 1 >= argc) throw OptionError("option '--override' needs name=value");
            arg = argv[++i];
            if (arg.find('=') == std::string_view::npos)
                throw OptionError(fmt::format("--override '{}': expected name=value", arg));
        }
        size_t eq = arg.find('=');
        if (eq != std::string_view::npos) {
            if (!find(arg.substr(0, eq)) && !known_unimplemented(arg.substr(0, eq)))
                throw OptionError(fmt::format("unknown option '--{}'", arg.substr(0, eq)));
            apply(arg.substr(0, eq), arg.substr(eq + 1));
            continue;
        }
        if (!find(arg) && !known_unimplemented(arg)) throw OptionError(fmt::format("unknown option '--{}'", arg));
        if (i + 1 >= argc) throw OptionError(fmt::format("option '--{}' needs a value", arg));
        apply(arg, argv[++i]);
    }
    return true;
}

int Options::parse_command_line(std::span<const OptionSpec> specs, int argc, const char* const* argv,
                                std::string_view program, std::string_view usage) {
    try {
        if (parse(specs, argc, argv, program, usage)) return -1;
        if (version_)
            fmt::print("{}\n", version_line(program));
        else
            fmt::print("{}", help_);
        return 0;
    } catch (const OptionError& e) {
        fmt::print(stderr, "{}: {} (try --help)\n", program, e.what());
        return 2;
    }
}

// --help is generated from the same table the parser uses, so it cannot go stale.
std::string Options::format_help(std::string_view program, std::string_view usage) const {
    std::string out = fmt::format("usage: {} {}\n\noptions (default in brackets):\n", program, usage);
    for (const OptionSpec& spec : specs_) {
        std::string flag =
            fmt::format("--{} {}", spec.name, spec.kind == OptionKind::choice ? std::string(spec.choices) : "VALUE");
        out += fmt::format("  {:<42} {} [{}]\n", flag, spec.help, spec.default_value);
    }
    out += "  --version                                  print the version and exit\n";
    out += "  --help                                     show this text\n";
    return out;
}

const std::string& Options::text(std::string_view name) const {
    const OptionSpec* spec = find(name);
    if (!spec) throw OptionError(fmt::format("option '{}' is not declared", name));
    return values_.find(spec->name)->second;
}

int64_t Options::integer(std::string_view name) const {
    const OptionSpec* spec = find(name);
    const std::string& value = text(name);
    auto n = spec && spec->kind == OptionKind::bytes ? parse_bytes(value) : parse_integer(value);
    if (!n) throw OptionError(fmt::format("option '{}' is not a number: '{}'", name, value));
    return *n;
}

bool Options::boolean(std::string_view name) const { return parse_boolean(text(name)).value_or(false); }

bool Options::is_set_explicitly(std::string_view name) const {
    return std::any_of(explicit_.begin(), explicit_.end(), [&](const std::string& n) { return same_name(n, name); });
}

}  // namespace mb

namespace mb {

size_t Options::set_position(std::string_view name) const {
    for (size_t i = explicit_.size(); i > 0; --i)
        if (same_name(explicit_[i - 1], name)) return i;
    return 0;
}

}  // namespace mb
