// Options: validation of every value against its spec, config files, and --help generation.
#include "options.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <fstream>

namespace mb {
namespace {

char fold(char c) {
    if (c == '_' || c == '.') return '-';
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
}

bool same_name(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return fold(x) == fold(y); });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

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

std::optional<bool> Options::parse_boolean(std::string_view text) {
    if (same_name(text, "yes") || same_name(text, "true") || text == "1") return true;
    if (same_name(text, "no") || same_name(text, "false") || text == "0") return false;
    return std::nullopt;
}

const OptionSpec* Options::find(std::string_view name) const {
    for (const OptionSpec& spec : specs_)
        if (same_name(spec.name, name)) return &spec;
    return nullptr;
}

void Options::set(std::string_view name, std::string_view raw_value) {
    const OptionSpec* spec = find(name);
    if (!spec) throw OptionError(fmt::format("unknown option '{}'", name));
    std::string_view value = trim(raw_value);
    // Config files may quote values ("" for empty, as redis.conf does).
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
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

void Options::load_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw OptionError(fmt::format("cannot read config file '{}'", path));
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        std::string_view l = trim(line);
        if (l.empty() || l.front() == '#') continue;
        // "name=value" (server.properties) or "name value" (redis.conf), whichever comes first.
        size_t split = l.find_first_of("= \t");
        if (split == std::string_view::npos)
            throw OptionError(fmt::format("{}:{}: expected 'name value'", path, number));
        try {
            set(trim(l.substr(0, split)), trim(l.substr(split + 1)));
        } catch (const OptionError& e) {
            throw OptionError(fmt::format("{}:{}: {}", path, number, e.what()));
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
        if (!arg.starts_with("--")) throw OptionError(fmt::format("unexpected argument '{}'", arg));
        arg.remove_prefix(2);
        size_t eq = arg.find('=');
        if (eq != std::string_view::npos) {
            set(arg.substr(0, eq), arg.substr(eq + 1));
            continue;
        }
        if (!find(arg)) throw OptionError(fmt::format("unknown option '--{}'", arg));
        if (i + 1 >= argc) throw OptionError(fmt::format("option '--{}' needs a value", arg));
        set(arg, argv[++i]);
    }
    return true;
}

int Options::parse_command_line(std::span<const OptionSpec> specs, int argc, const char* const* argv,
                                std::string_view program, std::string_view usage) {
    try {
        if (parse(specs, argc, argv, program, usage)) return -1;
        fmt::print("{}", help_);
        return 0;
    } catch (const OptionError& e) {
        fmt::print(stderr, "{}: {} (try --help)\n", program, e.what());
        return 2;
    }
}

std::string Options::format_help(std::string_view program, std::string_view usage) const {
    std::string out = fmt::format("usage: {} {}\n\noptions (default in brackets):\n", program, usage);
    for (const OptionSpec& spec : specs_) {
        std::string flag =
            fmt::format("--{} {}", spec.name, spec.kind == OptionKind::choice ? std::string(spec.choices) : "VALUE");
        out += fmt::format("  {:<42} {} [{}]\n", flag, spec.help, spec.default_value);
    }
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
