// minikafka/replica_fetcher_link.cpp
//
// CONCEPT: replication on the network. Every 10 ms this broker applies the metadata image to its
// replicas (core/replica_manager.hpp), and for each leader broker it follows partitions on it
// keeps one fetcher coroutine and one TCP connection to that leader's *client* listener - a
// follower is just another Fetch client there:
//
//   tick (10 ms) ─▶ ReplicaManager::apply_image ─▶ followed_by_leader(): {1: [...], 3: [...]}
//                                                   no fetcher for leader 3 yet? start one
//   fetcher for leader 3:  connect to broker 3's PLAINTEXT endpoint (from its registration)
//     loop: build_request ─▶ write Fetch v12 ─▶ read the answer (long poll, max_wait 500 ms;
//           one wake-up per answer: read_exactly)
//           ─▶ handle_response (append, learn the HW) ─▶ the broker's flush policy ─▶ again
//     (after a leader change, first an OffsetsForLeaderEpoch v3: where to cut our log)
//     stops when this broker follows nothing on leader 3 any more; reconnects after an error.
// READ NEXT: core/replica_fetcher.hpp (the socket-free half).
#include "replica_fetcher_link.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <map>

#include "big_endian.hpp"
#include "core/broker.hpp"
#include "core/controller.hpp"
#include "core/offsets_topic.hpp"
#include "core/quorum_wire.hpp"
#include "core/replica_fetcher.hpp"
#include "core/replica_manager.hpp"
#include "log.hpp"
#include "protocol/fetch.hpp"

