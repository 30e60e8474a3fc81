// minikafka/server.cpp
//
// CONCEPT: the wiring - one thread, one io_context, one coroutine pair per connection.
//
//   accept_loop ─► Session::run ══ read_requests ─► next_frame ─► decode_request_header
//                              ║                   ─► dispatch (handlers/) ─► Reply queue
//                              ╚═ write_replies  ◄─ the ready replies at the queue's front:
//                                                   memory parts in one gather-write, record
//                                                   bytes straight from the segment file with
//                                                   sendfile()
// Reading and writing are two coroutines so that a reply that waits (a long-polling Fetch, a
// Produce waiting for its fsync) does not stop the connection from reading further requests,
// while replies still leave strictly in request order. Everything runs on the broker thread;
// the only other thread is the background worker (fsync, deletion).
#include "server.hpp"

#include <sys/sendfile.h>

#include <csignal>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <random>

#include "admin_api.hpp"
#include "admin_http.hpp"
#include "controller_link.hpp"
#include "handlers/handler_table.hpp"
#include "listener.hpp"
#include "log.hpp"
#include "metrics.hpp"
#include "server_metrics.hpp"
#include "storage/file.hpp"
#include "trace_ring.hpp"

namespace minikafka {

namespace asio = boost::asio;
using asio::awaitable;
using mb::net::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

constexpr mb::OptionSpec kOptions[] = {
    {"port", "9092", "TCP port to listen on (0 = any free port)", mb::OptionKind::integer, 0, 65535},
    {"bind", "127.0.0.1", "address to listen on"},
    {"dir", ".", "data directory (Kafka: log.dirs): one subdirectory per partition"},
    {"admin-port", "", "HTTP admin port: /, /healthz, /metrics, /api (0 = any free port; empty = off)"},
    {"disk-free-limit", "50mb", "/healthz answers 503 when the dir's disk has less free (RabbitMQ's disk_free_limit)",
     mb::OptionKind::bytes, 0, INT64_MAX},
    {"loglevel", "info", "log level", mb::OptionKind::choice, 0, 0, "debug|info|warning|error"},
    {"trace", "false", "log one line per request through the concepts (toggle at runtime: PUT /api/trace)",
     mb::OptionKind::boolean},
    {"advertised.host.name", "", "host name given to clients in Metadata (default: the bind address)"},
    {"broker.id", "0", "this broker's node id", mb::OptionKind::integer, 0, INT32_MAX},
    {"num.partitions", "1", "partitions of an auto-created topic", mb::OptionKind::integer, 1, 10000},
    {"auto.create.topics.enable", "true", "create a topic when a client first asks for it", mb::OptionKind::boolean},
    {"socket.request.max.bytes", "104857600", "largest request accepted; a bigger one closes the connection",
     mb::OptionKind::bytes, 64, INT32_MAX},
    {"log.segment.bytes", "1073741824", "roll a new segment when the active one would grow past this",
     mb::OptionKind::bytes, 1024, INT32_MAX},
    {"log.roll.ms", "604800000", "roll a new segment when the active one is this old", mb::OptionKind::integer, 1},
    {"log.retention.bytes", "-1", "delete old segments while a partition is larger (-1 = no limit)",
     mb::OptionKind::integer, -1},
    {"log.retention.ms", "604800000", "delete segments whose newest record is older (-1 = keep)",
     mb::OptionKind::integer, -1},
    {"log.retention.check.interval.ms", "300000", "how often retention runs", mb::OptionKind::integer, 1},
    {"log.flush.interval.messages", "9223372036854775807",
     "fsync after this many messages (1 = every append, before its ack)", mb::OptionKind::integer, 1},
    {"log.flush.interval.ms", "9223372036854775807", "fsync data older than this", mb::OptionKind::integer, 1},
    {"log.index.interval.bytes", "4096", "bytes of log between two offset index entries", mb::OptionKind::integer, 1},
    {"message.max.bytes", "1048588", "largest record batch a producer may append", mb::OptionKind::integer, 64},
    {"group.min.session.timeout.ms", "6000", "shortest session.timeout.ms a consumer may ask for",
     mb::OptionKind::integer, 1, INT32_MAX},
    {"group.max.session.timeout.ms", "1800000", "longest session.timeout.ms a consumer may ask for",
     mb::OptionKind::integer, 1, INT32_MAX},
    {"group.initial.rebalance.delay.ms", "3000",
     "how long a new group waits for more members before its first generation", mb::OptionKind::integer, 0, INT32_MAX},
    {"producer.id.expiration.ms", "86400000", "forget an idempotent producer after this long without an append",
     mb::OptionKind::integer, 1},
    {"producer.id.expiration.check.interval.ms", "600000", "how often idle producer ids are looked for",
     mb::OptionKind::integer, 1},
    {"offsets.retention.check.interval.ms", "600000", "how often groups left empty with no offsets are removed",
     mb::OptionKind::integer, 1},
    {"log.message.timestamp.type", "CreateTime", "record timestamps: the producer's or the broker's",
     mb::OptionKind::choice, 0, 0, "CreateTime|LogAppendTime"},
    // KRaft cluster mode (controller_link.cpp); without controller.quorum.voters, one node as before.
    {"node.id", "0", "this node's id in the cluster (KRaft; sets broker.id)", mb::OptionKind::integer, 0, INT32_MAX},
    {"process.roles", "",
     "broker,controller = combined mode; broker = a broker outside the quorum; empty = single node"},
    {"controller.quorum.voters", "", "the controller quorum: id@host:port,... (empty = single-node mode)"},
    {"cluster.id", "", "a cluster's id, the same on every node (default: derived from controller.quorum.voters)"},
    {"listeners", "", "NAME://host:port,...: PLAINTEXT sets --bind/--port, the controller listener its port"},
    {"advertised.listeners", "", "PLAINTEXT://host:port registered for clients (default: the bound one)"},
    {"controller.listener.names", "CONTROLLER", "which listener in `listeners` the quorum talks on"},
    {"quorum.election.timeout.ms", "1000", "a candidate waits [T, 2T) before trying again", mb::OptionKind::integer,
     10},
    {"quorum.fetch.timeout.ms", "2000", "a follower that long without its leader stands for election",
     mb::OptionKind::integer, 10},
    {"quorum.request.timeout.ms", "2000", "resend an unanswered quorum request after this", mb::OptionKind::integer,
     10},
    {"broker.heartbeat.interval.ms", "2000", "how often a broker heartbeats to the active controller",
     mb::OptionKind::integer, 10},
    {"broker.session.timeout.ms", "9000", "a broker silent this long is fenced", mb::OptionKind::integer, 10},
    {"metadata.snapshot.interval.records", "10000", "snapshot the metadata image after this many records (0 = never)",
     mb::OptionKind::integer, 0},
    {"default.replication.factor", "1", "replicas of a new topic (cluster mode)", mb::OptionKind::integer, 1, 32767},
    {"min.insync.replicas", "1", "acks=all needs an ISR this big", mb::OptionKind::integer, 1, INT32_MAX},
    {"unclean.leader.election.enable", "false",
     "with no ISR member alive, elect a replica outside the ISR (loses acknowledged records)", mb::OptionKind::boolean},
    {"replica.lag.time.max.ms", "30000", "a follower not caught up this long leaves the ISR", mb::OptionKind::integer,
     1},
    // Cluster mode: committed offsets in the replicated __consumer_offsets (core/offsets_topic.hpp).
    {"offsets.topic.num.partitions", "5", "partitions of __consumer_offsets (Kafka: 50)", mb::OptionKind::integer, 1,
     1000},
    {"offsets.topic.replication.factor", "3", "replicas of __consumer_offsets (capped to the live brokers)",
     mb::OptionKind::integer, 1, 32767},
    {"offsets.commit.timeout.ms", "5000", "an offset commit waits this long for its replicas",
     mb::OptionKind::integer, 1},
};

int64_t wall_clock_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// Kafka keeps the cluster id in meta.properties in the log directory; so do we.
std::string load_or_create_cluster_id(const std::string& dir) {
    std::string path = dir + "/meta.properties";
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line))
        if (line.starts_with("cluster.id=")) return line.substr(11);
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::random_device random;
    std::string id;
    for (int i = 0; i < 22; ++i) id.push_back(kAlphabet[random() % 64]);
    write_file_atomically(path, "version=1\ncluster.id=" + id + "\n");
    return id;
}

