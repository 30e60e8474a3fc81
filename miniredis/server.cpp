// The wiring: one thread, one io_context, one coroutine per connection - and the event-loop turn
// that makes pipelining and group commit work (Redis' ae loop + beforeSleep).
//
//   run()            the event loop: run every ready handler (completed reads, timers), polling
//                    the sockets again until nothing new arrived, then before_sleep(); block.
//   session()        per connection: read -> ServerState::process_input (parse every complete
//                    command, run it, append its reply to client.out) -> read again. It never
//                    writes: it only leaves the client on the list of clients with replies.
//   before_sleep()   once per turn, after every connection that was readable in this turn has
//                    been served: first the AOF buffer is written (+fsync with appendfsync
//                    always) - once for all of them - then each client's replies go out with one
//                    non-blocking write. A reply never leaves before its write is as durable as
//                    the user asked, and 50 clients share one fsync.
//   flush()          the non-blocking write; if the socket is full, wait until it is writable
//                    and continue (a slow reader never blocks the others).
//   cron timer       ServerState::cron() hz times per second (active expiry, snapshots...).
#include "server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <unordered_map>

#include "admin_http.hpp"
#include "commands/server_state.hpp"
#include "listener.hpp"
#include "log.hpp"
#include "metrics.hpp"

namespace miniredis {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr size_t kReadChunk = 16 * 1024;
// Backpressure: a client whose unsent replies exceed this is not read from until they drain, so
// a client that pipelines without reading cannot make the server buffer without bound.
constexpr size_t kMaxPendingOutput = 4 * 1024 * 1024;

struct Connection {
    Connection(tcp::socket s, Client& c) : socket(std::move(s)), client(&c), resume(socket.get_executor()) {}
    tcp::socket socket;
    Client* client;             // owned by ServerState; null once closed
    asio::steady_timer resume;  // the reader waits here while output is over the limit
    bool waiting_writable = false;
    bool closed = false;
};

class Server final : public ServerHooks {
public:
    Server(asio::io_context& io, ServerState& state) : io_(io), state_(state), cron_(io), block_timer_(io) {
        state_.hooks = this;
    }

    void start(const std::string& bind, uint16_t port) {
        acceptor_.emplace(mb::net::listen(io_, bind, port));
        asio::co_spawn(
            io_, mb::net::accept_loop(*acceptor_, [this](tcp::socket socket) { return session(std::move(socket)); }),
            asio::detached);
        arm_cron();
    }

    // SIGTERM, SIGINT or SHUTDOWN (persistence is already flushed): stop accepting, close every
    // client, let their coroutines end, then stop the loop. Deferred with post(): SHUTDOWN calls
    // this from inside a command, and its own client must not vanish under it.
    void shutdown() override {
        if (stopping_) return;
        stopping_ = true;
        asio::post(io_, [this] { close_everything(); });
    }

private:
    void close_everything() {
        boost::system::error_code ec;
        if (acceptor_) acceptor_->close(ec);
        cron_.cancel();
        block_timer_.cancel();
        std::vector<Connection*> all;
        for (auto& [ptr, conn] : connections_) all.push_back(ptr);
        for (Connection* conn : all) {
            flush(*conn);  // last replies (e.g. to SHUTDOWN's own pipeline) go out if they can
            close(*conn);
        }
        // The aborted reads complete first (they are queued already), then the loop stops.
        asio::post(io_, [this] { io_.stop(); });
    }

    asio::awaitable<void> session(tcp::socket socket) {
        boost::system::error_code ec;
        socket.non_blocking(true, ec);
        auto peer = socket.remote_endpoint(ec), local = socket.local_endpoint(ec);
        Client& client = state_.add_client(fmt::format("{}:{}", peer.address().to_string(), peer.port()),
                                           fmt::format("{}:{}", local.address().to_string(), local.port()));
        auto conn = std::make_shared<Connection>(std::move(socket), client);
        client.connection = conn.get();
        connections_.emplace(conn.get(), conn);
        if (stopping_) close(*conn);

        while (!conn->closed) {
            size_t want = std::max(kReadChunk, client.parser.bytes_wanted());
            std::span<char> space = client.in.prepare(want);
            auto buffer = asio::buffer(space.data(), space.size());
            auto [read_ec, n] = co_await conn->socket.async_read_some(buffer, asio::as_tuple(asio::use_awaitable));
            if (conn->closed) break;
            if (read_ec) {
                close(*conn);
                break;
            }
            client.in.commit(n);
            state_.stats.net_input_bytes += n;
            state_.process_input(client);  // replies are written by before_sleep() at the turn's end
            if (conn->closed || client.close_after_reply) break;  // before_sleep() writes the last reply, then closes
            while (!conn->closed && client.out.size() > kMaxPendingOutput) {
                conn->resume.expires_at(asio::steady_timer::time_point::max());
                auto [wait_ec] = co_await conn->resume.async_wait(asio::as_tuple(asio::use_awaitable));
                (void)wait_ec;  // cancelled by flush() when the output drained (or by close())
            }
        }
    }

public:
    // The event loop (Redis' aeMain + beforeSleep). Run whatever is ready - completed reads,
    // timers - and keep polling the sockets without blocking until nothing new has arrived, so
    // that a batch holds every client that is active right now. Then before_sleep(): the AOF
    // once for the whole batch, then the replies. Only then block for more.
    void run() {
        while (!io_.stopped()) {
            if (io_.run_one() == 0) break;  // blocks until something happens
            for (int n = 0; n < kMaxHandlersPerTurn && io_.poll_one() != 0; ++n) {
            }
            before_sleep();
        }
    }

private:
    // A turn ends after this many handlers even if more keep arriving, so replies are never
    // held back for long by a flood of new requests.
    static constexpr int kMaxHandlersPerTurn = 1024;

