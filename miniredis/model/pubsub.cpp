// miniredis/model/pubsub.cpp
//
// PubSub: subscription bookkeeping. Lists stay short (subscribers of one channel), so a vector
// with linear removal is simpler and faster than a set.
//
// CONCEPT: see pubsub.hpp. Two indexes of the same subscriptions: channel -> clients (what PUBLISH
// walks) and, in the client, its channels (what UNSUBSCRIBE without arguments and a disconnect
// walk), so neither direction needs a scan of everything.
// READ NEXT: commands/pubsub_cmds.cpp.
#include "pubsub.hpp"

#include <algorithm>

#include "glob.hpp"

namespace miniredis {
namespace {

// Subscribing twice to the same channel is a no-op (false: nothing new), so the subscription count
// a SUBSCRIBE reply carries stays the number of distinct channels, as in Redis.
bool add(std::vector<uint64_t>& list, uint64_t client) {
    if (std::find(list.begin(), list.end(), client) != list.end()) return false;
    list.push_back(client);
    return true;
}

template <typename Map>
bool remove(Map& map, std::string_view name, uint64_t client) {
    auto it = map.find(std::string(name));
    if (it == map.end()) return false;
    auto& list = it->second;
    auto pos = std::find(list.begin(), list.end(), client);
    if (pos == list.end()) return false;
    list.erase(pos);
    if (list.empty()) map.erase(it);
    return true;
}

}  // namespace

// Subscriptions name clients by id, not by pointer: a disconnect removes the id from every list it
// is in, and a stale id would only find no client - never a dangling pointer.
bool PubSub::subscribe(std::string_view channel, uint64_t client) {
    return add(channels_[std::string(channel)], client);
}
bool PubSub::unsubscribe(std::string_view channel, uint64_t client) { return remove(channels_, channel, client); }
// Patterns are kept apart from channels: PUBLISH looks its channel up in one hash (exact matches)
// and then tries every pattern with glob_match - patterns cost per publish, channels do not.
bool PubSub::psubscribe(std::string_view pattern, uint64_t client) {
    return add(patterns_[std::string(pattern)], client);
}
bool PubSub::punsubscribe(std::string_view pattern, uint64_t client) { return remove(patterns_, pattern, client); }

// PUBSUB CHANNELS [pattern]: the channels with at least one subscriber - empty channels are erased
// as their last subscriber leaves, so this list never grows with channels nobody uses any more.
std::vector<std::string> PubSub::channels(std::string_view pattern) const {
    std::vector<std::string> out;
    for (const auto& [channel, clients] : channels_)
        if (pattern.empty() || glob_match(pattern, channel, false)) out.push_back(channel);
    return out;
}

size_t PubSub::subscribers(std::string_view channel) const {
    auto it = channels_.find(std::string(channel));
    return it == channels_.end() ? 0 : it->second.size();
}

}  // namespace miniredis