namespace minikafka {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {
constexpr int64_t kTickMs = 10;
constexpr int64_t kErrorBackoffMs = 50;  // replica.fetch.backoff.ms

struct Fetcher {
    Fetcher(int32_t node_id, int32_t leader, ReplicaManager& replicas, LogManager& logs, ReplicaFetchConfig config)
        : fetcher(node_id, leader, replicas, logs, config),
          max_wait_ms(config.max_wait_ms),
          // An answer may exceed the asked-for sizes by one batch (KIP-74: a first batch bigger
          // than the limit still comes whole): what is accepted leaves room for that.
          max_response_bytes(static_cast<uint32_t>(config.response_max_bytes) + (64u << 20)) {}
    ReplicaFetcher fetcher;
    int32_t max_wait_ms;
    uint32_t max_response_bytes;
    bool running = true;
};

// Reads exactly `size` bytes into `into`, with as few wake-ups as the kernel allows. A 1 MB
// answer crosses loopback in 64 KB pieces; read as they come (async_read), that was about 20
// wake-ups, epoll_waits and recvs per answer on the follower - and each wake-up took a core from
// the leader that was still sending. SO_RCVLOWAT says "readable only once this many bytes are
// queued": set to what is missing before waiting, epoll reports the socket once the whole answer
// is there, and one recv takes it. (The kernel caps the mark by what the receive buffer can hold
// and wakes early when its window runs full, so a high mark never stalls a read.) Waiting comes
// first, not a speculative read: that would take the first piece and wake again for the rest.
// The socket must be non-blocking.
awaitable<boost::system::error_code> read_exactly(tcp::socket& socket, char* into, size_t size, int& low_water) {
    constexpr size_t kMaxLowWater = 8 << 20;
    size_t done = 0;
    while (done < size) {
        boost::system::error_code ec;
        const int want = static_cast<int>(std::min(size - done, kMaxLowWater));
        if (want != low_water) {
            socket.set_option(asio::socket_base::receive_low_watermark(want), ec);
            if (ec) co_return ec;
            low_water = want;
        }
        auto [wait_ec] = co_await socket.async_wait(tcp::socket::wait_read, use_tuple);
        if (wait_ec) co_return wait_ec;
        while (done < size) {  // what has arrived: all of it, normally
            done += socket.read_some(asio::buffer(into + done, size - done), ec);
            if (ec == asio::error::would_block || ec == asio::error::try_again) break;
            if (ec) co_return ec;
        }
    }
    co_return boost::system::error_code{};
}

awaitable<void> sleep_ms(int64_t ms) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_after(std::chrono::milliseconds(ms));
    co_await timer.async_wait(use_tuple);
}

// One leader's fetcher, until this broker follows nothing there. The leader's address comes from
// its registration in the metadata image, looked up at each (re)connect.
awaitable<void> run_fetcher(std::shared_ptr<Fetcher> f, Broker& broker, Controller& controller) {
    auto executor = co_await asio::this_coro::executor;
    tcp::resolver resolver(executor);
    const int32_t leader = f->fetcher.leader();
    int32_t correlation_id = 0;
    bool warned = false;
    for (;;) {
        WireRequest request = f->fetcher.build_request(f->max_wait_ms);
        if (request.body.empty()) break;
        auto registered = controller.image().brokers().find(leader);
        if (registered == controller.image().brokers().end() || registered->second.registration.endpoints.empty()) {
            co_await sleep_ms(100);
            continue;
        }
        const BrokerEndpoint& endpoint = registered->second.registration.endpoints.front();
        tcp::socket socket(executor);
        auto [rec, endpoints] =
            co_await resolver.async_resolve(endpoint.host, std::to_string(endpoint.port), use_tuple);
        boost::system::error_code ec = rec;
        if (!ec) std::tie(ec, std::ignore) = co_await asio::async_connect(socket, endpoints, use_tuple);
        if (ec) {
            if (!warned) mb::log::info("follower: cannot reach leader {}: {} (retrying)", leader, ec.message());
            warned = true;
            co_await sleep_ms(100);
            continue;
        }
        warned = false;
        socket.set_option(tcp::no_delay(true));
        socket.non_blocking(true);  // read_exactly
        int low_water = 1;          // SO_RCVLOWAT's default
        broker.trace("follower: node {} fetches from leader {} at {}:{}", broker.config.node_id, leader, endpoint.host,
                     endpoint.port);
        std::string response;
        for (;;) {  // one connection: fetch after fetch
            if (f->fetcher.should_back_off()) co_await sleep_ms(kErrorBackoffMs);
            if (request.body.empty()) request = f->fetcher.build_request(f->max_wait_ms);
            if (request.body.empty()) break;
            const ApiKey api = request.key;
            std::string frame = encode_request_frame(request, ++correlation_id, "minikafka-replica-fetcher");
            request.body.clear();
            auto [wec, written] = co_await asio::async_write(socket, asio::buffer(frame), use_tuple);
            if (wec) break;
            char size_bytes[4];
            if (co_await read_exactly(socket, size_bytes, 4, low_water)) break;
            const uint32_t size = mb::load_big_endian<uint32_t>(size_bytes);
            if (size < 4 || size > f->max_response_bytes) break;
            response.resize(size);
            if (co_await read_exactly(socket, response.data(), size, low_water) ||
                mb::load_big_endian<int32_t>(response.data()) != correlation_id)
                break;
            if (!f->fetcher.handle_response(api, std::string_view(response).substr(4), broker.now_ms())) {
                mb::log::warn("follower: an answer from leader {} does not decode; reconnecting", leader);
                break;
            }
        }
        if (f->fetcher.build_request(f->max_wait_ms).body.empty()) break;
        co_await sleep_ms(50);  // the connection broke: the leader died, or moved
    }
    f->running = false;
}

}  // namespace

class Replication {
public:
    Replication(const mb::Options& options, Broker& broker, Controller& controller)
        : broker_(broker),
          controller_(controller),
          replicas_(ReplicaConfig{broker.config.node_id, static_cast<int32_t>(options.integer("min.insync.replicas")),
                                  options.integer("replica.lag.time.max.ms")},
                    broker.logs),
          offsets_topic_(OffsetsTopicConfig{static_cast<int32_t>(options.integer("offsets.topic.num.partitions")),
                                            static_cast<int16_t>(options.integer("offsets.topic.replication.factor")),
                                            options.integer("offsets.commit.timeout.ms")},
                         broker, controller, replicas_),
          fetch_config_{static_cast<int32_t>(options.integer("replica.fetch.wait.max.ms")),
                        static_cast<int32_t>(options.integer("replica.fetch.min.bytes")),
                        static_cast<int32_t>(options.integer("replica.fetch.max.bytes")),
                        static_cast<int32_t>(options.integer("replica.fetch.response.max.bytes"))} {
        broker.replicas = &replicas_;
        broker.offsets_topic = &offsets_topic_;
        broker.default_replication_factor = static_cast<int16_t>(options.integer("default.replication.factor"));
        replicas_.remove_dirs = [&broker](std::vector<std::string> dirs) {
            broker.services.background->remove(std::move(dirs));
        };
        // A moved HW lets consumers in a long poll read more: wake them (not the followers' fetches,
        // which read to the log end and were woken by the append).
        replicas_.high_watermark_moved = [&broker](PartitionState& p) {
            if (const PartitionLog* log = broker.logs.partition(p.topic, p.index))
                broker.records_appended(*log, FetchWake::high_watermark);
        };
        // Leadership moved away: all parked fetches re-read, find this node no longer leads, answer.
        replicas_.leadership_moved = [&broker](PartitionState& p) {
            if (const PartitionLog* log = broker.logs.partition(p.topic, p.index)) broker.records_appended(*log);
        };
        replicas_.trace = [&broker](std::string_view line) { broker.trace("{}", line); };
        replicas_.clock_ms = [&broker] { return broker.now_ms(); };
        controller.image_changed = [this] { apply_image(); };
    }

