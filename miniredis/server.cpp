// The wiring: one thread, Redis' event loop (ae.c + networking.c) inside Asio.
//
//   Asio runs what every broker here shares - the listener, timers, signals, the admin endpoint.
//   Client sockets live in miniredis' own epoll set, which Asio watches as a single descriptor:
//   when it says "something is ready", on_events() asks epoll which sockets, reads each once,
//   and lets Broker run every complete command found (process_input). Replies only go to
//   the clients' output buffers. Then, once per turn:
//
//   before_sleep()   first the AOF buffer of the whole turn is written (+ fsync with appendfsync
//                    always) - once for every client served in this turn - then each client's
//                    replies go out with one non-blocking send(). A reply never leaves before the
//                    write it acknowledges is as durable as the user asked, and 50 clients share
//                    one fsync (group commit).
//
// Why not an Asio coroutine per connection, as the other brokers? Measured: Asio re-tries a
// read on a socket right after every successful one (its "speculative" read), which at one
// request per round trip (redis-benchmark -P 1) is one extra failing recv() per request - 50 %
// more system calls than Redis. The loop below does what Redis does: recv, process, send.
#include "server.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "admin_api.hpp"
#include "admin_http.hpp"
#include "core/broker.hpp"
#include "listener.hpp"
#include "log.hpp"
#include "metrics.hpp"
#include "server_metrics.hpp"
#include "trace_ring.hpp"

namespace miniredis {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr size_t kReadChunk = 16 * 1024;  // Redis' PROTO_IOBUF_LEN
// A big bulk string is read in reads of up to this much, the buffer growing as bytes arrive. Not
// more: "$536870912\r\n" costs the client 13 bytes, and making room for what it merely declares
// would let a few connections reserve gigabytes (found by benchmarks/fuzz/net_fuzz.py).
constexpr size_t kMaxReadAhead = 1024 * 1024;
constexpr int kMaxEventsPerTurn = 1024;
// Redis' client-query-buffer-limit: unparsed input beyond this (a blocked client that keeps
// sending, a client streaming garbage without newlines...) closes the connection.
constexpr size_t kMaxQueryBuffer = 1024ULL * 1024 * 1024;

struct Connection {
    int fd;
    Client* client;           // owned by Broker
    uint32_t interest = 0;    // the events epoll is asked for (EPOLLIN, EPOLLOUT); 0 while paused
    bool registered = false;  // in the epoll set (interest 0 does not mean "not registered")
    bool connecting = false;  // an outbound connect() (a replica's link to its master) under way
};

class Server final : public ServerHooks {
public:
    Server(asio::io_context& io, Broker& state)
        : io_(io),
          state_(state),
          epoll_fd_(epoll_create1(EPOLL_CLOEXEC)),
          epoll_watch_(io),
          tick_timer_(io),
          block_timer_(io) {
        if (epoll_fd_ < 0) throw std::runtime_error("epoll_create1 failed");
        epoll_watch_.assign(epoll_fd_);
        state_.hooks = this;
    }
    ~Server() override {
        for (auto& conn : connections_)
            if (conn) ::close(conn->fd);
    }

    // One listener per `bind` address, all on the same port (with --port 0 the first one picks it).
    // An address written "-::1" is optional, as in Redis: if it cannot be bound (no IPv6 here),
    // a warning, not a refused start.
    void start(const std::vector<BindAddress>& binds, uint16_t port) {
        mb::net::raise_open_files_limit();
        for (const BindAddress& bind : binds) {
            try {
                acceptors_.push_back(mb::net::listen(io_, bind.host, port));
            } catch (const std::runtime_error& e) {
                if (!bind.optional) throw;
                mb::log::warn("{} (optional address, skipped)", e.what());
                continue;
            }
            port = acceptors_.back().local_endpoint().port();
        }
        if (acceptors_.empty()) throw std::runtime_error("no address in 'bind' could be listened on");
        state_.repl.listening_port = port;  // REPLCONF listening-port
        for (tcp::acceptor& acceptor : acceptors_)
            asio::co_spawn(
                io_, mb::net::accept_loop(acceptor, [this](tcp::socket socket) { return adopt(std::move(socket)); }),
                asio::detached);
        watch_events();
        schedule_tick();
    }

    // The event loop (Redis' aeMain): run what is ready - client events, a timer, an accept - then
    // before_sleep(), then block for more. With appendfsync always, each turn costs an fsync, so
    // the turn first keeps polling (without blocking) until nothing new has arrived: every client
    // active right now shares that one fsync. Otherwise one pass per turn keeps latency lowest.
    void run() {
        while (!io_.stopped()) {
            if (io_.run_one() == 0) break;  // blocks until something happens
            if (state_.aof.is_open() && state_.config.appendfsync == FsyncPolicy::always)
                for (int n = 0; n < kMaxHandlersPerTurn && io_.poll_one() != 0; ++n) {
                }
            before_sleep();
        }
    }

