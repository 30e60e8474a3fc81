// minirabbit/model/broker.cpp
//
// The broker root (see broker.hpp).
//
// CONCEPT: see broker.hpp. Here: adding and deleting vhosts (deleting one deletes everything in it,
// as in RabbitMQ, and the connections using it are closed by the wiring), and tick(), the periodic
// job that gives every vhost its turn to expire messages (x-message-ttl) and unused queues
// (x-expires). It has the same name as minikafka's and miniredis' periodic job.
// READ NEXT: vhost.cpp (what a vhost's tick does).
#include "broker.hpp"

#include <chrono>

namespace minirabbit {

Broker::Broker(Clock clock) : clock_(std::move(clock)) {
    if (!clock_) {
        clock_ = [] {
            using namespace std::chrono;
            return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
        };
    }
}

Broker::~Broker() = default;

Vhost* Broker::find_vhost(std::string_view name) const {
    auto it = vhosts_.find(name);
    return it == vhosts_.end() ? nullptr : it->second.get();
}

// Adding an existing vhost is a no-op: PUT /api/vhosts/x is idempotent, like every declare.
Vhost& Broker::add_vhost(std::string name) {
    auto it = vhosts_.find(name);
    if (it == vhosts_.end()) {
        auto vhost = std::make_unique<Vhost>(*this, name);
        it = vhosts_.emplace(std::move(name), std::move(vhost)).first;
    }
    return *it->second;
}

// Deleting a vhost deletes everything in it, in an order that keeps every pointer valid: the
// connections using it first (the wiring closes them, which settles their unacked messages), then
// its queues (journal records dropped), then the vhost, then its permissions.
bool Broker::delete_vhost(std::string_view name) {
    auto it = vhosts_.find(name);
    if (it == vhosts_.end()) return false;
    std::string owned(name);
    // Connections go first: closing them cancels consumers and requeues into queues that still exist.
    if (on_vhost_deleted) on_vhost_deleted(owned);
    it = vhosts_.find(owned);
    if (it == vhosts_.end()) return true;
    std::vector<Queue*> queues;
    for (auto& [queue_name, queue] : it->second->queues()) queues.push_back(queue.get());
    for (Queue* queue : queues) it->second->delete_queue(*queue);
    vhosts_.erase(it);
    users_.clear_vhost(owned);
    return true;
}

// One sample of everything the management UI charts. O(queues + exchanges) once per interval (5 s)
// - the same walk RabbitMQ's statistics collectors make - and no allocation but a ring the first
// time an object shows a non-zero value. Totals are summed here, so the overview's history exists
// over the queues that exist: a deleted queue takes its counts with it (a dip in the chart).
bool Broker::sample_statistics(int64_t wall_ms) {
    if (!statistics_clock_.due(wall_ms)) return false;
    const uint64_t k = statistics_clock_.take(wall_ms);
    uint64_t totals[Queue::kSeries] = {};
    for (auto& [name, vhost] : vhosts_) {
        for (auto& [qname, queue] : vhost->queues()) {
            queue->sample_statistics(statistics_clock_, k);
            for (size_t f = 0; f < Queue::kSeries; ++f)
                totals[f] += queue->history().at(statistics_clock_, k, f).value_or(0);
        }
        for (auto& [ename, exchange] : vhost->exchanges()) exchange->sample_statistics(statistics_clock_, k);
    }
    totals_history_.record(statistics_clock_, k, totals);
    return true;
}

void Broker::tick() {
    for (auto& [name, vhost] : vhosts_) vhost->tick();
}

// The queues that asked (Queue::note_for_paging) and only those: a queue leaves the list when
// nothing of it waits any more, and is put back by its next over-budget publish.
size_t Broker::page_out(MessageStore& store) {
    size_t paged = 0;
    std::vector<std::weak_ptr<Queue>> waiting;
    waiting.swap(paging_);
    for (auto& weak : waiting) {
        std::shared_ptr<Queue> queue = weak.lock();
        if (!queue || queue->deleted()) continue;
        paged += queue->page_out(store);
        if (queue->page_out_pending()) paging_.push_back(std::move(weak));
    }
    return paged;
}

}  // namespace minirabbit
