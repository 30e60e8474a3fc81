// minirabbit/storage/definitions.cpp
//
// Durable definitions as JSON (see definitions.hpp).
//
// CONCEPT: topology is small and rarely changes, messages are many and change all the time, so
// they are stored differently: the definitions are rewritten whole on every change (no log, no
// compaction to think about) with the crash-safe replace below, while messages go to the journal.
// Writing RabbitMQ's export format (not one of our own) means `rabbitmqadmin export` from a real
// RabbitMQ can be loaded here, and our file can be imported into RabbitMQ - the same
// interoperability miniredis gets from writing real RDB files.
//
//   change (queue.declare durable) ──▶ Broker::definitions_changed ──▶ save: JSON ──▶ .tmp
//                                   ──▶ fsync ──▶ rename over definitions.json ──▶ fsync the dir
// READ NEXT: journal.cpp, minirabbit/admin_api.cpp (GET/POST /api/definitions).
#include "definitions.hpp"

#include "model/policy.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "crc32c.hpp"
#include "model/broker.hpp"
#include "version.hpp"

namespace minirabbit {

namespace json = boost::json;

// AMQP field values to JSON and back: queue arguments, binding arguments and policy definitions
// are field tables in the broker and JSON objects in the file (and in the management API, which
// reuses these two functions).
json::value field_value_to_json(const amqp::FieldValue& field) {
    return std::visit(
        [](const auto& v) -> json::value {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, amqp::Void>) {
                return nullptr;
            } else if constexpr (std::is_same_v<T, bool>) {
                return v;
            } else if constexpr (std::is_integral_v<T>) {
                return static_cast<int64_t>(v);
            } else if constexpr (std::is_floating_point_v<T>) {
                return static_cast<double>(v);
            } else if constexpr (std::is_same_v<T, amqp::Decimal>) {
                double value = v.value;
                for (int i = 0; i < v.scale; ++i) value /= 10;
                return value;
            } else if constexpr (std::is_same_v<T, std::string>) {
                return json::string(v);
            } else if constexpr (std::is_same_v<T, amqp::ByteArray>) {
                return json::string(v.bytes);
            } else if constexpr (std::is_same_v<T, amqp::Timestamp>) {
                return static_cast<int64_t>(v.seconds);
            } else if constexpr (std::is_same_v<T, amqp::FieldArray>) {
                json::array array;
                for (const auto& item : v) array.push_back(field_value_to_json(item));
                return array;
            } else {
                return field_table_to_json(v);
            }
        },
        field.value);
}

json::value field_table_to_json(const amqp::FieldTable& table) {
    json::object object;
    for (const auto& [name, value] : table.entries) object[name] = field_value_to_json(value);
    return object;
}

// JSON back to AMQP. The round trip is lossy only for the AMQP types JSON lacks (a decimal, a byte
// array or a timestamp comes back as a number or a string); queue, binding and policy arguments
// are numbers, strings and booleans, which survive exactly.
amqp::FieldValue field_value_from_json(const json::value& v) {
    // JSON has fewer types than AMQP: integers come back as int64 ('l'), which is what RabbitMQ's
    // management API produces too; the broker compares integers by value whatever their width.
    switch (v.kind()) {
        case json::kind::null:
            return amqp::FieldValue{amqp::Void{}};
        case json::kind::bool_:
            return amqp::FieldValue{v.get_bool()};
        case json::kind::int64:
            return amqp::FieldValue{v.get_int64()};
        case json::kind::uint64:
            return amqp::FieldValue{static_cast<int64_t>(v.get_uint64())};
        case json::kind::double_:
            return amqp::FieldValue{v.get_double()};
        case json::kind::string:
            return amqp::FieldValue{std::string_view(v.get_string())};
        case json::kind::array: {
            amqp::FieldArray array;
            for (const auto& item : v.get_array()) array.push_back(field_value_from_json(item));
            return amqp::FieldValue{std::move(array)};
        }
        case json::kind::object:
            return amqp::FieldValue{field_table_from_json(v)};
    }
    return {};
}

amqp::FieldTable field_table_from_json(const json::value& value) {
    amqp::FieldTable table;
    if (!value.is_object()) return table;
    for (const auto& [key, item] : value.get_object()) table.set(std::string(key), field_value_from_json(item));
    return table;
}

