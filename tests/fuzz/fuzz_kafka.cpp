// fuzz_kafka: libFuzzer harness for every request minikafka's handler table accepts.
//
// CONCEPT: coverage-guided fuzzing (see fuzz_resp.cpp) of a protocol whose body layout depends on
// two numbers in the header: the API key and its version (flexible versions use varint lengths
// and tagged fields). An input is what a client writes on the socket - size-prefixed frames -
// so the seeds captured from kcat and confluent-kafka (tests/fuzz/corpus/kafka/) are valid
// starting points, and libFuzzer's mutations of the key and version bytes walk the whole table.
//
//   input ─► next_frame ─► decode_request_header ─► header re-encoded decodes the same
//                                                 ─► the body decoder for that key/version
//                                                 ─► dispatch() into the handlers, against a
//                                                    Broker in a fresh temp dir whose clock,
//                                                    timers and background worker we drive
//
// Every input gets its own data directory and Broker, so a finding reproduces from the input
// alone. Findings: a crash, an ASan/UBSan report, a failed FUZZ_CHECK, an allocation over
// libFuzzer's -malloc_limit_mb.
//
// READ NEXT: tests/fuzz/run_fuzzer.py (the fixed CI budget), minikafka/handlers/handler_table.cpp.
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/broker.hpp"
#include "core/reply.hpp"
#include "fuzz_check.hpp"
#include "handlers/handler_table.hpp"
#include "log.hpp"
#include "protocol/admin.hpp"
#include "protocol/alter_partition.hpp"
#include "protocol/api_versions.hpp"
#include "protocol/broker_registration.hpp"
#include "protocol/fetch.hpp"
#include "protocol/groups.hpp"
#include "protocol/list_offsets.hpp"
#include "protocol/metadata.hpp"
#include "protocol/offsets.hpp"
#include "protocol/offsets_for_leader_epoch.hpp"
#include "protocol/produce.hpp"
#include "protocol/quorum.hpp"
#include "protocol/reassignments.hpp"
#include "protocol/request_header.hpp"

