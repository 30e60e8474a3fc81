// minikafka/controller_link.cpp
//
// CONCEPT: the controller quorum on the network. Each node runs, on the broker thread:
//
//   controller listener (CONTROLLER://host:9192)          links to the other voters
//     accept ─▶ serve_quorum_connection                      Link 2 ──TCP──▶ node 2's :9193
//        read frame ─▶ dispatch_controller (handlers/) ─▶      Link 3 ──TCP──▶ node 3's :9194
//        the answer written back, in order                     (reconnect with backoff)
//                                                          a request: encoded (core/quorum_wire),
//   tick every 10 ms ─▶ Controller::tick ─▶ send(to, req) ─▶ queued on the link, written; the
//                                                          answer read back ─▶ handle_response
//
// Like Kafka, a voter sends its requests on its OWN outbound connection and reads the answers
// there; the peer answers on the connection the request came in on, in request order. A
// follower's Fetch may wait at the leader (the long poll, up to 500 ms), and nothing should wait
// behind it - a heartbeat, a vote, an AlterPartition - so Fetches have an outbound connection of
// their own to each voter (Kafka, too, keeps its raft client's connections apart from the
// broker-to-controller channel). So between two voters there are up to four TCP connections.
// A node that is down must not stall the others: each link is its own coroutine with its own
// bounded queue; while a link is not connected, what is sent to it is dropped (Raft resends on
// its timers - a Vote after quorum.request.timeout.ms, a Fetch on the next tick), and the link
// retries the connection with a backoff from 50 ms doubling to 1 s.
// READ NEXT: core/controller.hpp (the socket-free half), handlers/quorum.cpp.
#include "controller_link.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <deque>
#include <map>
#include <optional>

#include "base64.hpp"
#include "byte_buffer.hpp"
#include "core/controller.hpp"
#include "core/quorum_wire.hpp"
#include "crc32c.hpp"
#include "handlers/handler_table.hpp"
#include "listener.hpp"
#include "log.hpp"
#include "protocol/admin.hpp"
#include "replica_fetcher_link.hpp"
#include "storage/file.hpp"

