// minikafka/storage/log_manager.hpp
//
// CONCEPT: topics. A topic is a name for a group of partitions; producers choose a partition
// per record (by key hash, or spreading), and consumers read partitions independently. On disk
// a topic is nothing but its partition directories, as in Kafka:
//   <dir>/payments-0/  <dir>/payments-1/  <dir>/payments-2/      topic "payments", 3 partitions
//   <dir>/topic-configs/payments                                 its config overrides, if any
// So `ls` shows the topics, and a restart finds them again by their directory names.
// Deleting a topic renames its directories to "<name>-<p>.<n>-delete" at once (the topic is
// gone) and leaves the slow recursive removal to the background worker, as Kafka does.
// A clean stop leaves a marker file, ".kafka_cleanshutdown" (Kafka's name), after every file
// was fsynced; the next start finds it, reads only each partition's last segment in full, and
// removes it - a crash later must not look clean.
// REAL KAFKA: topic metadata lives in the controller (ZooKeeper, now KRaft), which also decides
// which broker hosts which partition; with one broker, the directories are the whole truth.
// READ NEXT: partition_log.hpp (one partition), core/replica_manager.hpp (the cluster's way).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "log_config.hpp"
#include "partition_log.hpp"
#include "protocol/admin.hpp"  // ConfigEntry
#include "protocol/api_keys.hpp"

namespace minikafka {

struct Topic {
    std::string name;
    LogConfig config;                    // broker defaults + overrides
    std::vector<ConfigEntry> overrides;  // what CreateTopics set for this topic
    // Indexed by partition number. Shared: an fsync in flight may outlive a deletion. In a cluster a
    // broker holds only the partitions it replicates, so an entry may be null (no log here).
    std::vector<std::shared_ptr<PartitionLog>> partitions;
};

class LogManager {
public:
    LogManager(std::string data_dir, LogConfig defaults);

    // Finds the topics in the data directory and opens (recovers) their partitions. Throws
    // CorruptFileError for a corrupt segment (the start must stop).
    // `fill_gaps`: a partition directory missing between existing ones is created empty (single
    // node: a topic's partitions are 0..N-1 here); in a cluster it stays absent (null).
    void load(int64_t now_ms, bool fill_gaps = true);
    // After the final flush of a clean stop: every file is on disk (see above).
    void mark_clean_shutdown() const;
    // `--repair`: PartitionLog::repair on every partition in the directory; nothing is loaded.
    std::vector<RepairAction> repair() const;

    const std::string& data_dir() const { return data_dir_; }
    const LogConfig& defaults() const { return defaults_; }
    Topic* find(std::string_view name);
    PartitionLog* partition(std::string_view topic, int32_t partition);
    std::shared_ptr<PartitionLog> shared_partition(std::string_view topic, int32_t partition);
    const std::map<std::string, Topic, std::less<>>& topics() const { return topics_; }
    std::map<std::string, Topic, std::less<>>& topics_mutable() { return topics_; }

    // Kafka's rule: 1-249 characters of [a-zA-Z0-9._-], and not "." or "..".
    static bool valid_topic_name(std::string_view name);