    void before_sleep() {
        state_.before_sleep();                 // AOF write (+ fsync) first: durability before acknowledgement
        writing_.swap(state_.pending_writes);  // swap, not move: both vectors keep their capacity
        for (Client* client : writing_) {
            client->write_pending = false;
            flush(*static_cast<Connection*>(client->connection));
        }
        writing_.clear();
        arm_block_timer();
    }

    // BLPOP & co. with a timeout: one timer, set to the earliest deadline of any blocked client.
    void arm_block_timer() {
        int64_t deadline = state_.next_block_deadline();
        if (deadline == armed_block_deadline_ || stopping_) return;
        armed_block_deadline_ = deadline;
        if (deadline == 0) {
            block_timer_.cancel();
            return;
        }
        block_timer_.expires_after(std::chrono::milliseconds(std::max<int64_t>(0, deadline - state_.clock.now_ms())));
        block_timer_.async_wait([this](const boost::system::error_code& ec) {
            if (ec) return;
            armed_block_deadline_ = 0;
            state_.expire_blocked_clients();
        });
    }

    void flush(Connection& conn) {
        if (conn.closed || conn.waiting_writable) return;
        Client& client = *conn.client;
        while (!client.out.empty()) {
            boost::system::error_code ec;
            size_t n = conn.socket.write_some(asio::buffer(client.out.data(), client.out.size()), ec);
            if (ec == asio::error::would_block || ec == asio::error::try_again) {
                wait_writable(conn);
                return;
            }
            if (ec) return close(conn);
            client.out.consume(n);
            state_.stats.net_output_bytes += n;
        }
        if (client.close_after_reply) return close(conn);
        conn.resume.cancel();  // wake a reader paused for backpressure
    }

    void wait_writable(Connection& conn) {
        conn.waiting_writable = true;
        auto self = connections_.at(&conn);
        conn.socket.async_wait(tcp::socket::wait_write, [this, self](const boost::system::error_code& ec) {
            self->waiting_writable = false;
            if (!ec) flush(*self);
        });
    }

    void close(Connection& conn) {
        if (conn.closed) return;
        conn.closed = true;
        state_.remove_client(*conn.client);
        conn.client = nullptr;
        boost::system::error_code ec;
        conn.socket.close(ec);
        conn.resume.cancel();
        connections_.erase(&conn);  // the session coroutine (or a pending wait) may still hold it
    }

    void arm_cron() {
        cron_.expires_after(std::chrono::milliseconds(1000 / state_.config.hz));
        cron_.async_wait([this](const boost::system::error_code& ec) {
            if (ec || stopping_) return;
            state_.cron();
            arm_cron();
        });
    }

    asio::io_context& io_;
    ServerState& state_;
    std::optional<tcp::acceptor> acceptor_;
    asio::steady_timer cron_;
    asio::steady_timer block_timer_;
    int64_t armed_block_deadline_ = 0;
    std::unordered_map<Connection*, std::shared_ptr<Connection>> connections_;
    std::vector<Client*> writing_;
    bool stopping_ = false;
};

mb::HttpResponse admin_api(ServerState& state, const mb::HttpRequest& request) {
    std::string_view path = request.target.substr(0, request.target.find('?'));
    if (path == "/api/trace") {
        if (request.method == "PUT") {
            std::string_view body = request.body;
            bool on = body.find("true") != std::string_view::npos;
            if (!on && body.find("false") == std::string_view::npos)
                return {400, "application/json", R"({"error":"expected {\"trace\":true|false}"})"};
            state.config.options.set("trace", on ? "yes" : "no");
            state.config.trace = on;
        } else if (request.method != "GET") {
            return {405, "application/json", R"({"error":"GET or PUT"})"};
        }
        return {200, "application/json", state.config.trace ? R"({"trace":true})" : R"({"trace":false})"};
    }
    return {404, "application/json", R"({"error":"not found"})"};
}

}  // namespace

int run_server(Config config) {
    try {
        SystemClock clock;
        ServerState state(clock, std::move(config));
        asio::io_context io(1);
        Server server(io, state);
        mb::Metrics metrics;
        metrics.gauge("miniredis_connected_clients", "Open client connections.",
                      [&] { return static_cast<double>(state.clients.size()); });
        metrics.gauge("miniredis_commands_processed_total", "Commands run since start.",
                      [&] { return static_cast<double>(state.stats.commands_processed); });
        metrics.gauge("miniredis_keys", "Keys in all databases.", [&] {
            double n = 0;
            for (Database& db : state.databases) n += static_cast<double>(db.size());
            return n;
        });
        state.trace = [](std::string_view line) { mb::log::info("trace: {}", line); };
        if (std::string error = state.load_data(); !error.empty()) {
            mb::log::error("fatal error loading the data: {}", error);
            return 1;
        }
        server.start(state.config.bind, static_cast<uint16_t>(state.config.port));
        const std::string& admin_port = state.config.options.text("admin-port");
        if (!admin_port.empty())
            mb::start_admin_http(io, state.config.bind, static_cast<uint16_t>(std::stoi(admin_port)), metrics,
                                 [&state](const mb::HttpRequest& r) { return admin_api(state, r); });
        // SIGTERM/SIGINT: like SHUTDOWN - snapshot if save rules exist, flush the AOF, stop.
        mb::net::on_stop_signal(io, [&] { state.finish_on_signal(); });
        server.run();
        mb::log::info("stopped");
        return 0;
    } catch (const std::exception& e) {
        mb::log::error("{}", e.what());
        return 1;
    }
}

}  // namespace miniredis
