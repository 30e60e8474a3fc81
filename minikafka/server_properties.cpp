// Server properties: Kafka's spellings folded into minikafka's, and the names only Kafka uses.
#include "server_properties.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>
#include <utility>

namespace minikafka {
namespace {

using mb::OptionKind;

// Kafka offers several spellings of one setting. We keep one (log.retention.ms, --dir) and read
// the others here, so the rest of the broker never has to know about them.
constexpr mb::OptionSpec kSpellings[] = {
    {"log.dirs", "", "Kafka's data directories, comma-separated: the first one is --dir"},
    {"log.dir", "", "Kafka's single data directory (log.dirs wins): sets --dir"},
    {"log.retention.hours", "", "log.retention.ms in hours (log.retention.ms and .minutes win)", OptionKind::integer,
     -1},
    {"log.retention.minutes", "", "log.retention.ms in minutes (log.retention.ms wins)", OptionKind::integer, -1},
    {"log.roll.hours", "", "log.roll.ms in hours (log.roll.ms wins)", OptionKind::integer, 1},
};

// Kafka 3.x broker properties that minikafka accepts without acting on them. Most tune threads
// and buffers of Kafka's JVM design (num.*.threads), or features outside this course (TLS, SASL,
// ZooKeeper, quotas). A real option always wins over a pattern here (mb::Options looks real
// names up first), so "replica.*" only catches the replica settings minikafka has no use for
// (replica.socket.*, replica.high.watermark.checkpoint.*), not replica.fetch.* or
// replica.lag.time.max.ms, which main.cpp implements.
constexpr std::string_view kKnownUnimplemented[] = {
    // Threads and socket buffers: we have one event loop, the kernel sizes the buffers.
    "num.network.threads",
    "num.io.threads",
    "num.recovery.threads.per.data.dir",
    "num.replica.fetchers",
    "background.threads",
    "socket.send.buffer.bytes",
    "socket.receive.buffer.bytes",
    "queued.max.requests",
    "max.connections*",
    "connections.max.idle.ms",
    "socket.listen.backlog.size",
    // Listener details: PLAINTEXT is the only protocol; the inter-broker listener is PLAINTEXT.
    "listener.security.protocol.map",
    "inter.broker.listener.name",
    "security.inter.broker.protocol",
    "inter.broker.protocol.version",
    "ssl.*",
    "sasl.*",
    "listener.name.*",
    "authorizer.class.name",
    "super.users",
    "allow.everyone.if.no.acl.found",
    // Internal topics: __consumer_offsets' segment size and retention follow the log defaults;
    // transactions are not built.
    "offsets.topic.segment.bytes",
    "offsets.retention.minutes",
    "transaction.state.log.*",
    "transaction.*",
    // KRaft's controller does not use it either: it balances every partition whose preferred
    // replica is in the ISR, leader.imbalance.check.interval.seconds after it saw one off home.
    "leader.imbalance.per.broker.percentage",
    "delete.topic.enable",
    "replica.*",
    // Logs: compression is not built; the cleaner runs in the broker's event loop, so its
    // threads, buffers and I/O throttle have nothing to tune (log.cleaner.backoff.ms and
    // log.cleaner.delete.retention.ms are real options).
    "log.cleaner.*",
    "compression.type",
    "log.preallocate",
    "log.segment.delete.delay.ms",
    "log.message.format.version",
    "log.message.downconversion.enable",
    "log.flush.scheduler.interval.ms",
    "log.flush.offset.checkpoint.interval.ms",
    "log.roll.jitter.*",
    "log.index.size.max.bytes",
    // ZooKeeper mode, metadata log tuning, metrics reporters, quotas.
    "zookeeper.*",
    "metadata.log.*",
    "metadata.max.*",
    "controller.quorum.append.linger.ms",
    "controller.quorum.retry.backoff.ms",
    "metric.reporters",
    "metrics.*",
    "quota.*",
    "client.quota.*",
    "group.max.size",
    "confluent.*",
};

}  // namespace

std::span<const mb::OptionSpec> server_properties_options() { return kSpellings; }

mb::ConfigFileRules server_properties_rules() { return {kKnownUnimplemented, /*include=*/false}; }

std::optional<std::string> apply_server_properties(mb::Options& options) {
    // log.dirs=/a,/b: we keep one directory per broker, the first (Kafka spreads partitions over
    // all of them). The later of log.dirs and --dir wins, so `--dir` after the file overrides it.
    for (std::string_view name : {"log.dir", "log.dirs"}) {
        std::string dirs = options.text(name);
        if (dirs.empty() || options.set_position(name) < options.set_position("dir")) continue;
        std::string first = dirs.substr(0, dirs.find(','));
        if (first.empty()) return fmt::format("{}={}: no directory", name, dirs);
        options.set("dir", first);
    }
    // Kafka's precedence: log.retention.ms, else .minutes, else .hours (-1 = keep forever).
    if (!options.is_set_explicitly("log.retention.ms")) {
        for (auto [name, unit] : {std::pair<std::string_view, int64_t>{"log.retention.hours", 3'600'000},
                                  {"log.retention.minutes", 60'000}}) {
            if (options.text(name).empty()) continue;
            int64_t value = options.integer(name);
            options.set("log.retention.ms", std::to_string(value < 0 ? -1 : value * unit));
        }
    }
    if (!options.is_set_explicitly("log.roll.ms") && !options.text("log.roll.hours").empty())
        options.set("log.roll.ms", std::to_string(options.integer("log.roll.hours") * 3'600'000));
    // listeners=PLAINTEXT://host:port also names the client port in single-node mode (the cluster
    // mode reads it in controller_link.cpp); whichever of it and --port/--bind came later wins.
    std::string_view listeners = options.text("listeners");
    if (options.text("controller.quorum.voters").empty() &&
        options.set_position("listeners") > options.set_position("port")) {
        while (!listeners.empty()) {
            std::string_view item = listeners.substr(0, listeners.find(','));
            listeners.remove_prefix(std::min(listeners.size(), item.size() + 1));
            if (!item.starts_with("PLAINTEXT://")) continue;
            item.remove_prefix(12);
            size_t colon = item.rfind(':');
            if (colon == std::string_view::npos) return fmt::format("listeners: '{}' is not host:port", item);
            std::string host(item.substr(0, colon));
            try {
                options.set("port", item.substr(colon + 1));
            } catch (const mb::OptionError& e) {
                return fmt::format("listeners: {}", e.what());
            }
            options.set("bind", host.empty() ? "0.0.0.0" : host);  // Kafka: empty host = every interface
        }
    }
    return std::nullopt;
}

}  // namespace minikafka