    struct Result {
        ErrorCode error = ErrorCode::None;
        std::string message;  // for the client, when there is an error
    };
    Result create_topic(std::string_view name, int32_t partitions, const std::vector<ConfigEntry>& overrides,
                        bool validate_only, int64_t now_ms);
    // create_topic in steps, for CreateTopics (core/topic_creation.cpp): begin_topic checks
    // everything create_topic checks and reserves the name; build_topic then makes up to `count`
    // more partitions per call, and with the last one the topic appears (find() sees it). Until
    // then clients get UNKNOWN_TOPIC_OR_PARTITION for it and a second create TOPIC_ALREADY_EXISTS.
    // A failure removes what was made and frees the name again.
    Result begin_topic(std::string_view name, int32_t partitions, const std::vector<ConfigEntry>& overrides,
                       bool validate_only);
    struct Progress {
        Result result;          // the topic's outcome, once finished
        int32_t made = 0;       // partitions this call made
        bool finished = false;  // the topic exists now (or failed: see result)
    };
    Progress build_topic(std::string_view name, int32_t count, int64_t now_ms);
    // On success `removed_dirs` gets the renamed directories to delete in the background.
    Result delete_topic(std::string_view name, std::vector<std::string>& removed_dirs);
    Result create_partitions(std::string_view name, int32_t new_total, bool validate_only, int64_t now_ms);
    // create_partitions in steps, for CreatePartitions (core/topic_creation.cpp), as begin_topic
    // and build_topic: begin_partitions checks everything and records the growth; build_partitions
    // makes up to `count` of the new partitions per call, and with the last one the topic has them
    // all (clients see the new count). Until then the topic keeps its old partitions, and a second
    // CreatePartitions of it gets INVALID_PARTITIONS. A failure removes what was made.
    Result begin_partitions(std::string_view name, int32_t new_total, bool validate_only);
    Progress build_partitions(std::string_view name, int32_t count, int64_t now_ms);
    // Cluster mode: a broker holds a log only for the partitions it is a replica of (the
    // controller's assignment). ensure_partition opens (or creates) one partition's log, making the
    // topic if it is new here; remove_partition drops one (a replica reassigned away) - its
    // directory is renamed for deletion and handed back in `removed_dirs`, as delete_topic does.
    // `sync_now` false: the new log's directory is fsynced with its first flush and the data
    // directory not at all - the caller creates many and calls sync_data_directory() once.
    Result ensure_partition(std::string_view name, int32_t partition, const std::vector<ConfigEntry>& overrides,
                            int64_t now_ms, bool sync_now = true);
    void sync_data_directory() const;
    Result remove_partition(std::string_view name, int32_t partition, std::vector<std::string>& removed_dirs);

    // AlterConfigs: `overrides` become the topic's whole set of overrides (what is not named goes
    // back to the broker default). Takes effect at once: the next append, roll or retention run.
    Result set_topic_config(std::string_view name, const std::vector<ConfigEntry>& overrides, bool validate_only);

    static constexpr int32_t kMaxPartitions = 10000;
    static constexpr size_t kMaxFileName = 255;  // NAME_MAX; why topic names stop at 249

private:
    // Topic name -> partition count, from the directories in data_dir_ (removes leftovers of
    // topic deletions).
    std::map<std::string, int32_t> find_partition_dirs() const;
    std::string partition_dir(std::string_view topic, int32_t partition) const;
    std::string config_path(std::string_view topic) const;
    // The defaults with `overrides` applied, or the first override that is not valid.
    Result configure(LogConfig& config, const std::vector<ConfigEntry>& overrides) const;
    void save_overrides(std::string_view topic, const std::vector<ConfigEntry>& overrides) const;

    std::string data_dir_;
    LogConfig defaults_;
    std::map<std::string, Topic, std::less<>> topics_;
    // Topics between begin_topic and their last partition; partitions are made from the highest
    // number down (see build_topic).
    struct TopicUnderConstruction {
        Topic topic;              // partitions sized to the final count, null where not made yet
        int32_t partitions_left;  // partitions [0, partitions_left) are still to be made
    };
    std::map<std::string, TopicUnderConstruction, std::less<>> building_;
    // Topics between begin_partitions and their last new partition; made from the highest down too.
    struct TopicGrowth {
        int32_t from = 0;                                  // the topic's partition count before
        std::vector<std::shared_ptr<PartitionLog>> added;  // partition from + i, null until made
        int32_t left = 0;                                  // added[0, left) are still to be made
    };
    std::map<std::string, TopicGrowth, std::less<>> growing_;
    // A failed or abandoned growth: closes what was made and removes its directories.
    void undo_growth(std::string_view topic, TopicGrowth& growth);
    uint64_t deletions_ = 0;  // makes "-delete" directory names unique
};

}  // namespace minikafka