LogConfig log_defaults(const mb::Options& options) {
    LogConfig config;
    config.segment_bytes = options.integer("log.segment.bytes");
    config.segment_ms = options.integer("log.roll.ms");
    config.retention_bytes = options.integer("log.retention.bytes");
    config.retention_ms = options.integer("log.retention.ms");
    config.flush_messages = options.integer("log.flush.interval.messages");
    config.flush_ms = options.integer("log.flush.interval.ms");
    config.index_interval_bytes = options.integer("log.index.interval.bytes");
    config.max_message_bytes = options.integer("message.max.bytes");
    config.log_append_time = options.text("log.message.timestamp.type") == "LogAppendTime";
    return config;
}

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket socket, Broker& broker, SessionMetrics& metrics)
        : socket_(std::move(socket)),
          broker_(broker),
          metrics_(metrics),
          writer_wakeup_(socket_.get_executor()),
          reader_wakeup_(socket_.get_executor()) {
        writer_wakeup_.expires_at(asio::steady_timer::time_point::max());
        reader_wakeup_.expires_at(asio::steady_timer::time_point::max());
    }

    awaitable<void> run() {
        boost::system::error_code peer_ec;
        auto endpoint = socket_.remote_endpoint(peer_ec);
        if (!peer_ec) {
            peer_host_ = "/";  // Kafka's spelling: "/127.0.0.1"
            peer_host_ += endpoint.address().to_string();
        }
        using namespace asio::experimental::awaitable_operators;
        boost::system::error_code ec;
        socket_.native_non_blocking(true, ec);           // sendfile() must not block the broker thread
        auto both = read_requests() || write_replies();  // named: see docs/architecture.md, GCC 12
        co_await std::move(both);
    }