    // SIGTERM, SIGINT or SHUTDOWN (persistence is already flushed): stop accepting, close every
    // client, stop the loop. Deferred with post(): SHUTDOWN calls this from inside a command, and
    // its own client must not vanish under it.
    void shutdown() override {
        if (stopping_) return;
        stopping_ = true;
        asio::post(io_, [this] {
            boost::system::error_code ec;
            for (tcp::acceptor& acceptor : acceptors_) acceptor.close(ec);
            tick_timer_.cancel();
            block_timer_.cancel();
            epoll_watch_.cancel(ec);
            for (auto& conn : connections_) {
                if (!conn) continue;
                flush(*conn);  // last replies (e.g. to SHUTDOWN's own pipeline) go out if they can
                if (conn) close(*conn);
            }
            asio::post(io_, [this] { io_.stop(); });
        });
    }

    // REPLICAOF (core/replication_replica.cpp): an outbound connection, made the way everything
    // here is made - without blocking. connect() returns at once (EINPROGRESS); epoll reports the
    // socket writable when the TCP handshake is done (or failed: SO_ERROR says which), and from
    // then on the master is a connection like any client's, only its bytes go to master_input.
    // The name is resolved with a blocking getaddrinfo, as Redis does: it is a local lookup for
    // the host names a replica is given.
    Client* connect_to_master(const std::string& host, int port) override {
        addrinfo hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        addrinfo* found = nullptr;
        if (stopping_ || ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return nullptr;
        int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int rc = fd < 0 ? -1 : ::connect(fd, found->ai_addr, found->ai_addrlen);
        ::freeaddrinfo(found);
        if (rc < 0 && (fd < 0 || errno != EINPROGRESS)) {
            if (fd >= 0) ::close(fd);
            mb::log::warn("replication: cannot connect to {}:{}: {}", host, port, std::strerror(errno));
            return nullptr;
        }
        Client& client = state_.add_client(fmt::format("{}:{}", host, port), "");
        auto conn = std::make_unique<Connection>(Connection{fd, &client});
        conn->connecting = true;
        client.connection = conn.get();
        client.fd = fd;
        if (static_cast<size_t>(fd) >= connections_.size()) connections_.resize(static_cast<size_t>(fd) + 1);
        connections_[static_cast<size_t>(fd)] = std::move(conn);
        set_interest(*connections_[static_cast<size_t>(fd)], EPOLLOUT);
        return &client;
    }

    // The diskless transfer's pipe from the snapshot child (core/replication_master.cpp) joins the
    // same epoll set as the sockets: its bytes wake the loop like a client's. `readable` false
    // takes it out of the set - not just its interest: epoll reports a hang-up (the child done)
    // whatever was asked, which would spin the loop while the replicas' buffers are full. fd -1:
    // out for good, before the Broker closes it.
    void watch_snapshot_pipe(int fd, bool readable) override {
        if (pipe_fd_ >= 0 && pipe_watched_ && (fd != pipe_fd_ || !readable)) {
            epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, pipe_fd_, nullptr);
            pipe_watched_ = false;
        }
        pipe_fd_ = fd;
        if (fd < 0 || !readable || pipe_watched_) return;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
        pipe_watched_ = true;
    }

private:
    static constexpr int kMaxHandlersPerTurn = 1024;

