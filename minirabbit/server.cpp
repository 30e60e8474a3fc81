// Sessions: the reader / writer / heartbeat coroutines around one Connection (see server.hpp).
#include "server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <chrono>

#include "core/channel.hpp"
#include "core/connection.hpp"
#include "listener.hpp"
#include "log.hpp"

namespace minirabbit {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

class Session final : public Transport {
public:
    Session(Server& server, tcp::socket socket, std::string peer, bool loopback)
        : connected_at(
              std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                  .count()),
          server_(server),
          socket_(std::move(socket)),
          wake_(socket_.get_executor()),
          unpause_(socket_.get_executor()),
          connection_(server.broker(), *this, std::move(peer), loopback) {
        wake_.expires_at(Clock::time_point::max());
        unpause_.expires_at(Clock::time_point::max());
        server_.add(this);
    }
    ~Session() { server_.remove(this); }

    const int64_t connected_at;  // ms since the epoch, for the management API

    asio::awaitable<void> run() {
        co_await (reader() || writer() || heartbeat());
        // Whatever ended first, the connection is over: release its consumers, unacked messages
        // and exclusive queues now, before the socket closes.
        connection_.shutdown();
        boost::system::error_code ignored;
        socket_.shutdown(tcp::socket::shutdown_both, ignored);
        socket_.close(ignored);
        server_.after_batch();
    }

    // Transport
    void wake_writer() override {
        // Called for every delivery: only a sleeping writer needs the (locking) timer cancel.
        if (writer_sleeping_) {
            writer_sleeping_ = false;
            wake_.cancel();
        }
    }
    void close_after_writing() override {
        closing_ = true;
        writer_sleeping_ = false;
        wake_.cancel();
    }
    void set_reading_paused(bool paused) override {
        reading_paused_ = paused;
        if (!paused) {
            last_read_ = Clock::now();  // the heartbeat check was suspended while we did not read
            unpause_.cancel();
        }
    }

    Connection& connection() { return connection_; }

private:
    asio::awaitable<void> reader() {
        for (;;) {
            while (reading_paused_ && !closing_) {
                // Blocked (connection.blocked): not reading is the point, but a peer that went
                // away must still be noticed, or its buffers would hold the alarm on for ever.
                unpause_.expires_after(std::chrono::seconds(1));
                co_await unpause_.async_wait(kTuple);
                if (reading_paused_ && peer_gone()) co_return;
            }
            unpause_.expires_at(Clock::time_point::max());
            if (closing_) {
                // A close is on its way out: read no more, wait for the writer to finish.
                co_await asio::steady_timer(socket_.get_executor(), Clock::time_point::max()).async_wait(kTuple);
                co_return;
            }
            if (unparsed_input_) {
                unparsed_input_ = false;  // unblocked: handle the frames left over before reading more
            } else {
                auto space = in_.prepare(kReadChunk);
                auto [ec, n] = co_await socket_.async_read_some(asio::buffer(space.data(), space.size()), kTuple);
                if (ec) co_return;  // peer closed or reset
                in_.commit(n);
                last_read_ = Clock::now();
            }
            const bool stopped_early = connection_.on_bytes(in_);
            connection_.end_of_batch();
            if (!server_.after_batch()) {
                // The disk refused the definitions: this batch's replies (a durable declare-ok
                // among them) are withdrawn and the connection closes with INTERNAL_ERROR.
                connection_.out().clear();
                connection_.close(amqp::internal_error, "definitions could not be written to disk");
            }
            // A client that sends requests but does not read the replies (or deliveries) stops being
            // read until the writer catches up: TCP's own back-pressure, passed on. "Unsent" counts
            // the buffer being written too, not only what piled up behind it.
            while (connection_.must_stop_reading() && !closing_) {
                reader_waiting_for_writer_ = true;
                co_await unpause_.async_wait(kTuple);
                reader_waiting_for_writer_ = false;
            }
            // connection.blocked and a full output both stop parsing mid-buffer; the frames left
            // over are handled (before reading more) once the unblock or the drain has come.
            unparsed_input_ = stopped_early && !in_.empty();
        }
    }

    // The writer sleeps on a timer that never expires; wake_writer() cancels it. That is Asio's
    // chat_server idiom for "wait until someone has something for me", without a queue of messages
    // between the broker and the socket: the Connection's output buffer is the queue.
    asio::awaitable<void> writer() {
        for (;;) {
            if (connection_.out().empty()) {
                if (closing_) co_return;
                wake_.expires_at(Clock::time_point::max());
                writer_sleeping_ = true;
                co_await wake_.async_wait(kTuple);
                writer_sleeping_ = false;
                continue;
            }
            // Double-buffering: handlers and queues keep appending to out() while this write runs.
            std::swap(writing_, connection_.out());
            connection_.set_bytes_in_flight(writing_.size());  // still unsent, still counted
            auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(writing_.readable()), kTuple);
            if (ec) co_return;
            writing_.clear();
            connection_.set_bytes_in_flight(0);
            last_write_ = Clock::now();
            connection_.on_output_drained();  // consumers paused by a full buffer may go on
            if (reader_waiting_for_writer_) unpause_.cancel();
        }
    }