namespace minikafka {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

constexpr int64_t kTickMs = 10;
constexpr size_t kMaxQueuedFrames = 256;
constexpr uint32_t kMaxQuorumFrameBytes = 64 << 20;

struct Listener {
    std::string name;  // PLAINTEXT, CONTROLLER, ...
    std::string host;
    int port = -1;
};

// Kafka's listener syntax: "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9192". The name
// before :// is the listener's name (mapped to a security protocol in Kafka; here always
// plaintext); controller.listener.names says which one the quorum uses.
bool parse_listeners(std::string_view text, std::vector<Listener>& out, std::string& why) {
    out.clear();
    while (!text.empty()) {
        const size_t comma = text.find(',');
        std::string_view item = text.substr(0, comma);
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
        const size_t scheme = item.find("://");
        const size_t colon = item.rfind(':');
        auto port = mb::Options::parse_integer(colon == std::string_view::npos ? "" : item.substr(colon + 1));
        if (scheme == std::string_view::npos || colon <= scheme || !port || *port < 0 || *port > 65535) {
            why = fmt::format("listener '{}' is not NAME://host:port", item);
            return false;
        }
        Listener l{std::string(item.substr(0, scheme)), std::string(item.substr(scheme + 3, colon - scheme - 3)),
                   static_cast<int>(*port)};
        if (l.host.empty()) l.host = "0.0.0.0";  // Kafka: an empty host binds every interface
        out.push_back(std::move(l));
    }
    return true;
}

const Listener* find_listener(const std::vector<Listener>& listeners, std::string_view name) {
    for (const Listener& l : listeners)
        if (l.name == name) return &l;
    return nullptr;
}

// ---- the outbound side: one Link per other voter ------------------------------------------------

struct Pending {
    ApiKey key;
    int16_t version;
    int32_t raft_correlation_id;
    // A forwarded admin request's answer goes here (nullptr: the connection was lost first).
    std::function<void(KafkaReader*)> on_answer;
};

struct Link {
    Link(asio::io_context& io, QuorumVoter voter, std::string purpose)
        : voter(std::move(voter)), purpose(std::move(purpose)), wakeup(io) {
        wakeup.expires_at(asio::steady_timer::time_point::max());
    }
    QuorumVoter voter;
    std::string purpose;  // "" or " (fetches)": for the log lines
    bool connected = false;
    std::deque<std::string> queue;       // encoded request frames, waiting to be written
    std::map<int32_t, Pending> pending;  // written, not answered yet (by wire correlation id)
    int32_t next_correlation_id = 1;
    asio::steady_timer wakeup;  // cancelled = "the queue has frames"
};

awaitable<void> write_requests(std::shared_ptr<Link> link, tcp::socket& socket) {
    std::string batch;
    for (;;) {
        if (link->queue.empty()) {
            co_await link->wakeup.async_wait(use_tuple);
            if (!socket.is_open()) co_return;
            continue;
        }
        batch.clear();
        while (!link->queue.empty()) {  // everything queued goes out in one write
            batch += link->queue.front();
            link->queue.pop_front();
        }
        auto [ec, n] = co_await asio::async_write(socket, asio::buffer(batch), use_tuple);
        if (ec) co_return;
    }
}

// Answers come back in request order on this connection (Kafka's rule), each naming its
// correlation id; an answer to nothing we asked, or one that does not decode, means the
// connection can no longer be trusted: drop it and reconnect.
awaitable<void> read_responses(std::shared_ptr<Link> link, tcp::socket& socket, Controller& controller) {
    mb::ByteBuffer in;
    for (;;) {
        std::span<char> space = in.prepare(64 * 1024);
        auto [ec, n] = co_await socket.async_read_some(asio::buffer(space.data(), space.size()), use_tuple);
        if (ec) co_return;
        in.commit(n);
        while (in.size() >= 4) {
            const uint32_t size = mb::load_big_endian<uint32_t>(in.data());
            if (size < 4 || size > kMaxQuorumFrameBytes) {
                mb::log::warn("controller link to node {}: bad response size {}; reconnecting", link->voter.id, size);
                co_return;
            }
            if (in.size() < 4 + size) break;
            KafkaReader reader(in.readable().substr(4, size));
            const int32_t correlation_id = reader.i32();
            auto pending = link->pending.find(correlation_id);
            if (pending == link->pending.end()) {
                mb::log::warn("controller link to node {}: answer to unknown request {}; reconnecting", link->voter.id,
                              correlation_id);
                co_return;
            }
            const Pending p = pending->second;
            link->pending.erase(pending);
            if (p.version >= first_flexible_version(p.key)) reader.skip_tagged_fields();  // response header v1
            if (p.on_answer) {
                p.on_answer(&reader);
                in.consume(4 + size);
                continue;
            }
            if (p.key == ApiKey::BrokerRegistration || p.key == ApiKey::BrokerHeartbeat) {
                std::optional<BrokerResponse> answer = broker_response_from_wire(p.key, p.version, reader);
                if (!answer) {
                    mb::log::warn("controller link to node {}: could not decode {} response; reconnecting",
                                  link->voter.id, api_name(p.key));
                    co_return;
                }
                controller.handle_broker_response(*answer, controller_clock_ms());
                in.consume(4 + size);
                continue;
            }
            std::optional<raft::Message> response = from_wire_response(p.key, p.version, reader, p.raft_correlation_id);
            if (!response) {
                mb::log::warn("controller link to node {}: could not decode {} v{} response; reconnecting",
                              link->voter.id, api_name(p.key), p.version);
                co_return;
            }
            controller.handle_response(link->voter.id, *response, controller_clock_ms());
            in.consume(4 + size);
        }
    }
}

// One voter's connection, for the life of the process: connect, serve until it breaks, back off,
// again. Resolving each time lets a voter's name move to another address between attempts.
awaitable<void> run_link(std::shared_ptr<Link> link, Controller& controller) {
    auto executor = co_await asio::this_coro::executor;
    asio::steady_timer backoff_timer(executor);
    tcp::resolver resolver(executor);
    int64_t backoff_ms = 50;
    bool warned = false;
    for (;;) {
        tcp::socket socket(executor);
        auto [resolve_ec, endpoints] =
            co_await resolver.async_resolve(link->voter.host, std::to_string(link->voter.port), use_tuple);
        boost::system::error_code connect_ec = resolve_ec;
        if (!resolve_ec) {
            auto [ec, endpoint] = co_await asio::async_connect(socket, endpoints, use_tuple);
            connect_ec = ec;
        }
        if (!connect_ec) {
            socket.set_option(tcp::no_delay(true));
            mb::log::info("controller link{} to node {} at {}:{} connected", link->purpose, link->voter.id,
                          link->voter.host, link->voter.port);
            backoff_ms = 50;
            warned = false;
            link->connected = true;
            using namespace asio::experimental::awaitable_operators;
            auto both = read_responses(link, socket, controller) || write_requests(link, socket);  // named: GCC 12
            co_await std::move(both);
            link->connected = false;
            link->queue.clear();                   // Raft resends what still matters
            auto lost = std::move(link->pending);  // answers on the old connection will never come
            link->pending.clear();
            for (auto& [id, pending] : lost)
                if (pending.on_answer) pending.on_answer(nullptr);
            mb::log::info("controller link{} to node {} lost; reconnecting", link->purpose, link->voter.id);
        } else if (!warned) {
            mb::log::info("controller link{} to node {} at {}:{}: {} (retrying)", link->purpose, link->voter.id,
                          link->voter.host, link->voter.port, connect_ec.message());
            warned = true;
        }
        backoff_timer.expires_after(std::chrono::milliseconds(backoff_ms));
        auto [ec] = co_await backoff_timer.async_wait(use_tuple);
        if (ec) co_return;
        backoff_ms = std::min<int64_t>(backoff_ms * 2, 1000);
    }
}

// ---- the inbound side: the controller listener ------------------------------------------------

// One connection of the controller listener: the small form of server.cpp's Session. Answers
// leave in request order; almost all are ready at once, but a follower's long-polled Fetch waits
// at the leader until there is news. So a reader handles requests and queues their replies while
// a writer sends the ready ones from the front of the queue (a parked Fetch's reply is finished
// later by Controller's `later`, and its on_ready wakes the writer).
struct QuorumConnection {
    explicit QuorumConnection(tcp::socket s)
        : socket(std::move(s)), writer_wakeup(socket.get_executor()), reader_wakeup(socket.get_executor()) {
        writer_wakeup.expires_at(asio::steady_timer::time_point::max());
        reader_wakeup.expires_at(asio::steady_timer::time_point::max());
    }
    tcp::socket socket;
    std::deque<std::shared_ptr<Reply>> replies;  // in request order
    asio::steady_timer writer_wakeup;            // cancelled = "a reply may be ready"
    asio::steady_timer reader_wakeup;            // cancelled = "the queue shrank"
};

// A peer that pipelines requests and never reads its answers stops being read at this many.
constexpr size_t kMaxQueuedAnswers = 64;

awaitable<void> read_quorum_requests(std::shared_ptr<QuorumConnection> c, Broker& broker) {
    mb::ByteBuffer in;
    for (;;) {
        std::span<char> space = in.prepare(64 * 1024);
        auto [ec, n] = co_await c->socket.async_read_some(asio::buffer(space.data(), space.size()), use_tuple);
        if (ec) co_return;
        in.commit(n);
        for (;;) {
            while (c->replies.size() >= kMaxQueuedAnswers) co_await c->reader_wakeup.async_wait(use_tuple);
            Frame frame = next_frame(in.readable(), kMaxQuorumFrameBytes);
            if (frame.status == Frame::Status::need_more) break;
            if (frame.status != Frame::Status::complete) {
                mb::log::warn("controller listener: bad request size; closing");
                co_return;
            }
            KafkaReader reader(frame.bytes);
            RequestHeader header = decode_request_header(reader);
            auto reply = std::make_shared<Reply>();
            reply->start(header);
            reply->on_ready = [weak = std::weak_ptr<QuorumConnection>(c)] {
                if (auto connection = weak.lock()) connection->writer_wakeup.cancel();
            };
            if (!reader.ok() || !dispatch_controller(broker, header, reader, *reply)) {
                mb::log::warn("controller listener: could not handle {} v{}; closing", api_name(header.api_key),
                              header.api_version);
                co_return;
            }
            if (!reply->deferred()) reply->finish();
            c->replies.push_back(std::move(reply));
            c->writer_wakeup.cancel();
            in.consume(frame.consumed);
        }
    }
}

awaitable<void> write_quorum_answers(std::shared_ptr<QuorumConnection> c) {
    std::string out;
    for (;;) {
        if (c->replies.empty() || !c->replies.front()->ready()) {
            co_await c->writer_wakeup.async_wait(use_tuple);
            continue;
        }
        out.clear();
        while (!c->replies.empty() && c->replies.front()->ready()) {  // every ready answer in one write
            out += c->replies.front()->bytes().readable();
            c->replies.pop_front();
        }
        c->reader_wakeup.cancel();
        auto [ec, n] = co_await asio::async_write(c->socket, asio::buffer(out), use_tuple);
        if (ec) co_return;
    }
}

// A plain function, not a capturing coroutine lambda (see docs/architecture.md, GCC 12).
awaitable<void> serve_quorum_connection(tcp::socket socket, Broker& broker) {
    auto connection = std::make_shared<QuorumConnection>(std::move(socket));
    using namespace asio::experimental::awaitable_operators;
    auto both = read_quorum_requests(connection, broker) || write_quorum_answers(connection);  // named: GCC 12
    co_await std::move(both);
}

// Every node of a cluster must carry the same cluster id (a broker from another cluster's disk is
// refused: INCONSISTENT_CLUSTER_ID). Kafka writes it into each log dir with `kafka-storage.sh
// format -t ID`; here it is --cluster.id, or else derived from controller.quorum.voters, which
// every node of one cluster is started with anyway. It goes into meta.properties, as Kafka's.
std::string cluster_id_for(const mb::Options& options) {
    if (!options.text("cluster.id").empty()) return options.text("cluster.id");
    const std::string& voters = options.text("controller.quorum.voters");
    std::string raw;
    for (uint32_t seed = 1; seed <= 4; ++seed) {
        uint32_t crc = mb::crc32c(voters, seed * 0x9e3779b9u);
        for (int shift = 24; shift >= 0; shift -= 8) raw.push_back(static_cast<char>(crc >> shift));
    }
    std::string id = mb::base64_encode(raw).substr(0, 22);  // a UUID's length in Kafka's base64
    for (char& c : id) {                                    // URL-safe, as Kafka's Uuid.toString()
        if (c == '+') c = '-';
        if (c == '/') c = '_';
    }
    return id;
}

awaitable<void> tick_loop(Controller& controller) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
        timer.expires_after(std::chrono::milliseconds(kTickMs));
        auto [ec] = co_await timer.async_wait(use_tuple);
        if (ec) co_return;
        controller.tick(controller_clock_ms());
    }
}

}  // namespace

