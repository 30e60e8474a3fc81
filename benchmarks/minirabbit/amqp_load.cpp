// amqp_load: a load generator for any AMQP 0-9-1 broker, on rabbitmq-c (the C client), so that
// minirabbit and rabbitmq-server are measured by the same code. One connection per producer and
// per consumer thread (a rabbitmq-c connection is not thread-safe).
//
//   amqp_load --port 5672 --scenario transient|persistent|topic [--messages N] [--size 100]
//
//   transient   1 producer -> 1 consumer, transient messages, consumer auto-ack (no-ack)
//   persistent  1 producer -> 1 consumer, persistent messages on a durable queue, publisher
//               confirms (a window of unconfirmed messages), manual acks (prefetch, ack multiple)
//   topic       4 producers -> topic exchange -> 4 queues -> 4 consumers (producer i's keys
//               "bench.i.event" match only queue i's binding "bench.i.*"), transient, auto-ack
//   fanout      1 producer -> fanout exchange -> 4 queues -> 4 consumers: every message 4 times
//   fill        1 producer -> 1 queue, no consumer: the messages stay (how much memory they take)
//   backlog     1 producer -> durable queue "bench-backlog", persistent, confirms, no consumer: a
//               deep queue (add --keep 1 to publish onto what is already there)
//   drain       1 consumer empties "bench-backlog" (manual acks), --messages of them: the consume
//               rate from a deep queue (no producer; only counts, the bodies may be from any run)
//   spread      1 producer -> default exchange -> queues "bench-spread-0" ... "-(Q-1)" in turn
//               (--queues Q, declared beforehand by the caller), no consumer; with confirms, so
//               the publish rate is the broker's (enqueued), not how fast the socket takes bytes;
//               --prefix P names them P0 ... P(Q-1) instead (how the names' length matters:
//               docs/minirabbit/benchmarks.md, "Names in the slot")
//   --rate R    pace the producers at R messages/s each (latency at rest rather than flat out)
//   --batch N   publishers send N messages per write (default 1: rabbitmq-c's amqp_basic_publish)
//
// Why --batch: amqp_basic_publish makes three sendto calls per message (method, header, body), and
// on this 2-core machine those syscalls cap one producer thread near 120k messages/s whatever the
// broker does. Buffered clients (pika's select connection, the Go and .NET clients) write whatever
// publishes they have queued in one go; with --batch the producer encodes the same three frames per
// message itself (PublishEncoder, from the spec) and writes N messages at once, so the broker, not
// the client's syscalls, sets the pace.
//
// Every body starts with (producer id u32, sequence u64, send time ns u64), so consumers count lost
// and duplicated messages and measure end-to-end latency (send -> receive, one process, one clock).
// Prints one JSON line: rates, latency percentiles, lost, duplicates.
#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

struct Options {
    std::string host = "127.0.0.1";
    int port = 5672;
    std::string scenario = "transient";
    long messages = 200000;  // per producer
    size_t size = 100;
    int window = 1000;  // persistent: unconfirmed publishes in flight
    long rate = 0;      // messages/s per producer; 0 = as fast as possible
    int batch = 1;      // messages per write (1: rabbitmq-c's amqp_basic_publish)
    long queues = 1;    // spread: how many queues the producer cycles through
    bool keep = false;  // backlog: keep the queue's messages instead of deleting it first
    // spread: the queues' names without their number
    std::string prefix = "bench-spread-";
};

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "amqp_load: %s\n", what);
    std::exit(1);
}

void check(amqp_rpc_reply_t reply, const char* what) {
    if (reply.reply_type != AMQP_RESPONSE_NORMAL) fail(what);
}