// A policy as RabbitMQ writes it in /api/policies and in definitions (note "apply-to").
json::object policy_to_json(std::string_view vhost, const Policy& p) {
    return json::object{{"vhost", vhost},
                        {"name", p.name},
                        {"pattern", p.pattern},
                        {"apply-to", p.apply_to},
                        {"definition", field_table_to_json(p.definition)},
                        {"priority", p.priority}};
}

// A policy read back goes through Policy::make, the same validation as a PUT: a hand-edited file
// cannot smuggle in a definition the API would have refused.
Policy policy_from_json(std::string name, const json::object& o) {
    auto text_of = [&](std::string_view key) {
        const json::value* v = o.if_contains(key);
        return v && v->is_string() ? std::string(v->get_string()) : std::string();
    };
    const json::value* priority = o.if_contains("priority");
    int64_t level = 0;
    if (priority && priority->is_number()) level = priority->to_number<int64_t>();
    if (priority && priority->is_string()) level = std::atoll(priority->get_string().c_str());  // the UI sends "1"
    const json::value* definition = o.if_contains("definition");
    return Policy::make(std::move(name), text_of("pattern"), text_of("apply-to"), level,
                        field_table_from_json(definition ? *definition : json::value()));
}

// The broker's durable topology as one JSON document with the members of RabbitMQ's export
// (rabbit_version, users, vhosts, permissions, queues, exchanges, bindings, policies). Only durable
// queues and exchanges
// are written, and only bindings whose both ends are durable: anything else would come back after
// a restart pointing at something that no longer exists. The predeclared amq.* exchanges and the
// default exchange are left out - every vhost recreates them.
std::string definitions_json(const Broker& broker) {
    json::array vhosts, users, permissions, exchanges, queues, bindings, policies;
    for (const auto& [name, user] : broker.users().users()) {
        json::array tags;
        for (const auto& tag : user.tags) tags.push_back(json::string(tag));
        users.push_back(json::object{{"name", name},
                                     {"password_hash", user.password_hash},
                                     {"hashing_algorithm", "rabbit_password_hashing_sha256"},
                                     {"tags", std::move(tags)}});
    }
    for (const auto& [vhost_name, by_user] : broker.users().permissions())
        for (const auto& [user, p] : by_user)
            permissions.push_back(json::object{{"user", user},
                                               {"vhost", vhost_name},
                                               {"configure", p.configure()},
                                               {"write", p.write()},
                                               {"read", p.read()}});
    for (const auto& [vhost_name, vhost] : broker.vhosts()) {
        vhosts.push_back(json::object{{"name", vhost_name}});
        for (const auto& [name, p] : vhost->policies()) policies.push_back(policy_to_json(vhost_name, p));
        for (const auto& [name, exchange] : vhost->exchanges()) {
            // The predeclared exchanges come back by themselves; only the user's durable ones are saved.
            if (!exchange->durable() || name.empty() || name.starts_with("amq.")) continue;
            exchanges.push_back(json::object{{"name", name},
                                             {"vhost", vhost_name},
                                             {"type", exchange->type()},
                                             {"durable", true},
                                             {"auto_delete", exchange->auto_delete()},
                                             {"internal", exchange->internal()},
                                             {"arguments", field_table_to_json(exchange->arguments())}});
        }
        for (const auto& [name, queue] : vhost->queues()) {
            if (!queue->durable()) continue;
            queues.push_back(json::object{{"name", name},
                                          {"vhost", vhost_name},
                                          {"durable", true},
                                          {"auto_delete", queue->auto_delete()},
                                          {"arguments", field_table_to_json(queue->arguments())},
                                          {"minirabbit_store_id", queue->store_id}});
        }
        for (const auto& [name, exchange] : vhost->exchanges()) {
            if (!exchange->durable()) continue;
            for (const auto& b : exchange->bindings()) {
                bool durable_destination = b->queue ? b->queue->durable() : b->exchange->durable();
                if (!durable_destination) continue;
                bindings.push_back(json::object{{"source", name},
                                                {"vhost", vhost_name},
                                                {"destination", b->destination_name()},
                                                {"destination_type", b->queue ? "queue" : "exchange"},
                                                {"routing_key", b->routing_key},
                                                {"arguments", field_table_to_json(b->arguments)}});
            }
        }
    }
    json::object root{{"rabbit_version", fmt::format("minirabbit-{}", mb::kVersion)},
                      {"vhosts", std::move(vhosts)},
                      {"users", std::move(users)},
                      {"permissions", std::move(permissions)},
                      {"exchanges", std::move(exchanges)},
                      {"queues", std::move(queues)},
                      {"bindings", std::move(bindings)},
                      {"policies", std::move(policies)}};
    return json::serialize(root);
}

