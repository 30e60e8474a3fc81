// minikafka/storage/log_manager.cpp
//
// CONCEPT: topics on disk (log_manager.hpp) - create, find, delete, add partitions. A topic is
// only its partition directories; the course notes' "Topics: streams of records categorized for
// organization" is, on disk, nothing more than a naming convention.
//
//   create_topic("payments", 3) ─▶ payments-0/ payments-1/ payments-2/ (+ topic-configs/payments)
//   start ─▶ list the directories ─▶ one PartitionLog each (recovering its segments)
//
// READ NEXT: partition_log.cpp (one partition), docs/minikafka/02-formats.md "The data directory".
#include "log_manager.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "file.hpp"
#include "log.hpp"

namespace minikafka {

namespace fs = std::filesystem;

namespace {

// "name=value" lines, as in a Kafka .properties file.
std::vector<ConfigEntry> read_properties(const std::string& path) {
    std::vector<ConfigEntry> entries;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        auto eq = line.find('=');
        if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
        entries.push_back({line.substr(0, eq), line.substr(eq + 1)});
    }
    return entries;
}

std::string properties_text(const std::vector<ConfigEntry>& entries) {
    std::string text;
    for (const auto& entry : entries) text += entry.name + "=" + entry.value + "\n";
    return text;
}

}  // namespace

LogManager::LogManager(std::string data_dir, LogConfig defaults)
    : data_dir_(std::move(data_dir)), defaults_(defaults) {}

// Kafka's topic name rule: [a-zA-Z0-9._-], at most 249 characters, not "." or "..". The rule
// exists because the name becomes a directory name: anything else could escape the data
// directory ("../x") or fail on some file system; 249 leaves room for "-<partition>" and suffixes.
bool LogManager::valid_topic_name(std::string_view name) {
    if (name.empty() || name.size() > 249 || name == "." || name == "..") return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
               c == '-';
    });
}

std::string LogManager::partition_dir(std::string_view topic, int32_t partition) const {
    return fmt::format("{}/{}-{}", data_dir_, topic, partition);
}

std::string LogManager::config_path(std::string_view topic) const {
    // Named by the topic alone: a 249-byte topic name plus ".properties" would not be a valid file name.
    return fmt::format("{}/topic-configs/{}", data_dir_, topic);
}

constexpr const char* kCleanShutdownFile = "/.kafka_cleanshutdown";