amqp_connection_state_t connect(const Options& o) {
    amqp_connection_state_t conn = amqp_new_connection();
    amqp_socket_t* socket = amqp_tcp_socket_new(conn);
    if (amqp_socket_open(socket, o.host.c_str(), o.port) != AMQP_STATUS_OK) fail("cannot connect");
    check(amqp_login(conn, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest"), "login");
    amqp_channel_open(conn, 1);
    check(amqp_get_rpc_reply(conn), "channel.open");
    return conn;
}

void disconnect(amqp_connection_state_t conn) {
    amqp_channel_close(conn, 1, AMQP_REPLY_SUCCESS);
    amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(conn);
}

struct Scenario {
    int producers, consumers;
    bool persistent;
    std::string exchange;
    std::string exchange_type;
    std::vector<std::string> queues;        // queue i is consumed by consumer i
    std::vector<std::string> publish_keys;  // producer i publishes with key i
    bool declared_elsewhere = false;        // setup() leaves the queues alone (spread, drain, --keep)
    bool confirms = false;                  // publisher confirms for transient messages too (spread)
};

Scenario make_scenario(const Options& o) {
    if (o.scenario == "transient") return {1, 1, false, "", "", {"bench-transient"}, {"bench-transient"}};
    if (o.scenario == "persistent") return {1, 1, true, "", "", {"bench-persistent"}, {"bench-persistent"}};
    if (o.scenario == "fill") return {1, 0, false, "", "", {"bench-fill"}, {"bench-fill"}};
    if (o.scenario == "backlog") return {1, 0, true, "", "", {"bench-backlog"}, {"bench-backlog"}, o.keep};
    if (o.scenario == "drain") return {0, 1, true, "", "", {"bench-backlog"}, {}, true};
    if (o.scenario == "spread") {
        Scenario s{1, 0, false, "", "", {}, {}, true, true};
        for (long i = 0; i < o.queues; ++i) s.publish_keys.push_back(o.prefix + std::to_string(i));
        return s;
    }
    if (o.scenario == "fanout") {
        Scenario s{1, 4, false, "bench-fanout", "fanout", {}, {""}};
        for (int i = 0; i < 4; ++i) s.queues.push_back("bench-fanout-" + std::to_string(i));
        return s;
    }
    if (o.scenario == "topic") {
        Scenario s{4, 4, false, "bench-topic", "topic", {}, {}};
        for (int i = 0; i < 4; ++i) {
            s.queues.push_back("bench-topic-" + std::to_string(i));
            s.publish_keys.push_back("bench." + std::to_string(i) + ".event");
        }
        return s;
    }
    fail("unknown scenario (transient, persistent, topic, fanout, fill, backlog, drain, spread)");
}

void setup(const Options& o, const Scenario& s) {
    if (s.declared_elsewhere) return;
    amqp_connection_state_t conn = connect(o);
    if (!s.exchange.empty()) {
        amqp_exchange_declare(conn, 1, amqp_cstring_bytes(s.exchange.c_str()),
                              amqp_cstring_bytes(s.exchange_type.c_str()), 0, 0, 0, 0, amqp_empty_table);
        check(amqp_get_rpc_reply(conn), "exchange.declare");
    }
    for (size_t i = 0; i < s.queues.size(); ++i) {
        amqp_bytes_t q = amqp_cstring_bytes(s.queues[i].c_str());
        amqp_queue_delete(conn, 1, q, 0, 0);
        check(amqp_get_rpc_reply(conn), "queue.delete");
        amqp_queue_declare(conn, 1, q, 0, s.persistent, 0, 0, amqp_empty_table);
        check(amqp_get_rpc_reply(conn), "queue.declare");
        if (!s.exchange.empty()) {
            std::string key = s.exchange_type == "topic" ? "bench." + std::to_string(i) + ".*" : "";
            amqp_queue_bind(conn, 1, q, amqp_cstring_bytes(s.exchange.c_str()), amqp_cstring_bytes(key.c_str()),
                            amqp_empty_table);
            check(amqp_get_rpc_reply(conn), "queue.bind");
        }
    }
    disconnect(conn);
}

// basic.publish + content header + one body frame, encoded as the spec's frames (section 4.2.3):
// type, channel, payload size, payload, frame-end 0xCE.
class PublishEncoder {
public:
    void add(const std::string& exchange, const std::string& key, uint8_t delivery_mode, const std::string& body) {
        frame(1, [&] {
            u16(60), u16(40), u16(0);  // basic.publish, reserved ticket
            shortstr(exchange), shortstr(key);
            out_.push_back(0);  // mandatory, immediate: off
        });
        frame(2, [&] {
            u16(60), u16(0), u64(body.size());
            u16(0x1000), out_.push_back(static_cast<char>(delivery_mode));  // property flags: delivery-mode only
        });
        frame(3, [&] { out_.append(body); });
    }
    std::string& bytes() { return out_; }

private:
    template <class F>
    void frame(uint8_t type, F payload) {
        out_.push_back(static_cast<char>(type));
        u16(1);
        size_t size_at = out_.size();
        u32(0);
        payload();
        uint32_t n = static_cast<uint32_t>(out_.size() - size_at - 4);
        for (int i = 0; i < 4; ++i) out_[size_at + static_cast<size_t>(i)] = static_cast<char>(n >> (24 - 8 * i));
        out_.push_back(static_cast<char>(0xCE));
    }
    void u16(uint16_t v) { out_.push_back(static_cast<char>(v >> 8)), out_.push_back(static_cast<char>(v)); }
    void u32(uint32_t v) { u16(static_cast<uint16_t>(v >> 16)), u16(static_cast<uint16_t>(v)); }
    void u64(uint64_t v) { u32(static_cast<uint32_t>(v >> 32)), u32(static_cast<uint32_t>(v)); }
    void shortstr(const std::string& s) { out_.push_back(static_cast<char>(s.size())), out_.append(s); }
    std::string out_;
};

void send_all(amqp_connection_state_t conn, std::string& bytes) {
    int fd = amqp_get_sockfd(conn);
    for (size_t done = 0; done < bytes.size();) {
        ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            pollfd p{fd, POLLOUT, 0};  // rabbitmq-c keeps its socket non-blocking
            ::poll(&p, 1, -1);
            continue;
        }
        if (n <= 0) fail("send");
        done += static_cast<size_t>(n);
    }
    bytes.clear();
}

struct ProducerResult {
    int64_t start_ns = 0, end_ns = 0;
};

void produce(const Options& o, const Scenario& s, int id, ProducerResult& result, std::atomic<int>& ready) {
    amqp_connection_state_t conn = connect(o);
    const bool confirms = s.persistent || s.confirms;
    if (confirms) {
        amqp_confirm_select(conn, 1);
        check(amqp_get_rpc_reply(conn), "confirm.select");
    }
    std::string body(std::max<size_t>(o.size, 20), 'x');
    amqp_basic_properties_t props{};
    props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG;
    props.delivery_mode = s.persistent ? 2 : 1;
    amqp_bytes_t exchange = amqp_cstring_bytes(s.exchange.c_str());
    // spread: the one producer cycles through every queue's name; otherwise producer i has key i.
    auto key_of = [&](long seq) -> const std::string& {
        return s.publish_keys[s.publish_keys.size() > static_cast<size_t>(s.producers)
                                  ? static_cast<size_t>(seq) % s.publish_keys.size()
                                  : static_cast<size_t>(id)];
    };
    PublishEncoder encoder;  // --batch > 1: publishes encoded here, sent `batch` at a time
    int unsent = 0;
    ready.fetch_add(1);
    while (ready.load() >= 0) std::this_thread::yield();  // start together
    result.start_ns = now_ns();
    uint64_t confirmed = 0;
    for (long seq = 0; seq < o.messages; ++seq) {
        if (o.rate > 0)
            std::this_thread::sleep_until(Clock::time_point(std::chrono::nanoseconds(
                result.start_ns + static_cast<int64_t>(static_cast<double>(seq) * 1e9 / static_cast<double>(o.rate)))));
        uint32_t pid = static_cast<uint32_t>(id);
        uint64_t sequence = static_cast<uint64_t>(seq);
        int64_t sent = now_ns();
        std::memcpy(body.data(), &pid, 4);
        std::memcpy(body.data() + 4, &sequence, 8);
        std::memcpy(body.data() + 12, &sent, 8);
        if (o.batch == 1) {
            if (amqp_basic_publish(conn, 1, exchange, amqp_cstring_bytes(key_of(seq).c_str()), 0, 0, &props,
                                   amqp_bytes_t{body.size(), body.data()}) != AMQP_STATUS_OK)
                fail("publish");
        } else {
            encoder.add(s.exchange, key_of(seq), props.delivery_mode, body);
            if (++unsent == o.batch || o.rate > 0) send_all(conn, encoder.bytes()), unsent = 0;
        }
        // Persistent: keep at most `window` publishes unconfirmed (the usual way to use confirms).
        while (confirms && sequence + 1 - confirmed >= static_cast<uint64_t>(o.window)) {
            if (unsent) send_all(conn, encoder.bytes()), unsent = 0;
            amqp_frame_t frame;
            if (amqp_simple_wait_frame(conn, &frame) != AMQP_STATUS_OK) fail("wait for confirm");
            if (frame.frame_type == AMQP_FRAME_METHOD && frame.payload.method.id == AMQP_BASIC_ACK_METHOD)
                confirmed = static_cast<amqp_basic_ack_t*>(frame.payload.method.decoded)->delivery_tag;
            else if (frame.frame_type == AMQP_FRAME_METHOD && frame.payload.method.id == AMQP_BASIC_NACK_METHOD)
                fail("nacked");
        }
    }
    if (unsent) send_all(conn, encoder.bytes());
    while (confirms && confirmed < static_cast<uint64_t>(o.messages)) {
        amqp_frame_t frame;
        if (amqp_simple_wait_frame(conn, &frame) != AMQP_STATUS_OK) fail("wait for confirm");
        if (frame.frame_type == AMQP_FRAME_METHOD && frame.payload.method.id == AMQP_BASIC_ACK_METHOD)
            confirmed = static_cast<amqp_basic_ack_t*>(frame.payload.method.decoded)->delivery_tag;
    }
    result.end_ns = now_ns();
    disconnect(conn);
}

struct ConsumerResult {
    int64_t first_ns = 0, last_ns = 0;
    long received = 0, duplicates = 0, out_of_order = 0;
    std::vector<int64_t> latencies_ns;
    std::vector<std::vector<bool>> seen;  // [producer][seq]
};

void consume(const Options& o, const Scenario& s, int id, long expected, ConsumerResult& r, std::atomic<int>& ready) {
    amqp_connection_state_t conn = connect(o);
    bool manual_ack = s.persistent;
    if (manual_ack) {
        amqp_basic_qos(conn, 1, 0, 2000, 0);
        check(amqp_get_rpc_reply(conn), "basic.qos");
    }
    amqp_basic_consume(conn, 1, amqp_cstring_bytes(s.queues[static_cast<size_t>(id)].c_str()), amqp_empty_bytes, 0,
                       manual_ack ? 0 : 1, 0, amqp_empty_table);
    check(amqp_get_rpc_reply(conn), "basic.consume");
    r.seen.assign(static_cast<size_t>(s.producers), std::vector<bool>(static_cast<size_t>(o.messages), false));
    r.latencies_ns.reserve(static_cast<size_t>(expected));
    std::vector<uint64_t> next_seq(static_cast<size_t>(s.producers), 0);
    ready.fetch_add(1);
    timeval timeout{10, 0};  // nothing for 10 s: the rest is lost
    while (r.received < expected) {
        amqp_envelope_t envelope;
        amqp_maybe_release_buffers(conn);
        amqp_rpc_reply_t reply = amqp_consume_message(conn, &envelope, &timeout, 0);
        if (reply.reply_type != AMQP_RESPONSE_NORMAL) break;
        int64_t t = now_ns();
        if (r.first_ns == 0) r.first_ns = t;
        r.last_ns = t;
        const char* b = static_cast<const char*>(envelope.message.body.bytes);
        uint32_t pid;
        uint64_t seq;
        int64_t sent;
        std::memcpy(&pid, b, 4);
        std::memcpy(&seq, b + 4, 8);
        std::memcpy(&sent, b + 12, 8);
        r.latencies_ns.push_back(t - sent);
        if (pid < r.seen.size() && seq < r.seen[pid].size()) {
            if (r.seen[pid][seq]) ++r.duplicates;
            r.seen[pid][seq] = true;
            if (seq != next_seq[pid]) ++r.out_of_order;
            next_seq[pid] = seq + 1;
        }
        ++r.received;
        // Manual acks: one basic.ack(multiple) per 100 deliveries, as throughput-minded consumers do.
        if (manual_ack && (r.received % 100 == 0 || r.received == expected))
            amqp_basic_ack(conn, 1, envelope.delivery_tag, 1);
        amqp_destroy_envelope(&envelope);
    }
    disconnect(conn);
}

double percentile(std::vector<int64_t>& v, double p) {
    if (v.empty()) return 0;
    size_t k = std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * static_cast<double>(v.size())));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return static_cast<double>(v[k]) / 1000.0;  // microseconds
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string name = argv[i], value = argv[i + 1];
        if (name == "--host")
            o.host = value;
        else if (name == "--port")
            o.port = std::atoi(value.c_str());
        else if (name == "--scenario")
            o.scenario = value;
        else if (name == "--messages")
            o.messages = std::atol(value.c_str());
        else if (name == "--size")
            o.size = static_cast<size_t>(std::atol(value.c_str()));
        else if (name == "--rate")
            o.rate = std::atol(value.c_str());
        else if (name == "--batch")
            o.batch = std::atoi(value.c_str());
        else if (name == "--window")
            o.window = std::atoi(value.c_str());
        else if (name == "--queues")
            o.queues = std::max(1L, std::atol(value.c_str()));
        else if (name == "--prefix")
            o.prefix = value;
        else if (name == "--keep")
            o.keep = value != "0";
        else
            fail(
                "usage: amqp_load --port P --scenario transient|persistent|topic|fanout|fill|backlog|drain|spread "
                "[--messages N] [--queues Q] [--prefix P] [--keep 1] "
                "[--size B] [--rate R] [--batch N]");
    }
    if (o.batch < 1 || (o.batch > 1 && o.size > 128 * 1024))
        fail("--batch needs N >= 1 and one body frame per message");
    Scenario s = make_scenario(o);
    setup(o, s);
    std::vector<ProducerResult> producers(static_cast<size_t>(s.producers));
    std::vector<ConsumerResult> consumers(static_cast<size_t>(s.consumers));
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    // Each queue gets the messages of the producers routed to it: here, one producer per queue.
    for (int i = 0; i < s.consumers; ++i)
        threads.emplace_back(consume, std::cref(o), std::cref(s), i, o.messages,
                             std::ref(consumers[static_cast<size_t>(i)]), std::ref(ready));
    while (ready.load() < s.consumers) std::this_thread::yield();
    ready = 0;
    for (int i = 0; i < s.producers; ++i)
        threads.emplace_back(produce, std::cref(o), std::cref(s), i, std::ref(producers[static_cast<size_t>(i)]),
                             std::ref(ready));
    while (ready.load() < s.producers) std::this_thread::yield();
    const int64_t go_ns = now_ns();
    ready = -1;  // go
    for (auto& t : threads) t.join();

    int64_t publish_start = INT64_MAX, publish_end = 0, consume_start = INT64_MAX, consume_end = 0;
    long received = 0, duplicates = 0, out_of_order = 0, lost = 0;
    std::vector<int64_t> latencies;
    for (auto& p : producers)
        publish_start = std::min(publish_start, p.start_ns), publish_end = std::max(publish_end, p.end_ns);
    for (auto& c : consumers) {
        if (c.first_ns) consume_start = std::min(consume_start, c.first_ns);
        consume_end = std::max(consume_end, c.last_ns);
        received += c.received;
        duplicates += c.duplicates;
        out_of_order += c.out_of_order;
        latencies.insert(latencies.end(), c.latencies_ns.begin(), c.latencies_ns.end());
        for (size_t pid = 0; pid < c.seen.size(); ++pid) {
            // A queue holds only the producers routed to it; count losses against those that arrived.
            long got = static_cast<long>(std::count(c.seen[pid].begin(), c.seen[pid].end(), true));
            if (got > 0) lost += o.messages - got;
        }
    }
    if (s.producers == 0) publish_start = go_ns, publish_end = go_ns + 1;  // drain: time from the start
    long sent = s.producers > 0 ? o.messages * s.producers : o.messages;
    if (s.consumers > 0 && received < sent && lost == 0) lost = sent - received;  // fill: nobody consumes
    double publish_s = static_cast<double>(publish_end - publish_start) / 1e9;
    double consume_s = s.consumers > 0 ? static_cast<double>(consume_end - publish_start) / 1e9 : 1e300;
    std::printf(
        "{\"scenario\":\"%s\",\"messages\":%ld,\"size\":%zu,\"publish_rate\":%.0f,\"consume_rate\":%.0f,"
        "\"p50_us\":%.1f,\"p99_us\":%.1f,\"received\":%ld,\"lost\":%ld,\"duplicates\":%ld,\"out_of_order\":%ld}\n",
        o.scenario.c_str(), sent, o.size, static_cast<double>(sent) / publish_s,
        static_cast<double>(received) / consume_s, percentile(latencies, 50), percentile(latencies, 99), received, lost,
        duplicates, out_of_order);
    return lost == 0 && duplicates == 0 ? 0 : 3;
}
