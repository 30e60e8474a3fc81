// miniredis/model/pubsub.hpp
//
// PubSub: who is subscribed to what (Redis' server.pubsub_channels / pubsub_patterns).
//
// CONCEPT: publish/subscribe is fire-and-forget fan-out. PUBLISH news "hi" hands the message to
// every connection subscribed to the channel "news" right now, and to every connection whose
// pattern matches it ("new*"); nobody subscribed = the message is gone. Nothing is stored, so a
// subscriber that was offline misses it (contrast: a Kafka topic or a RabbitMQ queue keeps it).
//
// Subscribers are client ids; the command layer turns a delivery into a push message in that
// client's output buffer.
//
// READ NEXT: pubsub.cpp, commands/pubsub_cmds.cpp.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "glob.hpp"

namespace miniredis {

class PubSub {
public:
    bool subscribe(std::string_view channel, uint64_t client);    // false if already subscribed
    bool unsubscribe(std::string_view channel, uint64_t client);  // false if it was not
    bool psubscribe(std::string_view pattern, uint64_t client);
    bool punsubscribe(std::string_view pattern, uint64_t client);

    // Calls deliver(client, pattern) for each receiver (pattern empty for a channel subscriber);
    // returns how many deliveries there were - PUBLISH's reply.
    template <typename Deliver>
    size_t publish(std::string_view channel, Deliver&& deliver) const;

    std::vector<std::string> channels(std::string_view pattern) const;  // PUBSUB CHANNELS [pattern]
    size_t subscribers(std::string_view channel) const;                 // PUBSUB NUMSUB
    size_t pattern_count() const { return patterns_.size(); }           // PUBSUB NUMPAT
    size_t channel_count() const { return channels_.size(); }

private:
    using Subscribers = std::vector<uint64_t>;  // in subscription order
    std::unordered_map<std::string, Subscribers> channels_;
    std::map<std::string, Subscribers, std::less<>> patterns_;
};

template <typename Deliver>
size_t PubSub::publish(std::string_view channel, Deliver&& deliver) const {
    size_t receivers = 0;
    if (auto it = channels_.find(std::string(channel)); it != channels_.end()) {
        for (uint64_t client : it->second) deliver(client, std::string_view());
        receivers += it->second.size();
    }
    for (const auto& [pattern, clients] : patterns_) {
        if (!glob_match(pattern, channel, false)) continue;
        for (uint64_t client : clients) deliver(client, std::string_view(pattern));
        receivers += clients.size();
    }
    return receivers;
}

}  // namespace miniredis
