// The socket side of minirabbit (the only part that knows Asio, with main.cpp): one Session per TCP
// connection, running three coroutines until one ends:
//
//   reader()     read -> Connection::on_bytes (parse + handle every complete frame) -> after_batch
//   writer()     sleeps until woken, then sends everything the Connection appended to out() in one
//                write: replies, and basic.deliver frames pushed by queues on behalf of other
//                connections (the shape of Asio's chat_server example)
//   heartbeat()  sends a heartbeat frame when we have been quiet for half the interval, and hangs
//                up on a peer silent for two intervals (its unacked messages are requeued)
//
// Server owns the sessions, the periodic tick (TTLs, x-expires), and the hand-offs from storage:
// "journal synced to position P" releases publisher confirms on every connection.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <memory>
#include <set>

#include "admin_api.hpp"
#include "core/memory_monitor.hpp"
#include "model/broker.hpp"

namespace minirabbit {

class Connection;
class Session;

class Server {
public:
    explicit Server(Broker& broker);  // outlives the io_context: sessions unregister as they end
    ~Server();

    void start(boost::asio::io_context& io, boost::asio::ip::tcp::acceptor& acceptor);
    void stop();  // closes every connection (320 CONNECTION_FORCED), as RabbitMQ does on shutdown

    // Called by each session after it handled a read batch: definitions, memory alarm. Returns
    // false when the definitions could not be written (logged; retried after the next batch):
    // the batch's replies must not leave, since a durable declare-ok would promise too much.
    bool after_batch();
    // From the journal (on this thread): everything up to `position` is on disk.
    void on_synced(uint64_t position);
    // Hooks into storage, set by main.cpp:
    std::function<void()> save_definitions;  // rewrites definitions.json; runs before the replies leave
    std::function<void()> flush_journal;     // hands the batch's journal records to the sync thread
    std::function<void()> on_tick;           // periodic: journal compaction
    // The memory alarm's measure (core/memory_monitor.hpp), sampled every kMemorySampleTicks.
    MemoryStrategy memory_strategy = MemoryStrategy::allocated;
    void mark_definitions_dirty() { definitions_dirty_ = true; }

    size_t connection_count() const { return sessions_.size(); }
    std::vector<ConnectionInfo> connection_infos() const;
    // The management API's DELETE /api/connections/{name}: 320 CONNECTION_FORCED with `reason`.
    bool close_connection(const std::string& name, const std::string& reason);
    void add(Session* session) { sessions_.insert(session); }
    void remove(Session* session) { sessions_.erase(session); }
    // 320 CONNECTION_FORCED for every open connection `which` picks (its vhost or user deleted).
    void close_connections(const std::function<bool(const Connection&)>& which, const std::string& reason);
    Broker& broker() { return broker_; }

private:
    void schedule_tick();
    void sample_memory();

    // 5 x 50 ms: RabbitMQ samples every 2.5 s; between samples arriving bodies are added anyway.
    static constexpr unsigned kMemorySampleTicks = 5;
    unsigned ticks_ = 0;

    boost::asio::io_context* io_ = nullptr;
    Broker& broker_;
    std::set<Session*> sessions_;
    bool definitions_dirty_ = false;
    bool definitions_failing_ = false;  // the last save failed (logged once)
    bool memory_alarm_ = false;
    std::unique_ptr<boost::asio::steady_timer> tick_timer_;
};

}  // namespace minirabbit