    // The outbound connect finished: failed (closed; the tick tries again) or the link is up.
    void on_connected(Connection& conn) {
        int error = 0;
        socklen_t len = sizeof error;
        if (::getsockopt(conn.fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0 || error != 0) {
            mb::log::warn("replication: cannot connect to {}: {}", conn.client->peer, std::strerror(error));
            return close(conn);
        }
        conn.connecting = false;
        set_interest(conn, EPOLLIN);
        state_.master_connected(*conn.client);  // queues PING; before_sleep sends it
    }

    // A new connection from the listener: take its descriptor out of Asio and into our epoll set.
    asio::awaitable<void> adopt(tcp::socket socket) {
        boost::system::error_code ec;
        auto peer = socket.remote_endpoint(ec), local = socket.local_endpoint(ec);
        int fd = socket.release(ec);
        if (ec) co_return;
        // Asio leaves an accepted socket in blocking mode (it switches lazily, on its first async
        // operation, which this descriptor never sees). Our loop must never wait for one client:
        // a blocking send() to a client that does not read would freeze the whole server.
        if (::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
            ::close(fd);
            co_return;
        }
        if (stopping_) {
            ::close(fd);
            co_return;
        }
        Client& client = state_.add_client(fmt::format("{}:{}", peer.address().to_string(), peer.port()),
                                           fmt::format("{}:{}", local.address().to_string(), local.port()));
        auto conn = std::make_unique<Connection>(Connection{fd, &client});
        client.connection = conn.get();
        client.fd = fd;  // CLIENT LIST fd=
        if (static_cast<size_t>(fd) >= connections_.size()) connections_.resize(static_cast<size_t>(fd) + 1);
        connections_[static_cast<size_t>(fd)] = std::move(conn);
        set_interest(*connections_[static_cast<size_t>(fd)], EPOLLIN);
        co_return;
    }

    // Asio tells us when our epoll set has events; each wait re-arms, so nothing ready is missed.
    void watch_events() {
        epoll_watch_.async_wait(asio::posix::stream_descriptor::wait_read, [this](const boost::system::error_code& ec) {
            if (ec || stopping_) return;
            on_events();
            watch_events();
        });
    }

    void on_events() {
        epoll_event events[kMaxEventsPerTurn];
        int n = epoll_wait(epoll_fd_, events, kMaxEventsPerTurn, 0);
        for (int i = 0; i < n; ++i) {
            if (events[i].data.fd == pipe_fd_ && pipe_fd_ >= 0) {
                state_.snapshot_pipe_readable();
                continue;
            }
            // Look the connection up by descriptor: one closed earlier in this loop is skipped.
            Connection* conn = find(events[i].data.fd);
            if (!conn) continue;
            if (conn->connecting) {
                on_connected(*conn);
                continue;
            }
            if (events[i].events & EPOLLOUT) flush(*conn);
            conn = find(events[i].data.fd);
            if (conn && (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) on_readable(*conn);
        }
    }

    Connection* find(int fd) {
        return static_cast<size_t>(fd) < connections_.size() ? connections_[static_cast<size_t>(fd)].get() : nullptr;
    }

    // One read (epoll is level-triggered: what we leave is reported again next turn), then run
    // every complete command in the buffer. At most one read per client per turn, so a client
    // that floods us cannot starve the others (Redis does the same: readQueryFromClient reads once).
    void on_readable(Connection& conn) {
        Client& client = *conn.client;
        size_t want = std::clamp(client.parser.bytes_wanted(), kReadChunk, kMaxReadAhead);
        std::span<char> space = client.in.prepare(want);
        ssize_t n = ::recv(conn.fd, space.data(), space.size(), 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        if (n <= 0) return close(conn);  // EOF or a reset: the client is gone
        client.in.commit(static_cast<size_t>(n));
        state_.stats.net_input_bytes += static_cast<uint64_t>(n);
        // replies are sent by before_sleep() at the turn's end
        if (client.repl_role == ReplRole::master)
            state_.master_input(client);  // our master's handshake replies, snapshot or stream
        else
            state_.process_input(client);
        if (client.in.size() > kMaxQueryBuffer) {
            mb::log::warn("closing client {}: query buffer over {} bytes", client.peer, kMaxQueryBuffer);
            return close(conn);
        }
        // (A replica's buffer holds the stream, not replies it asked for: its ACKs are still read.)
        if (client.close_after_reply ||
            (client.out.size() >= kOutputPauseBytes && client.repl_role != ReplRole::replica))
            set_interest(conn, conn.interest & ~EPOLLIN);
    }

    void before_sleep() {
        state_.before_sleep();                 // AOF write (+ fsync) first: durability before acknowledgement
        writing_.swap(state_.pending_writes);  // swap, not move: both vectors keep their capacity
        for (Client* client : writing_) {
            client->write_pending = false;
            auto& conn = *static_cast<Connection*>(client->connection);
            // What the socket would not take waits in client.out: past the client's class limit
            // (client-output-buffer-limit) the client is closed instead of holding memory.
            if (flush(conn) && state_.output_buffer_limit_reached(*client)) close(conn);
        }
        writing_.clear();
        state_.snapshot_pipe_flow();  // a diskless transfer: read its pipe again once the replicas drained
        arm_block_timer();
    }

    // Non-blocking send of everything pending; if the socket is full, ask epoll for EPOLLOUT and
    // continue when it is writable (a slow reader never blocks the others). False when the
    // connection was closed (an error, or QUIT's reply sent): `conn` is gone then.
    bool flush(Connection& conn) {
        Client& client = *conn.client;
        // A replica being sent a disk-based full resync's file: its next piece first (at most a
        // few hundred KB a turn, so the others are served in between), and the socket's
        // writability stays watched until the whole file is queued (Redis' sendBulkToSlave).
        bool more_file = client.repl_file_fd >= 0 && state_.feed_snapshot_file(client);
        while (!client.out.empty()) {
            ssize_t n = ::send(conn.fd, client.out.data(), client.out.size(), MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && errno == EAGAIN) {
                set_interest(conn, conn.interest | EPOLLOUT);
                return true;
            }
            if (n < 0) {
                close(conn);
                return false;
            }
            client.out.consume(static_cast<size_t>(n));
            state_.stats.net_output_bytes += static_cast<uint64_t>(n);
        }
        if (client.close_after_reply) {
            close(conn);
            return false;
        }
        if (more_file) {
            set_interest(conn, EPOLLIN | EPOLLOUT);  // writable again at once: the next piece
            return true;
        }
        // Drained: no need to hear about writability; read again if we had stopped (back-pressure).
        set_interest(conn, EPOLLIN);
        // Commands already buffered when process_input paused at kOutputPauseBytes run now - as
        // unblocked clients do, in before_sleep, so their AOF write still precedes their replies.
        // The posted no-op makes sure there is a next turn even if nothing else happens.
        if (!client.in.empty() && !client.blocked.active) {
            state_.unblocked_clients.push_back(&client);
            asio::post(io_, [] {});
        }
        return true;
    }

    void set_interest(Connection& conn, uint32_t events) {
        if (events == conn.interest) return;
        epoll_event ev{};
        ev.events = events;
        ev.data.fd = conn.fd;
        epoll_ctl(epoll_fd_, conn.registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, conn.fd, &ev);
        conn.registered = true;
        conn.interest = events;
    }

    void close(Connection& conn) {
        int fd = conn.fd;
        state_.remove_client(*conn.client);
        ::close(fd);  // also leaves the epoll set
        connections_[static_cast<size_t>(fd)].reset();
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
        // Clamp the wait: the timer counts in nanoseconds, and BLPOP q 9300000000 (legal: ~300
        // years) overflows int64 nanoseconds - the timer would fire at once, every turn, pinning a
        // core. Waking once a day to find nobody expired just re-arms for the rest.
        constexpr int64_t kMaxTimerMs = 24LL * 3600 * 1000;
        int64_t delay = std::clamp<int64_t>(deadline - state_.clock.now_ms(), 0, kMaxTimerMs);
        block_timer_.expires_after(std::chrono::milliseconds(delay));
        block_timer_.async_wait([this](const boost::system::error_code& ec) {
            if (ec) return;
            armed_block_deadline_ = 0;
            state_.expire_blocked_clients();
        });
    }

    void schedule_tick() {
        tick_timer_.expires_after(std::chrono::milliseconds(1000 / state_.config.hz));
        tick_timer_.async_wait([this](const boost::system::error_code& ec) {
            if (ec || stopping_) return;
            state_.tick();
            schedule_tick();
        });
    }

    asio::io_context& io_;
    Broker& state_;
    int epoll_fd_;
    asio::posix::stream_descriptor epoll_watch_;  // owns epoll_fd_
    std::vector<tcp::acceptor> acceptors_;        // std::vector: acceptors move, never copy
    asio::steady_timer tick_timer_;
    asio::steady_timer block_timer_;
    int64_t armed_block_deadline_ = 0;
    std::vector<std::unique_ptr<Connection>> connections_;  // indexed by descriptor, as Redis' fd table
    std::vector<Client*> writing_;
    int pipe_fd_ = -1;  // the snapshot pipe, while a diskless transfer runs (watch_snapshot_pipe)
    bool pipe_watched_ = false;
    bool stopping_ = false;
};
}  // namespace

int run_server(Config config) {
    try {
        SystemClock clock;
        Broker state(clock, std::move(config));
        asio::io_context io(1);
        Server server(io, state);
        mb::Metrics metrics;
        register_metrics(metrics, state);                                    // server_metrics.cpp
        state.trace = [](std::string_view line) { mb::trace::emit(line); };  // the log and the live page
        if (std::string error = state.load_data(); !error.empty()) {
            mb::log::error("fatal error loading the data: {}", error);
            return 1;
        }
        state.replication_start();  // replication ID; `replicaof`: the tick connects
        server.start(state.config.binds, static_cast<uint16_t>(state.config.port));
        const std::string& admin_port = state.config.options.text("admin-port");
        if (!admin_port.empty())
            mb::start_admin_http(io, state.config.bind, static_cast<uint16_t>(std::stoi(admin_port)), metrics,
                                 [&state](const mb::HttpRequest& r) { return admin_api(state, r); },
                                 {.index_html = admin_page(),
                                  .health = [&state] { return health_problems(state); },
                                  .pages = {}});  // admin_api.cpp
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