// The data directory is the catalogue: "<topic>-<partition>" directories, found by name. The
// partition count is the highest index seen plus one, so a missing directory in between (a
// cluster broker that holds only some partitions) still gives the topic its full count.
std::map<std::string, int32_t> LogManager::find_partition_dirs() const {
    std::map<std::string, int32_t> partition_counts;
    for (const auto& entry : fs::directory_iterator(data_dir_)) {
        if (!entry.is_directory()) continue;
        std::string name = entry.path().filename().string();
        if (name.ends_with("-delete")) {  // a deletion the last run did not finish
            fs::remove_all(entry.path());
            continue;
        }
        auto dash = name.rfind('-');
        if (dash == std::string::npos || dash + 1 == name.size()) continue;
        std::string digits = name.substr(dash + 1);
        if (digits.size() > 5 ||
            !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
            continue;
        std::string topic = name.substr(0, dash);
        if (!valid_topic_name(topic)) continue;
        int32_t& count = partition_counts[topic];
        count = std::max(count, std::stoi(digits) + 1);
    }
    return partition_counts;
}

// Start: every topic found on disk is opened, each partition recovering its own segments. The
// clean-shutdown marker is read once and removed at once (and the removal synced), so that a
// crash during this run is never mistaken for a clean stop at the next start.
void LogManager::load(int64_t now_ms, bool fill_gaps) {
    fs::create_directories(data_dir_);
    std::string marker = data_dir_ + kCleanShutdownFile;
    bool clean_shutdown = fs::exists(marker);
    for (const auto& [name, count] : find_partition_dirs()) {
        Topic topic;
        topic.name = name;
        topic.config = defaults_;
        topic.overrides = read_properties(config_path(name));
        for (const auto& entry : topic.overrides)
            if (auto error = apply_topic_config(topic.config, entry.name, entry.value))
                mb::log::warn("topic {}: ignoring config {}={}: {}", name, entry.name, entry.value, *error);
        for (int32_t p = 0; p < count; ++p) {
            if (!fill_gaps && !fs::is_directory(partition_dir(name, p))) {
                topic.partitions.push_back(nullptr);  // not replicated on this broker
                continue;
            }
            // A gap filled here (a CreateTopics cut short, see build_topic) is a new, empty partition.
            topic.partitions.push_back(std::make_shared<PartitionLog>(partition_dir(name, p), topic.config, now_ms,
                                                                      clean_shutdown, DirectorySync::with_first_flush));
        }
        mb::log::info("loaded topic {} ({} partitions)", name, count);
        topics_.emplace(name, std::move(topic));
    }
    if (clean_shutdown) {
        fs::remove(marker);
        sync_directory(data_dir_);
    }
}

void LogManager::mark_clean_shutdown() const {
    try {
        write_file_atomically(data_dir_ + kCleanShutdownFile, "");
    } catch (const std::exception& e) {  // the next start just reads more
        mb::log::warn("cannot write the clean-shutdown marker: {}", e.what());
    }
}

std::vector<RepairAction> LogManager::repair() const {
    std::vector<RepairAction> actions;
    for (const auto& [name, count] : find_partition_dirs()) {
        LogConfig config = defaults_;
        for (const auto& entry : read_properties(config_path(name)))
            apply_topic_config(config, entry.name, entry.value);
        for (int32_t p = 0; p < count; ++p) {
            if (!fs::is_directory(partition_dir(name, p))) continue;
            auto cut = PartitionLog::repair(partition_dir(name, p), config);
            actions.insert(actions.end(), cut.begin(), cut.end());
        }
    }
    return actions;
}

Topic* LogManager::find(std::string_view name) {
    auto it = topics_.find(name);
    return it == topics_.end() ? nullptr : &it->second;
}

PartitionLog* LogManager::partition(std::string_view topic, int32_t partition) {
    Topic* t = find(topic);
    if (!t || partition < 0 || partition >= static_cast<int32_t>(t->partitions.size())) return nullptr;
    return t->partitions[static_cast<size_t>(partition)].get();
}

std::shared_ptr<PartitionLog> LogManager::shared_partition(std::string_view topic, int32_t partition) {
    Topic* t = find(topic);
    if (!t || partition < 0 || partition >= static_cast<int32_t>(t->partitions.size())) return nullptr;
    return t->partitions[static_cast<size_t>(partition)];
}

// Every check comes before the first file is made, so a refused CreateTopics leaves nothing on
// disk; validate_only stops right after the checks. The overrides are saved before the partitions,
// so that a crash in between leaves a config file without partitions (ignored at start: no
// directories, no topic), never partitions with the wrong config.
LogManager::Result LogManager::create_topic(std::string_view name, int32_t partitions,
                                            const std::vector<ConfigEntry>& overrides, bool validate_only,
                                            int64_t now_ms) {
    if (Result refused = begin_topic(name, partitions, overrides, validate_only); refused.error != ErrorCode::None)
        return refused;
    if (validate_only) return {};
    return build_topic(name, partitions, now_ms).result;
}

LogManager::Result LogManager::begin_topic(std::string_view name, int32_t partitions,
                                           const std::vector<ConfigEntry>& overrides, bool validate_only) {
    if (!valid_topic_name(name))
        return {ErrorCode::InvalidTopicException, fmt::format("topic name '{}' is not valid", name)};
    if (find(name) || building_.contains(name))
        return {ErrorCode::TopicAlreadyExists, fmt::format("topic '{}' already exists", name)};
    if (partitions < 1 || partitions > kMaxPartitions)
        return {ErrorCode::InvalidPartitions, fmt::format("number of partitions must be 1..{}", kMaxPartitions)};
    Topic topic;
    topic.name = std::string(name);
    if (Result invalid = configure(topic.config, overrides); invalid.error != ErrorCode::None) return invalid;
    if (validate_only) return {};
    topic.overrides = overrides;
    if (!overrides.empty()) save_overrides(name, overrides);
    topic.partitions.resize(static_cast<size_t>(partitions));
    building_.emplace(std::string(name), TopicUnderConstruction{std::move(topic), partitions});
    return {};
}

// From the highest partition down: a start counts a topic's partitions by its highest directory
// and makes the missing ones below it (load, fill_gaps), so a broker stopped halfway through a big
// CreateTopics comes back with the topic whole, never with fewer partitions than were asked for.
// Each partition's first segment leaves its directory fsync to its first flush
// (DirectorySync::with_first_flush); the data directory is fsynced once, after the last one.
LogManager::Progress LogManager::build_topic(std::string_view name, int32_t count, int64_t now_ms) {
    auto it = building_.find(name);
    if (it == building_.end())
        return {{ErrorCode::UnknownTopicOrPartition, fmt::format("no topic '{}' is being created", name)}, 0, true};
    Topic& topic = it->second.topic;
    int32_t& left = it->second.partitions_left;
    const auto total = static_cast<int32_t>(topic.partitions.size());
    Progress progress;
    try {
        for (; progress.made < count && left > 0; ++progress.made, --left)
            topic.partitions[static_cast<size_t>(left - 1)] = std::make_shared<PartitionLog>(
                partition_dir(topic.name, left - 1), topic.config, now_ms, false, DirectorySync::with_first_flush);
        if (left > 0) return progress;
        sync_directory(data_dir_);  // the new directories survive a crash
    } catch (const std::exception& e) {
        // All or nothing, as add_partitions. The partition that failed made its directory too.
        topic.partitions.clear();  // closes the files
        for (int32_t p = std::max(left - 1, 0); p < total; ++p) {
            std::error_code ignored;
            fs::remove_all(partition_dir(topic.name, p), ignored);
        }
        mb::log::error("topic {}: cannot create its {} partitions: {}", topic.name, total, e.what());
        std::string failed = topic.name;
        bool had_overrides = !topic.overrides.empty();
        building_.erase(it);
        if (had_overrides) save_overrides(failed, {});
        progress.result = {ErrorCode::KafkaStorageError,
                           fmt::format("cannot create the partitions' files: {}", e.what())};
        progress.finished = true;
        return progress;
    }
    mb::log::info("created topic {} ({} partitions)", topic.name, total);
    std::string key = topic.name;
    topics_.emplace(std::move(key), std::move(topic));
    building_.erase(it);
    progress.finished = true;
    return progress;
}

LogManager::Result LogManager::configure(LogConfig& config, const std::vector<ConfigEntry>& overrides) const {
    config = defaults_;
    for (const auto& entry : overrides)
        if (auto error = apply_topic_config(config, entry.name, entry.value)) return {ErrorCode::InvalidConfig, *error};
    return {};
}

void LogManager::save_overrides(std::string_view topic, const std::vector<ConfigEntry>& overrides) const {
    if (overrides.empty()) {
        std::error_code ignored;
        if (fs::remove(config_path(topic), ignored)) sync_directory(data_dir_ + "/topic-configs");
        return;
    }
    fs::create_directories(data_dir_ + "/topic-configs");
    write_file_atomically(config_path(topic), properties_text(overrides));
}

LogManager::Result LogManager::set_topic_config(std::string_view name, const std::vector<ConfigEntry>& overrides,
                                                bool validate_only) {
    Topic* topic = find(name);
    if (!topic) return {ErrorCode::UnknownTopicOrPartition, fmt::format("no topic '{}'", name)};
    LogConfig config;
    if (Result invalid = configure(config, overrides); invalid.error != ErrorCode::None) return invalid;
    if (validate_only) return {};
    // Nothing to write when nothing changes: a client that repeats its AlterConfigs (retries,
    // a pipelining tool) must not cost a file rewrite and an fsync on the broker's thread each.
    if (overrides == topic->overrides) return {};
    save_overrides(name, overrides);
    topic->config = config;
    topic->overrides = overrides;
    for (const auto& partition : topic->partitions)
        if (partition) partition->set_config(config);
    std::string listed = properties_text(overrides);  // "a=1\nb=2\n" -> "a=1 b=2"
    std::replace(listed.begin(), listed.end(), '\n', ' ');
    if (!listed.empty()) listed.pop_back();
    mb::log::info("topic {}: config overrides now: {}", name, listed.empty() ? "none" : listed);
    return {};
}

// Deletion is a rename now and a recursive remove later (background worker): the topic is gone
// for clients the moment this returns, a crash in between is finished at the next start
// (find_partition_dirs removes "-delete" directories), and the event loop never waits for a
// big directory to be unlinked file by file.
LogManager::Result LogManager::delete_topic(std::string_view name, std::vector<std::string>& removed_dirs) {
    auto it = topics_.find(name);
    if (it == topics_.end()) return {ErrorCode::UnknownTopicOrPartition, fmt::format("no topic '{}'", name)};
    // Partitions being added go at once: their CreatePartitions answers UNKNOWN_TOPIC_OR_PARTITION.
    if (auto growth = growing_.find(name); growth != growing_.end()) {
        undo_growth(name, growth->second);
        growing_.erase(growth);
    }
    for (size_t p = 0; p < it->second.partitions.size(); ++p) {
        if (!it->second.partitions[p]) continue;  // no log of it here
        std::string from = partition_dir(name, static_cast<int32_t>(p));
        // A file name has at most 255 bytes and a topic name may take 249 of them: as Kafka
        // (LocalLog.logDeleteDirName), the topic part is cut short to make room for the suffix.
        std::string suffix = fmt::format("-{}.{}-delete", p, ++deletions_);
        std::string to = fmt::format("{}/{}{}", data_dir_, name.substr(0, kMaxFileName - suffix.size()), suffix);
        std::error_code ec;
        fs::rename(from, to, ec);
        if (ec)  // the topic would come back at the next start
            mb::log::error("topic {}: cannot rename {} for deletion: {}", name, from, ec.message());
        else
            removed_dirs.push_back(to);
    }
    save_overrides(name, {});
    sync_directory(data_dir_);
    mb::log::info("deleted topic {}", name);
    topics_.erase(it);
    return {};
}

LogManager::Result LogManager::ensure_partition(std::string_view name, int32_t partition,
                                                const std::vector<ConfigEntry>& overrides, int64_t now_ms,
                                                bool sync_now) {
    if (partition < 0 || partition >= kMaxPartitions)
        return {ErrorCode::InvalidPartitions, fmt::format("partition {} is out of range", partition)};
    Topic* topic = find(name);
    if (!topic) {
        Topic fresh;
        fresh.name = std::string(name);
        if (Result invalid = configure(fresh.config, overrides); invalid.error != ErrorCode::None) return invalid;
        fresh.overrides = overrides;
        if (!overrides.empty()) save_overrides(name, overrides);
        topic = &topics_.emplace(std::string(name), std::move(fresh)).first->second;
    }
    const auto index = static_cast<size_t>(partition);
    if (index < topic->partitions.size() && topic->partitions[index]) return {};
    if (index >= topic->partitions.size()) topic->partitions.resize(index + 1);
    try {
        topic->partitions[index] =
            std::make_shared<PartitionLog>(partition_dir(name, partition), topic->config, now_ms, false,
                                           sync_now ? DirectorySync::now : DirectorySync::with_first_flush);
        if (sync_now) sync_directory(data_dir_);
    } catch (const std::exception& e) {
        mb::log::error("topic {}: cannot create partition {}: {}", name, partition, e.what());
        return {ErrorCode::KafkaStorageError, fmt::format("cannot create the partition's files: {}", e.what())};
    }
    mb::log::info("topic {}: partition {} now has a log here", name, partition);
    return {};
}

void LogManager::sync_data_directory() const { sync_directory(data_dir_); }

LogManager::Result LogManager::remove_partition(std::string_view name, int32_t partition,
                                                std::vector<std::string>& removed_dirs) {
    Topic* topic = find(name);
    if (!topic || partition < 0 || static_cast<size_t>(partition) >= topic->partitions.size() ||
        !topic->partitions[static_cast<size_t>(partition)])
        return {ErrorCode::UnknownTopicOrPartition, fmt::format("no log of {}-{} here", name, partition)};
    std::string from = partition_dir(name, partition);
    std::string suffix = fmt::format("-{}.{}-delete", partition, ++deletions_);
    std::string to = fmt::format("{}/{}{}", data_dir_, name.substr(0, kMaxFileName - suffix.size()), suffix);
    std::error_code ec;
    fs::rename(from, to, ec);
    if (ec) {
        mb::log::error("topic {}: cannot rename {} for deletion: {}", name, from, ec.message());
    } else {
        removed_dirs.push_back(to);
        sync_directory(data_dir_);
    }
    topic->partitions[static_cast<size_t>(partition)] = nullptr;
    mb::log::info("topic {}: partition {} is no longer replicated here: its log goes", name, partition);
    return {};
}

LogManager::Result LogManager::create_partitions(std::string_view name, int32_t new_total, bool validate_only,
                                                 int64_t now_ms) {
    if (Result refused = begin_partitions(name, new_total, validate_only); refused.error != ErrorCode::None)
        return refused;
    if (validate_only) return {};
    return build_partitions(name, kMaxPartitions, now_ms).result;
}

LogManager::Result LogManager::begin_partitions(std::string_view name, int32_t new_total, bool validate_only) {
    Topic* topic = find(name);
    if (!topic) return {ErrorCode::UnknownTopicOrPartition, fmt::format("no topic '{}'", name)};
    if (growing_.contains(name))
        return {ErrorCode::InvalidPartitions, fmt::format("partitions are being added to topic '{}' already", name)};
    auto current = static_cast<int32_t>(topic->partitions.size());
    if (new_total <= current)
        return {ErrorCode::InvalidPartitions,
                fmt::format("topic currently has {} partitions, {} would not increase the number", current, new_total)};
    if (new_total > kMaxPartitions)
        return {ErrorCode::InvalidPartitions, fmt::format("number of partitions must be at most {}", kMaxPartitions)};
    if (validate_only) return {};
    TopicGrowth growth;
    growth.from = current;
    growth.added.resize(static_cast<size_t>(new_total - current));
    growth.left = new_total - current;
    growing_.emplace(std::string(name), std::move(growth));
    return {};
}

// From the highest new partition down, for the reason build_topic gives: a broker stopped halfway
// comes back with every partition that was asked for (the start fills the gaps below the highest
// directory), never with a count between the old and the new one.
LogManager::Progress LogManager::build_partitions(std::string_view name, int32_t count, int64_t now_ms) {
    auto it = growing_.find(name);
    Topic* topic = find(name);
    if (it == growing_.end() || !topic)  // deleted meanwhile (delete_topic undid the growth)
        return {{ErrorCode::UnknownTopicOrPartition, fmt::format("no topic '{}'", name)}, 0, true};
    TopicGrowth& growth = it->second;
    Progress progress;
    try {
        for (; progress.made < count && growth.left > 0; ++progress.made, --growth.left) {
            const int32_t p = growth.from + growth.left - 1;
            growth.added[static_cast<size_t>(growth.left - 1)] = std::make_shared<PartitionLog>(
                partition_dir(topic->name, p), topic->config, now_ms, false, DirectorySync::with_first_flush);
        }
        if (growth.left > 0) return progress;
        sync_directory(data_dir_);  // the new directories survive a crash
    } catch (const std::exception& e) {
        // All or nothing: a topic left with some of its new partitions on disk would come back at
        // the next start with a different partition count than the client was told.
        mb::log::error("topic {}: cannot create partitions {}..{}: {}", topic->name, growth.from,
                       growth.from + static_cast<int32_t>(growth.added.size()) - 1, e.what());
        undo_growth(topic->name, growth);
        growing_.erase(it);
        progress.result = {ErrorCode::KafkaStorageError,
                           fmt::format("cannot create the partitions' files: {}", e.what())};
        progress.finished = true;
        return progress;
    }
    // The topic's config may have changed since the first of them was made (AlterConfigs).
    for (auto& log : growth.added) {
        log->set_config(topic->config);
        topic->partitions.push_back(std::move(log));
    }
    mb::log::info("topic {} now has {} partitions", topic->name, topic->partitions.size());
    growing_.erase(it);
    progress.finished = true;
    return progress;
}

void LogManager::undo_growth(std::string_view topic, TopicGrowth& growth) {
    // The partition that failed made its directory too: remove every new one, made or not.
    const auto total = static_cast<int32_t>(growth.added.size());
    growth.added.clear();  // closes the files
    for (int32_t i = std::max(growth.left - 1, 0); i < total; ++i) {
        std::error_code ignored;
        fs::remove_all(partition_dir(topic, growth.from + i), ignored);
    }
}

}  // namespace minikafka