    asio::awaitable<void> heartbeat() {
        // Also the handshake timeout: a client that has not opened the connection in 10 s is dropped,
        // so half-open sockets cannot pile up (RabbitMQ's handshake_timeout).
        asio::steady_timer timer(socket_.get_executor());
        const auto started = Clock::now();
        for (;;) {
            uint16_t interval = connection_.heartbeat_seconds();
            auto tick = interval ? std::chrono::milliseconds(interval * 500) : std::chrono::milliseconds(1000);
            timer.expires_after(tick);
            auto [ec] = co_await timer.async_wait(kTuple);
            if (ec) co_return;
            auto now = Clock::now();
            if (connection_.state() != Connection::State::open && connection_.state() != Connection::State::closing &&
                now - started > std::chrono::seconds(10)) {
                mb::log::info("connection from {} did not finish the handshake in 10 s", connection_.peer());
                co_return;
            }
            if (interval == 0) continue;
            // While blocked we do not read, so the peer's heartbeats wait unread: as RabbitMQ,
            // suspend the check (peer_gone() in the reader notices a vanished peer meanwhile).
            if (!reading_paused_ && now - last_read_ > std::chrono::seconds(2 * interval)) {
                mb::log::warn("missed heartbeats from client {}, timeout: {}s", connection_.peer(), interval);
                co_return;
            }
            if (now - last_write_ >= std::chrono::milliseconds(interval * 500) && connection_.out().empty()) {
                amqp::write_heartbeat(connection_.out());
                wake_writer();
            }
        }
    }

    // Without reading: has the peer closed (FIN: CLOSE_WAIT) or reset (RST: CLOSE) the connection?
    // Unread bytes may sit in front of the FIN, so ask TCP for the state instead of peeking.
    bool peer_gone() {
        tcp_info info{};
        socklen_t length = sizeof info;
        if (::getsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_INFO, &info, &length) != 0) return true;
        return info.tcpi_state == TCP_CLOSE_WAIT || info.tcpi_state == TCP_CLOSE;
    }

    static constexpr size_t kReadChunk = 64 * 1024;

    Server& server_;
    tcp::socket socket_;
    asio::steady_timer wake_;
    asio::steady_timer unpause_;
    Connection connection_;
    mb::ByteBuffer in_;
    mb::ByteBuffer writing_;
    bool closing_ = false;
    bool writer_sleeping_ = false;
    bool reader_waiting_for_writer_ = false;
    bool reading_paused_ = false;
    bool unparsed_input_ = false;
    Clock::time_point last_read_ = Clock::now();
    Clock::time_point last_write_ = Clock::now();

    friend class Server;
};

Server::Server(Broker& broker) : broker_(broker) {
    broker_.on_definitions_changed = [this] { definitions_dirty_ = true; };
    broker_.on_vhost_deleted = [this](const std::string& vhost) {
        close_connections([&](const Connection& c) { return c.vhost_name() == vhost; },
                          "vhost '" + vhost + "' is deleted");
    };
    broker_.on_user_deleted = [this](const std::string& user) {
        close_connections([&](const Connection& c) { return c.user() == user; }, "user '" + user + "' was deleted");
    };
}

Server::~Server() {
    broker_.on_definitions_changed = nullptr;
    broker_.on_vhost_deleted = nullptr;
    broker_.on_user_deleted = nullptr;
}

void Server::start(asio::io_context& io, tcp::acceptor& acceptor) {
    io_ = &io;
    asio::co_spawn(io,
                   mb::net::accept_loop(
                       acceptor,
                       [this](tcp::socket socket) -> asio::awaitable<void> {
                           boost::system::error_code ec;
                           auto remote = socket.remote_endpoint(ec);
                           if (ec) co_return;
                           std::string peer = remote.address().to_string() + ":" + std::to_string(remote.port());
                           Session session(*this, std::move(socket), std::move(peer), remote.address().is_loopback());
                           mb::log::debug("accepted connection from {}", session.connection().peer());
                           co_await session.run();
                       }),
                   asio::detached);
    sample_memory();
    schedule_tick();
}

void Server::sample_memory() { broker_.set_memory_sample(process_memory(memory_strategy)); }