namespace {

constexpr std::string_view kChecksumPrefix = R"({"minirabbit_checksum":"crc32c:)";
constexpr size_t kHeaderSize = kChecksumPrefix.size() + 8 + 2;  // prefix, 8 hex digits, `",`
constexpr std::string_view kLegacyStart = R"({"rabbit_version")";

// Where a JSON text stops being JSON (boost::json's stream parser says how far it got), or npos.
size_t json_error_at(std::string_view text) {
    json::stream_parser parser;
    boost::system::error_code ec;
    size_t used = parser.write_some(text.data(), text.size(), ec);
    if (!ec) parser.finish(ec);
    if (!ec) return std::string_view::npos;
    return std::min(used, text.empty() ? 0 : text.size() - 1);
}

}  // namespace

// The checksum goes in as the object's first member, so the file is still plain JSON (any JSON
// tool, and RabbitMQ's import, reads it and ignores the unknown member).
std::string with_checksum(std::string_view json_text) {
    // json_text is an object: "{...}". The checksum goes in as its first member.
    return fmt::format("{}{:08x}\",{}", kChecksumPrefix, mb::crc32c(json_text), json_text.substr(1));
}

// Why a checksum on a JSON file? The file is rewritten atomically, so a crash cannot tear it; what
// it can suffer is a flipped bit or a careless hand edit, and JSON with a changed name still parses.
// The CRC turns "silently a different topology" into "refuse to start, name the byte".
DefinitionsCheck check_definitions(std::string_view text) {
    DefinitionsCheck check;
    auto bad = [&](uint64_t offset, std::string problem) {
        check.offset = offset;
        check.problem = std::move(problem);
        return check;
    };
    if (text.starts_with(kLegacyStart)) {
        // An older version's file: no checksum, only the JSON syntax can be checked.
        if (size_t at = json_error_at(text); at != std::string_view::npos) return bad(at, "invalid JSON");
        check.ok = true;
        check.json = text;
        return check;
    }
    for (size_t i = 0; i < kChecksumPrefix.size(); ++i)
        if (i >= text.size() || text[i] != kChecksumPrefix[i]) return bad(i, "no checksum header");
    uint32_t stored = 0;
    for (size_t i = kChecksumPrefix.size(); i < kChecksumPrefix.size() + 8; ++i) {
        char c = i < text.size() ? text[i] : '\0';
        int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (digit < 0) return bad(i, "bad checksum digit");
        stored = stored << 4 | static_cast<uint32_t>(digit);
    }
    if (text.substr(kHeaderSize - 2, 2) != "\",") return bad(kHeaderSize - 2, "no checksum header");
    check.has_checksum = true;
    check.json = "{";
    check.json.append(text.substr(kHeaderSize));
    if (mb::crc32c(check.json) != stored) {
        // One checksum over the body cannot say which byte changed, only that one did: the offset
        // is where the body starts. Where the JSON syntax breaks (if it does) is a further hint -
        // at or after the damage, since a flip inside a string shows only where the string ends.
        std::string problem = fmt::format("checksum mismatch over bytes {}-{}", kHeaderSize, text.size());
        if (size_t at = json_error_at(check.json); at != std::string_view::npos)
            problem += fmt::format(" (the JSON breaks at byte {})", kHeaderSize - 1 + at);
        return bad(kHeaderSize, problem);
    }
    check.ok = true;
    return check;
}