class ClusterNode {
public:
    ClusterNode(asio::io_context& io, ControllerConfig config, std::optional<tcp::acceptor> acceptor)
        : controller(std::move(config), controller_clock_ms()), acceptor_(std::move(acceptor)) {
        for (const QuorumVoter& voter : controller.config().voters) {
            if (voter.id == controller.config().node_id) continue;
            links_[voter.id] = std::make_shared<Link>(io, voter, "");
            fetch_links_[voter.id] = std::make_shared<Link>(io, voter, " (fetches)");
        }
        controller.send = [this](int32_t to, const raft::Message& request) {
            const auto* fetch = std::get_if<raft::FetchRequest>(&request);
            send(to, to_wire_request(request, controller.config().cluster_id), fetch ? fetch->correlation_id : 0);
        };
        controller.send_broker = [this](int32_t to, const BrokerRequest& request) {
            send(to, to_wire_request(request), 0);
        };
    }

    // A request to the active controller whose answer nobody waits for (AlterPartition: its
    // effect arrives in the metadata image; a lost one is resent by the ReplicaManager).
    void send_to_controller(WireRequest wire) {
        send(controller.replica().leader_id(), wire, 0, [](KafkaReader*) {});
    }

    // Cluster mode's admin requests: to the active controller, on this node's link to it
    // (handlers/cluster_admin.cpp).
    void forward_admin(ApiKey key, std::string body, std::function<void(std::optional<Broker::TopicResults>)> done) {
        const int32_t leader = controller.replica().leader_id();
        const int16_t version = key == ApiKey::CreateTopics   ? kForwardedCreateTopicsVersion
                                : key == ApiKey::DeleteTopics ? kForwardedDeleteTopicsVersion
                                                              : kForwardedCreatePartitionsVersion;
        auto on_answer = [key, done](KafkaReader* reader) {
            if (!reader) return done(std::nullopt);
            Broker::TopicResults results = decode_topic_results(*reader, key);
            if (!reader->ok()) return done(std::nullopt);
            done(std::move(results));
        };
        if (!send(leader, WireRequest{key, version, std::move(body)}, 0, on_answer)) done(std::nullopt);
    }

