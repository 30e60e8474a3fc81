// minikafka/core/topic_creation.cpp
//
// CONCEPT: a slice of work per event-loop turn (see topic_creation.hpp). The state of the whole
// job lives in one heap object that each turn's callback carries on to the next:
//
//   build_topics_in_turns ─▶ turn: up to kPartitionsPerTurn partitions ─▶ more left?
//                                   ▲                                      │ yes: run_later(0)
//                                   └──────────────────────────────────────┘ no: done(results)
//
// run_later(0) posts to the io_context: the callback runs after the handlers already waiting
// (other connections' reads, timers), which is the whole point.
// The same runner serves CreateTopics and CreatePartitions: only the step differs (a member
// function pointer to LogManager::build_topic or build_partitions).
// READ NEXT: storage/log_manager.cpp (build_topic: what one partition costs).
#include "topic_creation.hpp"

#include <memory>

#include "broker.hpp"

namespace minikafka {

namespace {

// One step of one topic's job: LogManager::build_topic (CreateTopics) or build_partitions
// (CreatePartitions) - make up to `count` partitions, say whether the topic is finished.
using BuildStep = LogManager::Progress (LogManager::*)(std::string_view topic, int32_t count, int64_t now_ms);

struct TopicBuild {
    Broker& broker;
    BuildStep step;
    std::vector<std::string> topics;
    std::function<void(std::vector<LogManager::Result>)> done;
    std::vector<LogManager::Result> results;
    size_t next = 0;  // the topic being built
};

void run_turn(const std::shared_ptr<TopicBuild>& build) {
    Broker& broker = build->broker;
    const int64_t started = broker.now_ms();
    int32_t made = 0;
    // One partition at a time, so that the clock is looked at between them: on a busy file
    // system one mkdir can take milliseconds.
    while (build->next < build->topics.size() && made < kPartitionsPerTurn &&
           broker.now_ms() - started < kTurnBudgetMs) {
        LogManager::Progress progress = (broker.logs.*build->step)(build->topics[build->next], 1, broker.now_ms());
        made += progress.made;
        if (progress.finished) build->results[build->next++] = std::move(progress.result);
    }
    if (build->next == build->topics.size()) return build->done(std::move(build->results));
    broker.services.run_later(0, [build] { run_turn(build); });
}

void start_build(Broker& broker, BuildStep step, std::vector<std::string> topics,
                 std::function<void(std::vector<LogManager::Result>)> done) {
    auto build = std::make_shared<TopicBuild>(TopicBuild{broker, step, std::move(topics), std::move(done), {}, 0});
    build->results.resize(build->topics.size());
    run_turn(build);
}

}  // namespace

void build_topics_in_turns(Broker& broker, std::vector<std::string> topics,
                           std::function<void(std::vector<LogManager::Result>)> done) {
    start_build(broker, &LogManager::build_topic, std::move(topics), std::move(done));
}

void grow_topics_in_turns(Broker& broker, std::vector<std::string> topics,
                          std::function<void(std::vector<LogManager::Result>)> done) {
    start_build(broker, &LogManager::build_partitions, std::move(topics), std::move(done));
}

}  // namespace minikafka