void Server::schedule_tick() {
    // TTL expiry and x-expires run on a 50 ms tick: messages at a queue's head expire on time even
    // with no consumer asking, so dead-letter exchanges see them promptly.
    if (!tick_timer_) tick_timer_ = std::make_unique<asio::steady_timer>(*io_);
    tick_timer_->expires_after(std::chrono::milliseconds(50));
    tick_timer_->async_wait([this](boost::system::error_code ec) {
        if (ec) return;
        broker_.tick();
        // The management UI's rate history: a sample every collect_statistics_interval (model/rate_history.hpp),
        // stamped with the wall clock the UI's time axis shows.
        broker_.sample_statistics(
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count());
        if (on_tick) on_tick();
        if (++ticks_ % kMemorySampleTicks == 0) sample_memory();
        after_batch();
        schedule_tick();
    });
}

bool Server::after_batch() {
    // Durable declarations are on disk before their -ok replies are written (the writer coroutine
    // runs only after this returns), as RabbitMQ commits definitions before answering.
    bool saved = true;
    if (definitions_dirty_ && save_definitions) {
        try {
            save_definitions();
            definitions_dirty_ = false;
            if (std::exchange(definitions_failing_, false)) mb::log::info("definitions saved again");
        } catch (const std::exception& e) {
            // Retried after every batch and tick; said once until it works again.
            if (!std::exchange(definitions_failing_, true)) mb::log::error("definitions not saved: {}", e.what());
            saved = false;
        }
    }
    if (flush_journal) flush_journal();
    bool alarm = broker_.memory_alarm();
    if (alarm != memory_alarm_) {
        memory_alarm_ = alarm;
        // As RabbitMQ's log says it: which measure, how much, and the limit.
        mb::log::warn("memory alarm {}: {} bytes used ({}; {} bytes of messages), vm_memory_high_watermark {} bytes",
                      alarm ? "set" : "cleared", broker_.memory_used(), memory_strategy_name(memory_strategy),
                      broker_.memory_in_use(), broker_.memory_high_watermark);
        for (Session* s : sessions_) s->connection().set_memory_alarm(alarm);
    }
    return saved;
}

std::vector<ConnectionInfo> Server::connection_infos() const {
    std::vector<ConnectionInfo> out;
    for (Session* s : sessions_) {
        const Connection& c = s->connection();
        if (c.state() != Connection::State::open) continue;  // RabbitMQ lists a connection once it is open
        ConnectionInfo info;
        info.name = c.peer();
        info.user = c.user();
        info.vhost = c.vhost_name();
        info.channels = c.channel_count();
        info.blocked = c.blocked();
        size_t colon = c.peer().rfind(':');
        info.peer_host = c.peer().substr(0, colon);
        if (colon != std::string::npos) info.peer_port = static_cast<uint16_t>(std::atoi(c.peer().c_str() + colon + 1));
        info.client_properties = c.client_properties();
        info.frame_max = c.frame_max();
        info.heartbeat = c.heartbeat_seconds();
        info.connected_at = s->connected_at;
        for (const auto& ch : c.channels()) {
            if (!ch) continue;
            ChannelInfo channel{ch->number(),
                                ch->prefetch_count(),
                                ch->global_prefetch_count(),
                                ch->unacked_count(),
                                ch->confirm_mode(),
                                ch->tx_mode(),
                                {}};
            for (const auto& consumer : ch->consumers())
                channel.consumers.push_back(ConsumerInfo{consumer->tag, consumer->queue ? consumer->queue->name() : "",
                                                         consumer->no_ack, consumer->exclusive,
                                                         consumer->prefetch_count});
            info.channel_list.push_back(std::move(channel));
        }
        out.push_back(std::move(info));
    }
    return out;
}

bool Server::close_connection(const std::string& name, const std::string& reason) {
    bool found = false;
    close_connections(
        [&](const Connection& c) {
            bool match = c.state() == Connection::State::open && c.peer() == name;
            found |= match;
            return match;
        },
        reason);
    return found;
}

void Server::on_synced(uint64_t position) {
    for (Session* s : sessions_) s->connection().on_synced(position);
}

void Server::close_connections(const std::function<bool(const Connection&)>& which, const std::string& reason) {
    std::vector<Session*> affected;
    for (Session* s : sessions_)
        if (which(s->connection()) && s->connection().state() == Connection::State::open) affected.push_back(s);
    for (Session* s : affected) {
        s->connection().close(amqp::connection_forced, reason);
        s->connection().shutdown();
    }
}

void Server::stop() {
    tick_timer_.reset();
    for (Session* s : sessions_) {
        s->connection().close(amqp::connection_forced, "broker forced connection closure with reason 'shutdown'");
        s->connection().shutdown();
    }
}

}  // namespace minirabbit