private:
    // A client may pipeline this many requests, or queue this many bytes of replies, before we
    // stop reading from it until the replies have gone out (backpressure: a client that does
    // not read its responses cannot make the broker buffer without limit). Record bytes do not
    // count - they stay in the segment files until sendfile() - but a Metadata reply listing
    // thousands of topics does. Kafka goes further: one request in flight per connection. Each
    // queued reply costs at least ~4.3 KB (see handle_request), so 256 of them are ~1.1 MB: a
    // few hundred connections that pipeline and never read cannot add up to gigabytes.
    static constexpr size_t kMaxQueuedReplies = 256;
    static constexpr size_t kMaxQueuedReplyBytes = 16 << 20;
    static constexpr size_t kReadChunk = 64 * 1024;
    static constexpr size_t kMaxReadAhead = 1024 * 1024;
    static constexpr size_t kShrinkAbove = 1 << 20;

    awaitable<void> read_requests() {
        size_t want = kReadChunk;
        for (;;) {
            std::span<char> space = in_.prepare(want);
            auto [ec, n] = co_await socket_.async_read_some(asio::buffer(space.data(), space.size()), use_tuple);
            if (ec) co_return;  // the client closed the connection (or reset it)
            in_.commit(n);
            metrics_.bytes_in.inc(n);
            // Handle every complete request already buffered: a pipelining client gets all
            // of their replies in the next write.
            want = kReadChunk;
            for (;;) {
                while (queue_is_full()) co_await reader_wakeup_.async_wait(use_tuple);
                Frame frame = next_frame(in_.readable(), broker_.config.max_request_bytes);
                if (frame.status == Frame::Status::need_more) {
                    if (in_.size() >= 4) {  // read the rest of a big request in few syscalls
                        // ... but make room for at most 1 MB more than has arrived: the size
                        // field is the client's word, and 4 bytes claiming 100 MB on each of a
                        // few connections would otherwise reserve gigabytes before a byte of it
                        // came (the buffer doubles as bytes arrive, so big requests stay cheap).
                        size_t total = 4 + mb::load_big_endian<uint32_t>(in_.data());
                        want = std::clamp(total - in_.size(), kReadChunk, kMaxReadAhead);
                    }
                    break;
                }
                if (frame.status != Frame::Status::complete) {
                    mb::log::warn("{}: request size {} is invalid or above socket.request.max.bytes ({}); closing",
                                  peer(), mb::load_big_endian<int32_t>(in_.data()), broker_.config.max_request_bytes);
                    co_return;
                }
                if (!handle_request(frame.bytes)) co_return;
                in_.consume(frame.consumed);
            }
            shrink_input_buffer();
            while (queue_is_full()) co_await reader_wakeup_.async_wait(use_tuple);
        }
    }

    // After a large request the buffer keeps its size while a pipelining client always leaves
    // the start of its next request in it (ByteBuffer gives memory back only when drained). A
    // client announcing big requests now and then would pin megabytes per connection for good:
    // the junk-request probe grew the broker past 100 MB that way. Move the few leftover bytes
    // to a small buffer instead.
    void shrink_input_buffer() {
        if (in_.capacity() <= kShrinkAbove || in_.size() > kReadChunk) return;
        mb::ByteBuffer smaller(kReadChunk);
        smaller.append(in_.readable());
        in_ = std::move(smaller);
    }

    bool queue_is_full() const {
        return queue_.size() >= kMaxQueuedReplies || queued_reply_bytes_ >= kMaxQueuedReplyBytes;
    }

    bool handle_request(std::string_view frame) {
        KafkaReader in(frame);
        RequestHeader header = decode_request_header(in);
        header.client_host = peer_host_;
        if (!in.ok()) {
            mb::log::warn("{}: malformed request header; closing", peer());
            return false;
        }
        metrics_.request(static_cast<int16_t>(header.api_key));
        std::shared_ptr<Reply> reply = take_reply();
        reply->start(header);
        bool decoded = false;
        try {
            decoded = dispatch(broker_, header, in, *reply);
        } catch (const std::exception& e) {
            // Handlers answer the errors a client can act on with Kafka error codes; what is
            // left (the disk refusing a write, no file descriptors left) ends this connection
            // with a log line. The client reconnects and retries; everyone else goes on.
            mb::log::error("{}: {} v{} failed: {}; closing the connection", peer(), api_name(header.api_key),
                           header.api_version, e.what());
            return false;
        }
        if (!decoded) {
            mb::log::warn("{}: could not decode {} v{} (correlation id {}); closing", peer(), api_name(header.api_key),
                          header.api_version, header.correlation_id);
            return false;
        }
        if (!reply->deferred()) reply->finish();
        // What the reply really costs while it waits: its buffer's capacity (at least 4 KiB, even
        // for a 20-byte answer) and the Reply itself, not just the bytes it will send. Counting
        // only those, 1,024 tiny replies looked like 20 KB and cost 4.5 MB, per connection.
        reply->queued_bytes = reply->bytes().capacity() + sizeof(Reply) + reply->held_bytes;
        queued_reply_bytes_ += reply->queued_bytes;
        queue_.push_back(std::move(reply));
        wake_writer();
        return true;
    }

    awaitable<void> write_replies() {
        std::vector<asio::const_buffer> buffers;
        for (;;) {
            if (queue_.empty() || !queue_.front()->ready()) {
                co_await writer_wakeup_.async_wait(use_tuple);
                continue;
            }
            // Send the ready replies at the front, in order, as few system calls as possible.
            size_t sent = 0;
            buffers.clear();
            // By index: the reader may append to the queue while we wait for the socket.
            for (size_t i = 0; i < queue_.size(); ++i) {
                const Reply* reply = queue_[i].get();
                if (!reply->ready() || sent == 64) break;
                ++sent;
                if (reply->omitted()) continue;  // acks=0: the client expects nothing
                std::string_view bytes = reply->bytes().readable();
                size_t done = 0;
                for (const FileSlice& slice : reply->slices()) {
                    buffers.push_back(asio::buffer(bytes.substr(done, slice.at - done)));
                    done = slice.at;
                    if (!co_await write(buffers, MSG_MORE) || !co_await send_file(slice)) co_return;
                }
                buffers.push_back(asio::buffer(bytes.substr(done)));
            }
            if (!co_await write(buffers)) co_return;
            for (size_t i = 0; i < sent; ++i) {
                queued_reply_bytes_ -= queue_.front()->queued_bytes;
                recycle(std::move(queue_.front()));
                queue_.pop_front();
            }
            reader_wakeup_.cancel();
        }
    }

    // `more` = MSG_MORE when record bytes from a file follow: the kernel holds these bytes back
    // and sends them in the same segments as the file's, instead of a small packet of their own
    // that would wake the client for a few dozen bytes of response header.
    awaitable<bool> write(std::vector<asio::const_buffer>& buffers, int more = 0) {
        size_t left = asio::buffer_size(buffers);
        while (left > 0) {
            auto [ec, n] = co_await socket_.async_send(buffers, more, use_tuple);
            if (ec) co_return false;
            metrics_.bytes_out.inc(n);
            left -= n;
            // A short send (the socket buffer was full): drop what went out, send the rest.
            auto part = buffers.begin();
            for (; n > 0 && n >= part->size(); ++part) n -= part->size();
            buffers.erase(buffers.begin(), part);
            if (n > 0) buffers.front() += n;
        }
        buffers.clear();
        co_return true;
    }

    // Kafka's zero-copy read path: the kernel copies from the page cache to the socket.
    awaitable<bool> send_file(const FileSlice& slice) {
        off_t offset = slice.position;
        size_t left = slice.size;
        while (left > 0) {
            ssize_t n = ::sendfile(socket_.native_handle(), slice.file->fd(), &offset, left);
            if (n > 0) {
                left -= static_cast<size_t>(n);
                metrics_.bytes_out.inc(static_cast<uint64_t>(n));
            } else if (n < 0 && errno == EINTR) {
                continue;
            } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                auto [ec] = co_await socket_.async_wait(tcp::socket::wait_write, use_tuple);
                if (ec) co_return false;
            } else {
                co_return false;  // the peer went away (or the file is shorter than promised)
            }
        }
        co_return true;
    }

    std::shared_ptr<Reply> take_reply() {
        if (!spare_.empty()) {
            auto reply = std::move(spare_.back());
            spare_.pop_back();
            return reply;
        }
        auto reply = std::make_shared<Reply>();
        reply->on_ready = [weak = weak_from_this()] {
            if (auto self = weak.lock()) self->wake_writer();
        };
        return reply;
    }
    void recycle(std::shared_ptr<Reply> reply) {
        // Reuse reply buffers (no allocation per request), unless someone else still holds it.
        if (reply.use_count() == 1 && spare_.size() < 64) spare_.push_back(std::move(reply));
    }

    void wake_writer() { writer_wakeup_.cancel(); }

    std::string peer() const {
        boost::system::error_code ec;
        auto endpoint = socket_.remote_endpoint(ec);
        return ec ? std::string("client") : endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
    }

    tcp::socket socket_;
    Broker& broker_;
    SessionMetrics& metrics_;
    std::string peer_host_;
    mb::ByteBuffer in_;
    std::deque<std::shared_ptr<Reply>> queue_;  // replies in request order
    size_t queued_reply_bytes_ = 0;             // their bytes() when queued (see kMaxQueuedReplyBytes)
    std::vector<std::shared_ptr<Reply>> spare_;
    asio::steady_timer writer_wakeup_;  // cancelled = "a reply may be ready"
    asio::steady_timer reader_wakeup_;  // cancelled = "the queue shrank"
};

