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
#include "server.hpp"
#include "server_properties.hpp"
#include "storage/log_manager.hpp"
#include "storage/offset_store.hpp"

namespace {

// The server's options, and one of main's own: --repair runs instead of the server.
std::vector<mb::OptionSpec> options_table() {
    std::vector<mb::OptionSpec> specs(minikafka::server_options().begin(), minikafka::server_options().end());
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
