// rabbitmq.conf and RABBITMQ_* variables: the translation into minirabbit's options.
#include "rabbitmq_conf.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace minirabbit {
namespace {

using mb::OptionKind;

constexpr mb::OptionSpec kOptions[] = {
    {"config", "", "a rabbitmq.conf to read (default: $RABBITMQ_CONFIG_FILE); the command line wins over it"},
    {"default-user", "guest", "the user created at the first start (rabbitmq.conf default_user)"},
    {"default-pass", "guest", "... and its password (default_pass)"},
    {"default-vhost", "/", "the vhost created at the first start (default_vhost)"},
    {"loopback-users", "guest", "users who may only connect from localhost, space-separated (loopback_users)"},
    {"nodename", "minirabbit@localhost", "the node name shown by the management API (RABBITMQ_NODENAME)"},
};

// RabbitMQ settings minirabbit accepts without acting on them. '*' ends a family of keys.
constexpr std::string_view kKnownUnimplemented[] = {
    "listeners.tcp.*",
    "listeners.ssl.*",
    "ssl_options.*",
    "num_acceptors.*",
    "tcp_listen_options.*",
    "handshake_timeout",
    "ssl_handshake_timeout",
    "proxy_protocol",
    "reverse_dns_lookups",
    "heartbeat",
    "frame_max",
    "initial_frame_max",
    "channel_max",
    "connection_max",
    "max_message_size",
    "consumer_timeout",
    "channel_operation_timeout",
    "disk_free_limit.*",
    "vm_memory_high_watermark_paging_ratio",
    "memory_monitor_interval",
    "total_memory_available_override_value",
    "auth_mechanisms.*",
    "auth_backends.*",
    "default_permissions.*",
    "default_user_tags.*",
    "log.*",
    "management.*",
    "management_agent.*",
    "prometheus.*",
    "collect_statistics",
    "cluster_name",
    "cluster_formation.*",
    "cluster_partition_handling",
    "cluster_keepalive_interval",
    "queue_master_locator",
    "queue_leader_locator",
    "mirroring_sync_batch_size",
    "classic_queue.*",
    "quorum_queue.*",
    "stream.*",
    "mqtt.*",
    "stomp.*",
    "web_mqtt.*",
    "web_stomp.*",
    "deprecated_features.*",
    "distribution.*",
    "mnesia_table_loading_retry_timeout",
    "mnesia_table_loading_retry_limit",
    "background_gc_enabled",
    "background_gc_target_interval",
    "hipe_compile",
    "definitions.*",
    "load_definitions",
};

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

// Sets `name` from a less specific source: only when nothing set it yet (see the diagram).
void set_default(mb::Options& options, std::string_view name, std::string_view value, size_t before) {
    if (options.set_position(name) == 0 || options.set_position(name) > before) options.set(name, value);
}

// listeners.tcp.default = 5672 | 127.0.0.1:5672 | [::1]:5672
void apply_listener(mb::Options& options, std::string_view value, size_t before) {
    size_t colon = value.rfind(':');
    if (colon != std::string_view::npos) {
        std::string_view host = value.substr(0, colon);
        if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
        set_default(options, "bind", host, before);
        value = value.substr(colon + 1);
    }
    set_default(options, "port", value, before);
}

// One `key = value` line. `before` = the set_position() that marks "set on the command line".
void apply_line(mb::Options& options, std::string_view key, std::string_view value, size_t before,
                std::vector<std::string>& loopback) {
    if (key == "listeners.tcp.default") return apply_listener(options, value, before);
    if (key == "management.tcp.port") return set_default(options, "admin-port", value, before);
    if (key == "log.console.level") {
        // RabbitMQ's levels: debug info notice warning error critical alert emergency none.
        std::string_view level = value == "notice"                                                 ? "info"
                                 : value == "critical" || value == "alert" || value == "emergency" ? "error"
                                 : value == "none"                                                 ? "error"
                                                                                                   : value;
        return set_default(options, "loglevel", level, before);
    }
    if (key == "loopback_users") {  // only "none" is a valid single value
        if (value != "none") throw mb::OptionError("loopback_users: expected 'none' or loopback_users.NAME = bool");
        loopback.clear();
        return;
    }
    if (key.starts_with("loopback_users.")) {
        std::string user(key.substr(15));
        auto on = mb::Options::parse_boolean(value);
        if (!on) throw mb::OptionError(fmt::format("{}: expected true or false", key));
        std::erase(loopback, user);
        if (*on) loopback.push_back(user);
        return;
    }
    for (auto [conf, ours] : {std::pair<std::string_view, std::string_view>{"default_user", "default-user"},
                              {"default_pass", "default-pass"},
                              {"default_vhost", "default-vhost"},
                              {"vm_memory_high_watermark.relative", "vm-memory-high-watermark.relative"},
                              {"vm_memory_high_watermark.absolute", "vm-memory-high-watermark.absolute"},
                              {"vm_memory_calculation_strategy", "vm-memory-calculation-strategy"},
                              {"collect_statistics_interval", "collect-statistics-interval"}})
        if (key == conf) return set_default(options, ours, value, before);
    options.apply(key, value);  // known but unimplemented: recorded for the summary; else throws
}

}  // namespace