    // Set by controller_link.cpp: an AlterPartition to the active controller over this node's link.
    std::function<void(std::string body)> send_alter_partition;

    awaitable<void> run() {
        asio::steady_timer timer(co_await asio::this_coro::executor);
        for (;;) {
            timer.expires_after(std::chrono::milliseconds(kTickMs));
            auto [ec] = co_await timer.async_wait(use_tuple);
            if (ec) co_return;
            tick(co_await asio::this_coro::executor);
        }
    }

private:
    // The image into local logs and roles. A big change (thousands of new replicas) is made a
    // slice per event-loop turn (ReplicaManager::apply_image): the rest follows on the next turn,
    // after the other clients' requests, not 10 ms later at the next tick.
    void apply_image() {
        if (replicas_.apply_image(controller_.image(), broker_.now_ms()) || image_slice_posted_) return;
        image_slice_posted_ = true;
        broker_.services.run_later(0, [this] {
            image_slice_posted_ = false;
            apply_image();
        });
    }

    void tick(const asio::any_io_executor& executor) {
        apply_image();
        offsets_topic_.tick(broker_.now_ms());  // group coordinators follow __consumer_offsets' leaders
        if (!strays_removed_ && !controller_.broker_fenced()) {
            strays_removed_ = true;  // the metadata has caught up: what is not ours now never will be
            replicas_.remove_strays(controller_.image());
        }
        AlterPartitionRequestData alter{broker_.config.node_id, controller_.broker_epoch(),
                                        replicas_.isr_changes(broker_.now_ms())};
        if (!alter.partitions.empty()) {
            if (controller_.is_active()) {
                controller_.alter_partition(alter, controller_clock_ms());  // the answer: in the image
            } else if (send_alter_partition) {
                mb::ByteBuffer buffer;
                KafkaWriter out(buffer);
                encode_alter_partition_request(out, alter);
                send_alter_partition(std::string(buffer.readable()));
            }
        }
        std::erase_if(fetchers_, [](const auto& entry) { return !entry.second->running; });
        for (const auto& [leader, partitions] : replicas_.followed_by_leader()) {
            if (fetchers_.contains(leader)) continue;
            auto f = std::make_shared<Fetcher>(broker_.config.node_id, leader, replicas_, broker_.logs, fetch_config_);
            f->fetcher.appended = [this](const std::shared_ptr<PartitionLog>& log) {
                broker_.flush_if_due(log);  // the follower keeps the same flush policy as a leader
                broker_.sync_rolled_segments(*log);
            };
            f->fetcher.trace = [this](std::string_view line) { broker_.trace("{}", line); };
            fetchers_[leader] = f;
            asio::co_spawn(executor, run_fetcher(f, broker_, controller_), asio::detached);
        }
    }

    Broker& broker_;
    Controller& controller_;
    ReplicaManager replicas_;
    OffsetsTopic offsets_topic_;
    ReplicaFetchConfig fetch_config_;
    bool strays_removed_ = false;      // remove_strays runs once, at the first unfencing
    bool image_slice_posted_ = false;  // apply_image's next slice is waiting for its turn
    std::map<int32_t, std::shared_ptr<Fetcher>> fetchers_;
};

void set_alter_partition_sender(Replication& replication, std::function<void(std::string body)> send) {
    replication.send_alter_partition = std::move(send);
}

std::shared_ptr<Replication> start_replication(asio::io_context& io, const mb::Options& options, Broker& broker,
                                               Controller& controller) {
    auto replication = std::make_shared<Replication>(options, broker, controller);
    asio::co_spawn(
        io, [replication]() { return replication->run(); }, asio::detached);
    return replication;
}

}  // namespace minikafka