    // Any other admin request the controller decides: sent as it came, the answer's body relayed.
    void forward_as_is(ApiKey key, int16_t version, std::string body,
                       std::function<void(std::optional<std::string>)> done) {
        auto on_answer = [done](KafkaReader* reader) {
            if (!reader) return done(std::nullopt);
            done(std::string(reader->rest()));
        };
        if (!send(controller.replica().leader_id(), WireRequest{key, version, std::move(body)}, 0, on_answer))
            done(std::nullopt);
    }

    void start(asio::io_context& io, Broker& broker) {
        for (auto* links : {&links_, &fetch_links_}) {
            for (auto& [id, link] : *links) asio::co_spawn(io, run_link(link, controller), asio::detached);
        }
        mb::net::ConnectionHandler handler = [&broker](tcp::socket socket) {
            return serve_quorum_connection(std::move(socket), broker);
        };
        if (acceptor_) asio::co_spawn(io, mb::net::accept_loop(*acceptor_, std::move(handler)), asio::detached);
        asio::co_spawn(io, tick_loop(controller), asio::detached);
    }

    Controller controller;
    std::shared_ptr<Replication> replication;

private:
    bool send(int32_t to, const WireRequest& wire, int32_t raft_correlation_id,
              std::function<void(KafkaReader*)> on_answer = {}) {
        auto& links = wire.key == ApiKey::Fetch ? fetch_links_ : links_;  // a Fetch may wait: its own link
        auto it = links.find(to);
        if (it == links.end()) return false;
        Link& link = *it->second;
        if (!link.connected || link.queue.size() >= kMaxQueuedFrames) return false;  // dropped: resent on a timer
        const int32_t correlation_id = link.next_correlation_id++;
        link.pending[correlation_id] = Pending{wire.key, wire.version, raft_correlation_id, std::move(on_answer)};
        link.queue.push_back(encode_request_frame(wire, correlation_id, "minikafka-controller"));
        link.wakeup.cancel();
        return true;
    }