namespace {

// The crash-safe replace: write a temp file, fsync it, rename it over the old one, fsync the
// directory (so the rename itself survives a power cut).
void write_atomically(const std::string& path, std::string_view text) {
    std::string temp = path + ".tmp";
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error("cannot write " + temp + ": " + std::strerror(errno));
    std::string_view rest = text;
    while (!rest.empty()) {
        ssize_t n = ::write(fd, rest.data(), rest.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            ::close(fd);
            throw std::runtime_error("cannot write " + temp + ": " + std::strerror(errno));
        }
        rest.remove_prefix(static_cast<size_t>(n));
    }
    // Order is everything: the new bytes must be on disk *before* the rename makes them the file.
    // Renaming first and fsyncing after could, after a power cut, leave definitions.json pointing
    // at an empty or partial file - the classic "zero-length file after crash" bug of editors.
    bool synced = ::fsync(fd) == 0;
    ::close(fd);
    if (!synced || ::rename(temp.c_str(), path.c_str()) != 0)
        throw std::runtime_error("cannot replace " + path + ": " + std::strerror(errno));
    // The rename changed the directory, not the file: only an fsync of the directory makes the new
    // name itself survive a power cut. Best effort: without it a crash may bring back the old file -
    // complete, one change older, never torn.
    std::string directory = path.substr(0, path.rfind('/') + 1);
    int dir = ::open(directory.empty() ? "." : directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
}

}  // namespace

// Called after every change to durable topology: the whole file is rewritten. Topology changes are
// rare (an application declares at start-up) and the file is small, so rewriting beats a log.
void save_definitions(const Broker& broker, const std::string& directory) {
    write_atomically(directory + "/definitions.json", with_checksum(definitions_json(broker)));
}

namespace {

// Lenient readers for apply_definitions: a missing or mistyped member takes the default rather than
// aborting the load, as RabbitMQ's import does - an export from another version may lack fields.
std::string text(const json::object& o, std::string_view key, std::string_view fallback = "") {
    auto it = o.find(key);
    return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : std::string(fallback);
}

bool flag(const json::object& o, std::string_view key, bool fallback = false) {
    auto it = o.find(key);
    return it != o.end() && it->value().is_bool() ? it->value().get_bool() : fallback;
}

json::value member(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    return it == o.end() ? json::value() : it->value();
}

const json::array& list(const json::object& root, std::string_view key) {
    static const json::array empty;
    auto it = root.find(key);
    return it != root.end() && it->value().is_array() ? it->value().get_array() : empty;
}

}  // namespace

// The inverse of definitions_json, also what POST /api/definitions runs: vhosts first, then users,
// permissions and policies, then exchanges and queues, bindings last (they need both ends).
// Missing members take RabbitMQ's defaults, so a hand-written or older export loads too.
void apply_definitions(Broker& broker, const std::string& json_text) {
    boost::system::error_code ec;
    // Names are AMQP bytes, not necessarily UTF-8, and the file keeps them byte for byte: a
    // strict parser would refuse to start the broker over one oddly named durable queue.
    json::parse_options options;
    options.allow_invalid_utf8 = true;
    json::value doc = json::parse(json_text, ec, {}, options);
    if (ec || !doc.is_object()) throw std::runtime_error("definitions are not a JSON object");
    const json::object& root = doc.get_object();
    for (const auto& v : list(root, "vhosts"))
        if (v.is_object()) broker.add_vhost(text(v.get_object(), "name", "/"));
    for (const auto& v : list(root, "users")) {
        if (!v.is_object()) continue;
        const auto& u = v.get_object();
        std::vector<std::string> tags;
        json::value tag_value = member(u, "tags");
        if (tag_value.is_array()) {
            for (const auto& t : tag_value.get_array())
                if (t.is_string()) tags.emplace_back(t.get_string());
        } else if (tag_value.is_string()) {
            // RabbitMQ's older exports give tags as one comma-separated string.
            std::stringstream all(std::string(tag_value.get_string()));
            for (std::string tag; std::getline(all, tag, ',');)
                if (!tag.empty()) tags.push_back(tag);
        }
        if (u.contains("password"))
            broker.users().put_user(text(u, "name"), text(u, "password"), tags);
        else
            broker.users().put_user_with_hash(text(u, "name"), text(u, "password_hash"), tags);
    }
    for (const auto& v : list(root, "permissions")) {
        if (!v.is_object()) continue;
        const auto& p = v.get_object();
        broker.users().set_permission(text(p, "vhost", "/"), text(p, "user"),
                                      Permission(text(p, "configure"), text(p, "write"), text(p, "read")));
    }
    for (const auto& v : list(root, "policies")) {
        // Before the queues, so each queue starts under its policy. A bad one is skipped, as a bad queue is.
        if (!v.is_object()) continue;
        Vhost* vhost = broker.find_vhost(text(v.get_object(), "vhost", "/"));
        try {
            if (vhost) vhost->set_policy(policy_from_json(text(v.get_object(), "name"), v.get_object()));
        } catch (const std::invalid_argument&) {
        }
    }
    for (const auto& v : list(root, "exchanges")) {
        if (!v.is_object()) continue;
        const auto& e = v.get_object();
        Vhost* vhost = broker.find_vhost(text(e, "vhost", "/"));
        std::string name = text(e, "name");
        if (!vhost || name.empty() || vhost->find_exchange(name)) continue;
        auto exchange = make_exchange(text(e, "type", "direct"), name, flag(e, "durable", true), flag(e, "auto_delete"),
                                      flag(e, "internal"), field_table_from_json(member(e, "arguments")));
        if (exchange) vhost->add_exchange(std::move(exchange));
    }
    for (const auto& v : list(root, "queues")) {
        if (!v.is_object()) continue;
        const auto& q = v.get_object();
        Vhost* vhost = broker.find_vhost(text(q, "vhost", "/"));
        std::string name = text(q, "name");
        if (!vhost || name.empty() || vhost->find_queue(name)) continue;
        amqp::FieldTable arguments = field_table_from_json(member(q, "arguments"));
        std::string bad, error;
        auto settings = QueueArguments::parse(arguments, bad, error);
        if (!settings) continue;
        auto queue = std::make_shared<Queue>(*vhost, name, flag(q, "durable", true), false, flag(q, "auto_delete"),
                                             std::move(arguments), std::move(*settings), 0);
        json::value id = member(q, "minirabbit_store_id");
        queue->store_id = id.is_int64()    ? static_cast<uint64_t>(id.get_int64())
                          : id.is_uint64() ? id.get_uint64()
                                           : broker.next_id();
        broker.note_id(queue->store_id);
        vhost->add_queue(std::move(queue));
    }
    for (const auto& v : list(root, "bindings")) {
        if (!v.is_object()) continue;
        const auto& b = v.get_object();
        Vhost* vhost = broker.find_vhost(text(b, "vhost", "/"));
        if (!vhost) continue;
        Exchange* source = vhost->find_exchange(text(b, "source"));
        std::string destination = text(b, "destination");
        if (!source || source->name().empty()) continue;
        Binding binding{text(b, "routing_key"), field_table_from_json(member(b, "arguments")), nullptr, nullptr};
        if (text(b, "destination_type", "queue") == "queue")
            binding.queue = vhost->find_queue(destination);
        else
            binding.exchange = vhost->find_exchange(destination);
        if (binding.queue || binding.exchange) source->bind(std::move(binding));
    }
}

// Start-up: no file is a fresh broker (false); a damaged one stops the start with the byte and the
// repair command to run - the operator decides, not the broker.
bool load_definitions(Broker& broker, const std::string& directory) {
    std::string path = directory + "/definitions.json";
    std::ifstream file(path, std::ios::binary);
    if (!file) return false;
    std::stringstream contents;
    contents << file.rdbuf();
    DefinitionsCheck check = check_definitions(contents.str());
    if (!check.ok)
        throw std::runtime_error(fmt::format(
            "{}: corrupt at byte {}: {}; refusing to start (run 'minirabbit --repair' to see what can be kept, "
            "keeping a backup)",
            path, check.offset, check.problem));
    apply_definitions(broker, check.json);
    return true;
}

// --repair for the definitions: unlike the journal there is no record to cut at - a JSON document
// is whole or broken. If it still parses, it is kept with a fresh checksum and the operator is told
// to compare it with the backup; if not, a person must decide.
RepairOutcome repair_definitions(const std::string& directory) {
    RepairOutcome r;
    r.file = directory + "/definitions.json";
    std::ifstream file(r.file, std::ios::binary);
    if (!file) return r;
    std::stringstream contents;
    contents << file.rdbuf();
    std::string text = contents.str();
    DefinitionsCheck check = check_definitions(text);
    if (check.ok) return r;
    r.damaged = true;
    r.offset = check.offset;
    r.problem = check.problem;
    // What still parses is the best there is: a cut would leave no JSON at all. Keep it with a
    // fresh checksum (the flipped byte may be in a name, hence the note), or leave it to a person.
    std::string json = check.json.empty() ? text : check.json;
    boost::system::error_code ec;
    json::value doc = json::parse(json, ec);
    r.backup = keep_backup(r.file);
    if (ec || !doc.is_object()) {
        r.note = fmt::format("the JSON does not parse; restore {} from a backup or fix it by hand ({} is a copy)",
                             r.file, r.backup);
        return r;
    }
    write_atomically(r.file, with_checksum(json));
    r.repaired = true;
    r.note = "the JSON still parses and was kept with a new checksum: compare it with the backup";
    return r;
}

}  // namespace minirabbit