std::span<const mb::OptionSpec> rabbitmq_conf_options() { return kOptions; }

mb::ConfigFileRules rabbitmq_conf_rules() { return {kKnownUnimplemented, /*include=*/false}; }

void load_rabbitmq_config(mb::Options& options, const GetEnv& getenv) {
    const size_t before = options.set_count();  // every set() so far came from the command line
    std::string path = options.text("config");
    if (path.empty())
        if (const char* env = getenv("RABBITMQ_CONFIG_FILE")) path = env;
    // RabbitMQ before 3.9 took the name without its extension: accept "rabbitmq" for rabbitmq.conf.
    if (!path.empty() && !std::filesystem::exists(path) && std::filesystem::exists(path + ".conf")) path += ".conf";
    if (!path.empty()) {
        std::ifstream in(path);
        if (!in) throw mb::OptionError(fmt::format("cannot read config file '{}'", path));
        std::vector<std::string> loopback = {"guest"};
        bool loopback_changed = false;
        std::string line;
        int number = 0;
        while (std::getline(in, line)) {
            ++number;
            std::string_view l = trim(line);
            if (l.empty() || l.front() == '#') continue;
            size_t eq = l.find('=');
            if (eq == std::string_view::npos)
                throw mb::ConfigFileError(path, number, std::string(l), "expected 'key = value'");
            std::string_view key = trim(l.substr(0, eq)), value = trim(l.substr(eq + 1));
            try {
                apply_line(options, key, value, before, loopback);
                loopback_changed |= key.starts_with("loopback_users");
            } catch (const mb::OptionError& e) {
                throw mb::ConfigFileError(path, number, std::string(l), e.what());
            }
        }
        if (loopback_changed) {
            std::string list;
            for (const std::string& user : loopback) list += (list.empty() ? "" : " ") + user;
            set_default(options, "loopback-users", list, before);
        }
    }

    // The environment: least specific, so it only fills what is still at its default.
    auto from_env = [&](const char* variable, std::string_view name) {
        const char* value = getenv(variable);
        if (!value || options.is_set_explicitly(name)) return;
        try {
            options.set(name, value);
        } catch (const mb::OptionError& e) {
            throw mb::OptionError(fmt::format("{}: {}", variable, e.what()));
        }
    };
    from_env("RABBITMQ_NODE_PORT", "port");
    from_env("RABBITMQ_NODE_IP_ADDRESS", "bind");
    from_env("RABBITMQ_MNESIA_DIR", "dir");   // the node's own data directory ...
    from_env("RABBITMQ_MNESIA_BASE", "dir");  // ... or the directory above it: we keep one, so either
    from_env("RABBITMQ_NODENAME", "nodename");
    from_env("RABBITMQ_DEFAULT_USER", "default-user");
    from_env("RABBITMQ_DEFAULT_PASS", "default-pass");
    from_env("RABBITMQ_DEFAULT_VHOST", "default-vhost");
}

std::vector<std::string> loopback_users(const mb::Options& options) {
    std::vector<std::string> users;
    std::string_view text = options.text("loopback-users");
    while (!text.empty()) {
        size_t space = text.find(' ');
        if (std::string_view word = text.substr(0, space); !word.empty() && word != "none") users.emplace_back(word);
        text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
    }
    return users;
}

}  // namespace minirabbit