    std::optional<tcp::acceptor> acceptor_;  // none on a broker outside the quorum
    std::map<int32_t, std::shared_ptr<Link>> links_;
    std::map<int32_t, std::shared_ptr<Link>> fetch_links_;  // the quorum's Fetches (long-polled)
};

void ClusterNodeDeleter::operator()(ClusterNode* node) const { delete node; }

void stop_cluster_node(asio::io_context& io, ClusterNode& node) {
    if (!node.controller.resign(controller_clock_ms())) return;  // not the leader: nothing to hand over
    // The EndQuorumEpoch requests are queued on the links; let them be written (a peer that is
    // down just misses it and times out as after a crash).
    io.restart();
    io.run_for(std::chrono::milliseconds(200));
}

int apply_cluster_options(mb::Options& options) {
    auto refuse = [](const std::string& why) {
        fmt::print(stderr, "minikafka: {}\n", why);
        return 2;
    };
    const std::string& voters_text = options.text("controller.quorum.voters");
    const std::string& roles = options.text("process.roles");
    if (voters_text.empty()) {
        if (!roles.empty())
            return refuse("process.roles needs controller.quorum.voters (without both, minikafka is one node)");
        return -1;  // single-node mode: nothing to do
    }
    // Combined mode (a broker and a voter), or a broker alone: an observer of the quorum, as a
    // fourth node joining a running cluster is (docs/minikafka/05, "Adding a broker").
    const bool broker_only = roles == "broker";
    if (roles != "broker,controller" && roles != "controller,broker" && !broker_only) {
        return refuse(
            fmt::format("process.roles={}: broker,controller (combined mode) or broker (a broker outside the "
                        "quorum) are supported",
                        roles.empty() ? "(unset)" : roles));
    }
    std::vector<QuorumVoter> voters;
    std::string why;
    if (!parse_quorum_voters(voters_text, voters, why)) return refuse("controller.quorum.voters: " + why);
    if (!options.is_set_explicitly("node.id")) return refuse("node.id is required with controller.quorum.voters");
    const int64_t node_id = options.integer("node.id");
    const bool voter = std::any_of(voters.begin(), voters.end(), [&](const QuorumVoter& v) { return v.id == node_id; });
    if (!voter && !broker_only) return refuse(fmt::format("node.id={} is not in controller.quorum.voters", node_id));
    if (voter && broker_only)
        return refuse(
            fmt::format("node.id={} is a voter in controller.quorum.voters: process.roles=broker,controller", node_id));
    std::vector<Listener> listeners;
    if (!parse_listeners(options.text("listeners"), listeners, why)) return refuse("listeners: " + why);
    const std::string& controller_name = options.text("controller.listener.names");
    for (const Listener& l : listeners) {
        if (l.name != "PLAINTEXT" && l.name != controller_name)
            return refuse(fmt::format("listeners: '{}' is neither PLAINTEXT nor {} (controller.listener.names)", l.name,
                                      controller_name));
    }
    // The later of listeners= and --port/--bind wins (the command line comes after the file).
    const Listener* plain = find_listener(listeners, "PLAINTEXT");
    if (plain && options.set_position("listeners") > options.set_position("port")) {
        options.set("bind", plain->host);
        options.set("port", std::to_string(plain->port));
    }
    options.set("broker.id", std::to_string(node_id));
    return -1;
}