// Flush by time, retention, group session timeouts: Broker::tick, every kTickMs.
awaitable<void> housekeeping(Broker& broker) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
        timer.expires_after(std::chrono::milliseconds(Broker::kTickMs));
        auto [ec] = co_await timer.async_wait(use_tuple);
        if (ec) co_return;
        broker.tick();
    }
}

// A plain function, not a capturing coroutine lambda (see docs/architecture.md, GCC 12).
awaitable<void> serve_connection(tcp::socket socket, Broker& broker, SessionMetrics& metrics) {
    metrics.connections.inc();
    auto session = std::make_shared<Session>(std::move(socket), broker, metrics);
    co_await session->run();
}

}  // namespace

std::span<const mb::OptionSpec> server_options() { return kOptions; }

int run_server(const mb::Options& options) {
    mb::log::Level level = mb::log::Level::info;
    mb::log::parse_level(options.text("loglevel"), level);
    mb::log::set_level(level);
    // sendfile() to a socket the client has closed raises SIGPIPE (Asio's own writes use
    // MSG_NOSIGNAL); we want the EPIPE error instead, which ends just that connection.
    std::signal(SIGPIPE, SIG_IGN);
    try {
        asio::io_context io(1);
        std::string dir = options.text("dir");
        std::filesystem::create_directories(dir);

        BackgroundWorker background([&io](std::function<void()> done) { asio::post(io, std::move(done)); });
        BrokerServices services;
        services.now_ms = wall_clock_ms;
        services.run_later = [&io](int64_t delay_ms, std::function<void()> callback) {
            if (delay_ms <= 0) return asio::post(io, std::move(callback));
            auto timer = std::make_shared<asio::steady_timer>(io, std::chrono::milliseconds(delay_ms));
            timer->async_wait([timer, callback = std::move(callback)](const boost::system::error_code& ec) {
                if (!ec) callback();
            });
        };
        services.background = &background;

        BrokerConfig config;
        config.node_id = static_cast<int32_t>(options.integer("broker.id"));
        config.cluster_id = load_or_create_cluster_id(dir);
        config.auto_create_topics = options.boolean("auto.create.topics.enable");
        config.num_partitions = static_cast<int32_t>(options.integer("num.partitions"));
        config.max_request_bytes = static_cast<uint32_t>(options.integer("socket.request.max.bytes"));
        config.retention_check_interval_ms = options.integer("log.retention.check.interval.ms");
        config.producer_id_expiration_ms = options.integer("producer.id.expiration.ms");
        config.producer_id_expiration_check_interval_ms = options.integer("producer.id.expiration.check.interval.ms");
        GroupConfig group_config;
        group_config.min_session_timeout_ms = static_cast<int32_t>(options.integer("group.min.session.timeout.ms"));
        group_config.max_session_timeout_ms = static_cast<int32_t>(options.integer("group.max.session.timeout.ms"));
        group_config.initial_rebalance_delay_ms = options.integer("group.initial.rebalance.delay.ms");
        group_config.empty_group_check_interval_ms = options.integer("offsets.retention.check.interval.ms");
        Broker broker(config, log_defaults(options), group_config, dir, services);
        mb::net::raise_open_files_limit();  // before load(): every segment file holds a descriptor
        broker.load(!options.text("controller.quorum.voters").empty());

        mb::Metrics metrics;
        SessionMetrics session_metrics = make_session_metrics(metrics);
        register_metrics(metrics, broker, session_metrics);  // server_metrics.cpp

        auto acceptor = mb::net::listen(io, options.text("bind"), static_cast<uint16_t>(options.integer("port")));
        broker.config.port = acceptor.local_endpoint().port();
        broker.config.advertised_host = options.text("advertised.host.name");
        if (broker.config.advertised_host.empty()) {
            std::string bind = options.text("bind");
            broker.config.advertised_host = bind == "0.0.0.0" || bind == "::" ? "127.0.0.1" : bind;
        }
        broker.tracing = options.boolean("trace");
        broker.trace_sink = [](std::string_view line) { mb::trace::emit(line); };  // the log and the live page
        AdminContext admin{broker, session_metrics, dir, static_cast<uint64_t>(options.integer("disk-free-limit"))};
        if (!options.text("admin-port").empty())
            mb::start_admin_http(io, options.text("bind"), static_cast<uint16_t>(options.integer("admin-port")),
                                 metrics, [&admin](const mb::HttpRequest& r) { return admin_api(admin, r); },
                                 {.index_html = admin_page(),
                                  .health = [&admin] { return health_problems(admin); },
                                  .pages = {}});  // admin_api.cpp

        ClusterNodePtr cluster = start_cluster_node(io, options, broker);  // null in single-node mode

        mb::net::ConnectionHandler handler = [&broker, &session_metrics](tcp::socket socket) {
            return serve_connection(std::move(socket), broker, session_metrics);
        };
        asio::co_spawn(io, mb::net::accept_loop(acceptor, std::move(handler)), asio::detached);
        asio::co_spawn(io, housekeeping(broker), asio::detached);
        mb::net::on_stop_signal(io, [&] {
            acceptor.close();
            io.stop();
        });
        io.run();
        if (cluster) stop_cluster_node(io, *cluster);  // a leader resigns (EndQuorumEpoch) first
        // Graceful stop: everything appended reaches the disk before we exit.
        background.drain();
        broker.flush_everything_now();
        mb::log::info("stopped");
        return 0;
    } catch (const std::exception& e) {
        mb::log::error("{}", e.what());
        return 1;
    }
}

}  // namespace minikafka