namespace {

using namespace minikafka;

constexpr uint32_t kMaxFrame = 1 << 20;
constexpr int kMaxRequests = 64;

// The header written back (as a client would) decodes to the same fields.
void check_header(const RequestHeader& header) {
    mb::ByteBuffer buffer;
    KafkaWriter out(buffer);
    out.i16(static_cast<int16_t>(header.api_key));
    out.i16(header.api_version);
    out.i32(header.correlation_id);
    out.nullable_string(header.client_id);
    if (header.flexible) out.empty_tagged_fields();
    KafkaReader in(buffer.readable());
    RequestHeader again = decode_request_header(in);
    FUZZ_CHECK(in.ok() && in.remaining() == 0);
    FUZZ_CHECK(again.api_key == header.api_key && again.api_version == header.api_version);
    FUZZ_CHECK(again.correlation_id == header.correlation_id && again.client_id == header.client_id);
    FUZZ_CHECK(again.flexible == header.flexible);
}

// Partitions are directories and files: LogManager allows up to kMaxPartitions (10,000) a topic,
// which costs seconds of file creation, not memory - a cost we know. Requests for more than this
// many in total are decoded but not run, so the fuzzer spends its time elsewhere.
constexpr int64_t kMaxPartitionsRun = 64;

// The body decoder alone, for the versions the table accepts (as dispatch() checks first).
// Returns false when the request is too expensive to run (see kMaxPartitionsRun).
bool decode_body(const RequestHeader& header, std::string_view body) {
    int16_t v = header.api_version;
    bool known = false;
    for (const ApiHandler& api : api_handlers())
        if (api.key == header.api_key && v >= api.min_version && v <= api.max_version) known = true;
    if (!known) return true;
    KafkaReader in(body);
    switch (header.api_key) {
        case ApiKey::Produce: {
            ProduceRequest r;
            decode_produce_request(in, v, r);
            break;
        }
        case ApiKey::Fetch: {
            FetchRequest r;
            decode_fetch_request(in, v, r);
            break;
        }
        case ApiKey::ListOffsets: {
            ListOffsetsRequest r;
            decode_list_offsets_request(in, v, r);
            break;
        }
        case ApiKey::OffsetCommit: {
            OffsetCommitRequest r;
            decode_offset_commit_request(in, v, r);
            break;
        }
        case ApiKey::OffsetFetch: {
            OffsetFetchRequest r;
            decode_offset_fetch_request(in, v, r);
            break;
        }
        case ApiKey::Metadata:
            (void)decode_metadata_request(in, v);
            break;
        case ApiKey::ApiVersions:
            (void)decode_api_versions_request(in, v);
            break;
        case ApiKey::FindCoordinator:
            (void)decode_find_coordinator_request(in, v);
            break;
        case ApiKey::JoinGroup:
            (void)decode_join_group_request(in, v);
            break;
        case ApiKey::SyncGroup:
            (void)decode_sync_group_request(in, v);
            break;
        case ApiKey::Heartbeat:
            (void)decode_heartbeat_request(in, v);
            break;
        case ApiKey::LeaveGroup:
            (void)decode_leave_group_request(in, v);
            break;
        case ApiKey::DescribeGroups:
            (void)decode_describe_groups_request(in, v);
            break;
        case ApiKey::DeleteGroups:
            (void)decode_delete_groups_request(in, v);
            break;
        case ApiKey::ListGroups:
            break;  // no body to speak of
        case ApiKey::CreateTopics: {
            int64_t partitions = 0;
            for (const auto& topic : decode_create_topics_request(in, v).topics)
                partitions += std::max<int64_t>(topic.num_partitions, static_cast<int64_t>(topic.assignments.size()));
            return partitions <= kMaxPartitionsRun;
        }
        case ApiKey::DeleteTopics:
            (void)decode_delete_topics_request(in, v);
            break;
        case ApiKey::CreatePartitions: {
            int64_t partitions = 0;
            for (const auto& topic : decode_create_partitions_request(in, v).topics) partitions += topic.count;
            return partitions <= kMaxPartitionsRun;
        }
        case ApiKey::DescribeConfigs:
            (void)decode_describe_configs_request(in, v);
            break;
        case ApiKey::AlterConfigs:
            (void)decode_alter_configs_request(in, v);
            break;
        case ApiKey::IncrementalAlterConfigs:
            (void)decode_incremental_alter_configs_request(in, v);
            break;
        case ApiKey::InitProducerId:
            (void)decode_init_producer_id_request(in, v);
            break;
        case ApiKey::AlterPartition: {  // a leader's ISR change, sent to the active controller
            AlterPartitionRequestData r;
            (void)decode_alter_partition_request(in, r);
            break;
        }
        case ApiKey::OffsetForLeaderEpoch: {
            OffsetsForLeaderEpochRequest r;
            decode_offsets_for_leader_epoch_request(in, v, r);
            break;
        }
        case ApiKey::AlterPartitionReassignments:
            (void)decode_alter_reassignments_request(in, v);
            break;
        case ApiKey::ListPartitionReassignments:
            (void)decode_list_reassignments_request(in, v);
            break;
        // The controller quorum's RPCs (only DescribeQuorum is in the client port's table; the
        // others arrive on the controller port, decoded here all the same).
        case ApiKey::Vote: {
            VoteRequestData r;
            (void)decode_vote_request(in, v, r);
            break;
        }
        case ApiKey::BeginQuorumEpoch: {
            BeginQuorumEpochRequestData r;
            (void)decode_begin_quorum_epoch_request(in, v, r);
            break;
        }
        case ApiKey::EndQuorumEpoch: {
            EndQuorumEpochRequestData r;
            (void)decode_end_quorum_epoch_request(in, v, r);
            break;
        }
        case ApiKey::DescribeQuorum: {
            DescribeQuorumRequestData r;
            (void)decode_describe_quorum_request(in, v, r);
            break;
        }
        case ApiKey::FetchSnapshot: {
            FetchSnapshotRequestData r;
            (void)decode_fetch_snapshot_request(in, v, r);
            break;
        }
        case ApiKey::BrokerRegistration: {
            BrokerRegistrationRequestData r;
            (void)decode_broker_registration_request(in, v, r);
            break;
        }
        case ApiKey::BrokerHeartbeat: {
            BrokerHeartbeatRequestData r;
            (void)decode_broker_heartbeat_request(in, v, r);
            break;
        }
    }
    return true;
}

// A Broker on a fresh data directory, with the event loop's parts (clock, timers, the background
// worker's completions) run by hand - as tests/minikafka/handlers_test.cpp does.
class FuzzBroker {
public:
    explicit FuzzBroker(const std::filesystem::path& dir) : dir_(dir) {
        worker_ = std::make_unique<BackgroundWorker>([this](std::function<void()> done) {
            std::lock_guard lock(posted_mutex_);
            posted_.push_back(std::move(done));
        });
        BrokerServices services;
        services.now_ms = [this] { return now_; };
        services.run_later = [this](int64_t delay, std::function<void()> f) { timers_.emplace_back(now_ + delay, f); };
        services.background = worker_.get();
        BrokerConfig config;
        config.max_request_bytes = kMaxFrame;
        broker_ = std::make_unique<Broker>(config, LogConfig{}, GroupConfig{}, dir_.string(), services);
        broker_->load();
    }
    ~FuzzBroker() {
        run_pending();
        broker_.reset();
        worker_.reset();
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }

    // false: the request did not decode, and the session would close the connection.
    bool request(const RequestHeader& header, KafkaReader& body) {
        auto reply = std::make_shared<Reply>();
        reply->start(header);
        bool decoded = false;
        try {
            decoded = dispatch(*broker_, header, body, *reply);
        } catch (const std::exception&) {
            // The session closes the connection on an exception (a disk error); not a finding.
        }
        if (decoded && !reply->deferred()) reply->finish();
        replies_.push_back(std::move(reply));
        run_pending(50);
        return decoded;
    }

    void run_pending(int64_t advance_ms = 0) {
        now_ += advance_ms;
        for (int rounds = 0; rounds < 1000; ++rounds) {
            bool progress = false;
            for (size_t i = 0; i < timers_.size(); ++i)
                if (timers_[i].first <= now_) {
                    auto f = std::move(timers_[i].second);
                    timers_.erase(timers_.begin() + static_cast<long>(i));
                    f();
                    progress = true;
                    break;
                }
            worker_->drain();
            std::deque<std::function<void()>> posted;
            {
                std::lock_guard lock(posted_mutex_);
                posted.swap(posted_);
            }
            for (auto& f : posted) f(), progress = true;
            if (!progress) break;
        }
        broker_->tick();
    }

private:
    std::filesystem::path dir_;
    int64_t now_ = 1'700'000'000'000;
    std::unique_ptr<BackgroundWorker> worker_;
    std::unique_ptr<Broker> broker_;
    std::mutex posted_mutex_;
    std::deque<std::function<void()>> posted_;
    std::vector<std::pair<int64_t, std::function<void()>>> timers_;
    std::vector<std::shared_ptr<Reply>> replies_;  // deferred ones are answered later
};

std::filesystem::path g_base;  // this process's scratch directory
uint64_t g_inputs = 0;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    mb::log::set_level(mb::log::Level::error);  // "closing the connection" warnings at fuzzing speed
    // $TMPDIR, else /dev/shm where there is one: thousands of tiny data directories a second.
    std::filesystem::path tmp = getenv("TMPDIR") ? std::filesystem::temp_directory_path() : "/dev/shm";
    if (!std::filesystem::is_directory(tmp)) tmp = std::filesystem::temp_directory_path();
    g_base = tmp / ("fuzz_kafka." + std::to_string(getpid()));
    std::filesystem::create_directories(g_base);
    std::atexit([] {
        std::error_code ignored;
        std::filesystem::remove_all(g_base, ignored);
    });
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    std::unique_ptr<FuzzBroker> broker;
    // The Broker is made only once a frame decodes: most mutated inputs do not get that far, and
    // creating a data directory is what costs most per input.
    for (int n = 0; n < kMaxRequests; ++n) {
        Frame frame = next_frame(input, kMaxFrame);
        if (frame.status != Frame::Status::complete) break;
        FUZZ_CHECK(frame.consumed == frame.bytes.size() + 4 && frame.consumed <= input.size());
        input.remove_prefix(frame.consumed);
        KafkaReader in(frame.bytes);
        RequestHeader header = decode_request_header(in);
        if (!in.ok()) break;  // the session closes the connection here
        check_header(header);
        std::string_view body_bytes = frame.bytes.substr(frame.bytes.size() - in.remaining());
        if (!decode_body(header, body_bytes)) break;
        KafkaReader body(body_bytes);
        if (!broker) broker = std::make_unique<FuzzBroker>(g_base / std::to_string(g_inputs++));
        if (!broker->request(header, body)) break;  // the session would close the connection
    }
    return 0;
}