ClusterNodePtr start_cluster_node(asio::io_context& io, const mb::Options& options, Broker& broker) {
    if (options.text("controller.quorum.voters").empty()) return nullptr;
    broker.config.cluster_id = cluster_id_for(options);
    write_file_atomically(
        options.text("dir") + "/meta.properties",
        fmt::format("version=1\ncluster.id={}\nnode.id={}\n", broker.config.cluster_id, options.integer("node.id")));
    ControllerConfig config;
    std::string why;
    parse_quorum_voters(options.text("controller.quorum.voters"), config.voters, why);  // checked by apply_...
    config.node_id = static_cast<int32_t>(options.integer("node.id"));
    config.data_dir = options.text("dir");
    config.cluster_id = broker.config.cluster_id;
    config.raft.election_timeout_ms = options.integer("quorum.election.timeout.ms");
    config.raft.fetch_timeout_ms = options.integer("quorum.fetch.timeout.ms");
    config.raft.request_timeout_ms = options.integer("quorum.request.timeout.ms");
    config.raft.snapshot_interval_records = options.integer("metadata.snapshot.interval.records");
    config.heartbeat_interval_ms = options.integer("broker.heartbeat.interval.ms");
    config.session_timeout_ms = options.integer("broker.session.timeout.ms");
    config.unclean_leader_election = options.boolean("unclean.leader.election.enable");
    config.auto_leader_rebalance = options.boolean("auto.leader.rebalance.enable");
    config.leader_imbalance_check_interval_ms = options.integer("leader.imbalance.check.interval.seconds") * 1000;

    // Where clients reach this broker: advertised.listeners' PLAINTEXT, else the bound port.
    std::vector<Listener> listeners;
    config.advertised = {"PLAINTEXT", broker.config.advertised_host, static_cast<uint16_t>(broker.config.port), 0};
    if (parse_listeners(options.text("advertised.listeners"), listeners, why)) {
        if (const Listener* plain = find_listener(listeners, "PLAINTEXT"))
            config.advertised = {"PLAINTEXT", plain->host, static_cast<uint16_t>(plain->port), 0};
    }
    // The controller port: the CONTROLLER listener, else this node's entry in the voters.
    std::string bind = options.text("bind");
    int port = -1;
    parse_listeners(options.text("listeners"), listeners, why);
    if (const Listener* l = find_listener(listeners, options.text("controller.listener.names"))) {
        bind = l->host;
        port = l->port;
    } else {
        for (const QuorumVoter& v : config.voters)
            if (v.id == config.node_id) port = v.port;
    }
    // A broker outside the quorum has no controller listener: nobody sends it quorum requests
    // (it asks, on its links to the voters, and reads the answers there).
    std::optional<tcp::acceptor> acceptor;
    if (port >= 0) acceptor.emplace(mb::net::listen(io, bind, static_cast<uint16_t>(port), "controller"));
    ClusterNodePtr node(new ClusterNode(io, std::move(config), std::move(acceptor)));
    node->controller.trace = [&broker](std::string_view line) { broker.trace("{}", line); };
    broker.controller = &node->controller;
    broker.ask_controller = [node = node.get()](ApiKey key, std::string body, auto done) {
        node->forward_admin(key, std::move(body), std::move(done));
    };
    broker.forward_to_controller = [node = node.get()](ApiKey key, int16_t version, std::string body, auto done) {
        node->forward_as_is(key, version, std::move(body), std::move(done));
    };
    node->replication = start_replication(io, options, broker, node->controller);
    set_alter_partition_sender(*node->replication, [node = node.get()](std::string body) {
        node->send_to_controller(WireRequest{ApiKey::AlterPartition, kAlterPartitionVersion, std::move(body)});
    });
    node->start(io, broker);
    return node;
}

mb::HttpResponse quorum_api(Broker& broker) {
    if (!broker.controller) return {404, "application/json", R"({"error":"no controller quorum: single-node mode"})"};
    return {200, "application/json", broker.controller->quorum_json(controller_clock_ms())};
}

}  // namespace minikafka
