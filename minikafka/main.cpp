// minikafka: a Kafka-protocol broker with a partitioned, segmented log on disk.
//   minikafka [server.properties] [--port 9092] [--dir PATH] [--log.segment.bytes N] ...
//   minikafka server.properties --override log.dirs=/tmp/k    (kafka-server-start.sh's spelling)
//   minikafka --repair --dir PATH       cut corrupt files at their first bad byte, then exit
// Every option is also a server.properties line (name=value); see `minikafka --help`.
#include <fmt/format.h>

#include <filesystem>
#include <string_view>
#include <vector>

#include "controller_link.hpp"
#include "log.hpp"
#include "run_server.hpp"
#include "server_properties.hpp"
#include "storage/log_manager.hpp"
#include "storage/offset_store.hpp"

namespace {

// The options table: Kafka's property names, each also a server.properties line. run_server
// reads them (and broker_options.cpp turns them into the Broker's config structs).
constexpr mb::OptionSpec kOptions[] = {
    {"port", "9092", "TCP port to listen on (0 = any free port)", mb::OptionKind::integer, 0, 65535},
    {"bind", "127.0.0.1", "address to listen on"},
    {"dir", ".", "data directory (Kafka: log.dirs): one subdirectory per partition"},
    {"admin-port", "", "HTTP admin port: /, /healthz, /metrics, /api (0 = any free port; empty = off)"},
    {"disk-free-limit", "50mb", "/healthz answers 503 when the dir's disk has less free (RabbitMQ's disk_free_limit)",
     mb::OptionKind::bytes, 0, INT64_MAX},
    {"loglevel", "info", "log level", mb::OptionKind::choice, 0, 0, "debug|info|warning|error"},
    {"trace", "false", "log one line per request through the concepts (toggle at runtime: PUT /api/trace)",
     mb::OptionKind::boolean},
    {"advertised.host.name", "", "host name given to clients in Metadata (default: the bind address)"},
    {"broker.id", "0", "this broker's node id", mb::OptionKind::integer, 0, INT32_MAX},
    {"num.partitions", "1", "partitions of an auto-created topic", mb::OptionKind::integer, 1, 10000},
    {"auto.create.topics.enable", "true", "create a topic when a client first asks for it", mb::OptionKind::boolean},
    {"socket.request.max.bytes", "104857600", "largest request accepted; a bigger one closes the connection",
     mb::OptionKind::bytes, 64, INT32_MAX},
    {"log.segment.bytes", "1073741824", "roll a new segment when the active one would grow past this",
     mb::OptionKind::bytes, 1024, INT32_MAX},
    {"log.roll.ms", "604800000", "roll a new segment when the active one is this old", mb::OptionKind::integer, 1},
    {"log.retention.bytes", "-1", "delete old segments while a partition is larger (-1 = no limit)",
     mb::OptionKind::integer, -1},
    {"log.retention.ms", "604800000", "delete segments whose newest record is older (-1 = keep)",
     mb::OptionKind::integer, -1},
    {"log.retention.check.interval.ms", "300000", "how often retention runs", mb::OptionKind::integer, 1},
    {"log.cleanup.policy", "delete", "what happens to old records: deleted by retention, compacted by key, or both",
     mb::OptionKind::choice, 0, 0, "delete|compact|compact,delete|delete,compact"},
    {"log.cleaner.delete.retention.ms", "86400000", "how long a compacted topic keeps a tombstone",
     mb::OptionKind::integer, 0},
    {"log.cleaner.backoff.ms", "15000", "how often the idle log cleaner looks for a partition to compact",
     mb::OptionKind::integer, 1},
    {"log.flush.interval.messages", "9223372036854775807",
     "fsync after this many messages (1 = every append, before its ack)", mb::OptionKind::integer, 1},
    {"log.flush.interval.ms", "9223372036854775807", "fsync data older than this", mb::OptionKind::integer, 1},
    {"log.index.interval.bytes", "4096", "bytes of log between two offset index entries", mb::OptionKind::integer, 1},
    {"message.max.bytes", "1048588", "largest record batch a producer may append", mb::OptionKind::integer, 64},
    {"group.min.session.timeout.ms", "6000", "shortest session.timeout.ms a consumer may ask for",
     mb::OptionKind::integer, 1, INT32_MAX},
    {"group.max.session.timeout.ms", "1800000", "longest session.timeout.ms a consumer may ask for",
     mb::OptionKind::integer, 1, INT32_MAX},
    {"group.initial.rebalance.delay.ms", "3000",
     "how long a new group waits for more members before its first generation", mb::OptionKind::integer, 0, INT32_MAX},
    {"producer.id.expiration.ms", "86400000", "forget an idempotent producer after this long without an append",
     mb::OptionKind::integer, 1},
    {"producer.id.expiration.check.interval.ms", "600000", "how often idle producer ids are looked for",
     mb::OptionKind::integer, 1},
    {"offsets.retention.check.interval.ms", "600000", "how often groups left empty with no offsets are removed",
     mb::OptionKind::integer, 1},
    {"log.message.timestamp.type", "CreateTime", "record timestamps: the producer's or the broker's",
     mb::OptionKind::choice, 0, 0, "CreateTime|LogAppendTime"},
    // KRaft cluster mode (controller_link.cpp); without controller.quorum.voters, one node as before.
    {"node.id", "0", "this node's id in the cluster (KRaft; sets broker.id)", mb::OptionKind::integer, 0, INT32_MAX},
    {"process.roles", "",
     "broker,controller = combined mode; broker = a broker outside the quorum; empty = single node"},
    {"controller.quorum.voters", "", "the controller quorum: id@host:port,... (empty = single-node mode)"},
    {"cluster.id", "", "a cluster's id, the same on every node (default: derived from controller.quorum.voters)"},
    {"listeners", "", "NAME://host:port,...: PLAINTEXT sets --bind/--port, the controller listener its port"},
    {"advertised.listeners", "", "PLAINTEXT://host:port registered for clients (default: the bound one)"},
    {"controller.listener.names", "CONTROLLER", "which listener in `listeners` the quorum talks on"},
    {"quorum.election.timeout.ms", "1000", "a candidate waits [T, 2T) before trying again", mb::OptionKind::integer,
     10},
    {"quorum.fetch.timeout.ms", "2000", "a follower that long without its leader stands for election",
     mb::OptionKind::integer, 10},
    {"quorum.request.timeout.ms", "2000", "resend an unanswered quorum request after this", mb::OptionKind::integer,
     10},
    {"broker.heartbeat.interval.ms", "2000", "how often a broker heartbeats to the active controller",
     mb::OptionKind::integer, 10},
    {"broker.session.timeout.ms", "9000", "a broker silent this long is fenced", mb::OptionKind::integer, 10},
    {"metadata.snapshot.interval.records", "10000", "snapshot the metadata image after this many records (0 = never)",
     mb::OptionKind::integer, 0},
    {"default.replication.factor", "1", "replicas of a new topic (cluster mode)", mb::OptionKind::integer, 1, 32767},
    {"min.insync.replicas", "1", "acks=all needs an ISR this big", mb::OptionKind::integer, 1, INT32_MAX},
    {"unclean.leader.election.enable", "false",
     "with no ISR member alive, elect a replica outside the ISR (loses acknowledged records)", mb::OptionKind::boolean},
    {"auto.leader.rebalance.enable", "true",
     "leadership returns to a partition's first replica once it is back in the ISR ...", mb::OptionKind::boolean},
    {"leader.imbalance.check.interval.seconds", "300",
     "... this long after the controller saw a partition led elsewhere", mb::OptionKind::integer, 1, 86400},
    {"replica.lag.time.max.ms", "30000", "a follower not caught up this long leaves the ISR", mb::OptionKind::integer,
     1},
    // A follower's Fetch (core/replica_fetcher.hpp): Kafka's names and defaults.
    {"replica.fetch.wait.max.ms", "500", "a follower's Fetch waits at the leader this long for news",
     mb::OptionKind::integer, 1, INT32_MAX},
    {"replica.fetch.min.bytes", "1", "... or until this much is there", mb::OptionKind::integer, 1, INT32_MAX},
    {"replica.fetch.max.bytes", "1048576", "a follower's Fetch asks for this much per partition",
     mb::OptionKind::integer, 1, 1 << 30},
    {"replica.fetch.response.max.bytes", "10485760", "... and this much in all", mb::OptionKind::integer, 1, 1 << 30},
    // Cluster mode: committed offsets in the replicated __consumer_offsets (core/offsets_topic.hpp).
    {"offsets.topic.num.partitions", "5", "partitions of __consumer_offsets (Kafka: 50)", mb::OptionKind::integer, 1,
     1000},
    {"offsets.topic.replication.factor", "3", "replicas of __consumer_offsets (capped to the live brokers)",
     mb::OptionKind::integer, 1, 32767},
    {"offsets.commit.timeout.ms", "5000", "an offset commit waits this long for its replicas", mb::OptionKind::integer,
     1},
};

// The server's options, and one of main's own: --repair runs instead of the server.
std::vector<mb::OptionSpec> options_table() {
    std::vector<mb::OptionSpec> specs(std::begin(kOptions), std::end(kOptions));
    for (const mb::OptionSpec& spec : minikafka::server_properties_options()) specs.push_back(spec);
    specs.push_back({"repair", "false",
                     "check every partition and the committed offsets in --dir; cut each damaged file at its "
                     "first bad byte (keeping <file>.corrupt), print what was cut, and exit",
                     mb::OptionKind::boolean});
    return specs;
}

// "--repair" alone is a flag (redis-check-aof --fix style); "--repair yes|no" still works.
std::vector<const char*> flags_with_values(int argc, char** argv) {
    std::vector<const char*> args(argv, argv + argc);
    for (size_t i = 1; i < args.size(); ++i) {
        bool value_follows = i + 1 < args.size() && mb::Options::parse_boolean(args[i + 1]).has_value();
        if (std::string_view(args[i]) == "--repair" && !value_follows) args[i] = "--repair=yes";
    }
    return args;
}

void print_cut(const minikafka::RepairAction& cut) {
    if (cut.moved_whole)
        fmt::print("moved {} aside whole: {} bytes, {} records ({}); kept as {}\n", cut.file, cut.bytes, cut.records,
                   cut.what, cut.backup);
    else
        fmt::print("cut {} at byte {}: {} bytes, {} records in the intact batches among them ({}); backup: {}\n",
                   cut.file, cut.position, cut.bytes, cut.records, cut.what, cut.backup);
}

// `minikafka --repair --dir DATA`: the explicit, operator-chosen counterpart of refusing to
// start on corruption (storage/corruption.hpp). Exit 0 when done, 2 when DATA is not usable.
int repair(const mb::Options& options) {
    std::string dir = options.text("dir");
    if (!options.is_set_explicitly("dir")) {  // cutting files is never done to a default directory
        fmt::print(stderr, "minikafka: --repair needs --dir DATA (try --help)\n");
        return 2;
    }
    if (!std::filesystem::is_directory(dir)) {
        fmt::print(stderr, "minikafka: --repair: '{}' is not a directory (try --help)\n", dir);
        return 2;
    }
    try {
        minikafka::LogConfig config;
        config.index_interval_bytes = options.integer("log.index.interval.bytes");
        std::vector<minikafka::RepairAction> cuts = minikafka::LogManager(dir, config).repair();
        std::string offsets = dir + "/consumer-offsets.log";
        if (std::filesystem::exists(offsets))
            if (auto cut = minikafka::OffsetStore(offsets).repair()) cuts.push_back(*cut);
        for (const auto& cut : cuts) print_cut(cut);
        fmt::print("repair of {}: {}\n", dir,
                   cuts.empty() ? "every file checked out, nothing cut" : fmt::format("{} file(s) cut", cuts.size()));
        return 0;
    } catch (const std::exception& e) {
        mb::log::error("repair of {}: {}", dir, e.what());
        return 1;
    }
}

}  // namespace

int main(int argc, char** argv) {
    mb::log::set_program("minikafka");
    mb::Options options;
    std::vector<mb::OptionSpec> specs = options_table();
    std::vector<const char*> args = flags_with_values(argc, argv);
    options.set_file_rules(minikafka::server_properties_rules());
    if (int code = options.parse_command_line(
            specs, static_cast<int>(args.size()), args.data(), "minikafka",
            "[server.properties] [--name value | --override name=value ...] | --repair --dir PATH");
        code >= 0)
        return code;
    if (auto error = minikafka::apply_server_properties(options)) {
        fmt::print(stderr, "minikafka: {} (try --help)\n", *error);
        return 2;
    }
    if (std::string ignored = options.ignored_summary(); !ignored.empty()) mb::log::warn("{}", ignored);
    if (options.boolean("repair")) return repair(options);
    if (int code = minikafka::apply_cluster_options(options); code >= 0) return code;
    return minikafka::run_server(options);
}
