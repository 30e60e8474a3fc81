// Redis used as a message broker, measured the way the other two brokers are: a producer and a
// consumer on separate connections, every message carrying its sequence number and send time, so
// the consumer can count loss, duplication and reordering and measure end-to-end latency.
//
//   redis_msg_load queue   HOST PORT COUNT SIZE            RPUSH (pipelined) -> LPOP 256 at a time
//   redis_msg_load latency HOST PORT RATE SECONDS SIZE     paced RPUSH -> BLPOP, latency p50/p99 (us)
//   redis_msg_load pubsub  HOST PORT COUNT SIZE SUBSCRIBERS  PUBLISH (pipelined) -> N subscribers
//   redis_msg_load fill    HOST PORT KEY COUNT SIZE         RPUSH only: messages waiting in a list
// Output: one line of key=value pairs for benchmarks/comparison/run.py.
#include <hiredis/hiredis.h>

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

[[noreturn]] void die(const std::string& message) {
    std::fprintf(stderr, "redis_msg_load: %s\n", message.c_str());
    std::exit(1);
}

int64_t now_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch()).count();
}

redisContext* connect(const char* host, int port) {
    redisContext* c = redisConnect(host, port);
    if (!c || c->err) die(std::string("cannot connect: ") + (c ? c->errstr : "out of memory"));
    return c;
}

redisReply* reply_of(redisContext* c) {
    void* reply = nullptr;
    if (redisGetReply(c, &reply) != REDIS_OK || !reply) die(std::string("connection lost: ") + c->errstr);
    auto* r = static_cast<redisReply*>(reply);
    if (r->type == REDIS_REPLY_ERROR) die(std::string("error reply: ") + r->str);
    return r;
}

// A message: 8-byte sequence number, 8-byte send time (us), padding up to SIZE bytes.
std::string message(int64_t seq, size_t size) {
    std::string m(std::max<size_t>(size, 16), 'x');
    int64_t sent = now_us();
    std::memcpy(m.data(), &seq, 8);
    std::memcpy(m.data() + 8, &sent, 8);
    return m;
}

struct Received {
    int64_t count = 0, out_of_order = 0, duplicates = 0, last = -1;
    std::vector<char> seen;
    std::vector<int64_t> latencies;
    explicit Received(int64_t expected) : seen(static_cast<size_t>(expected), 0) {}
    void take(const char* data, size_t len) {
        if (len < 16) die("short message");
        int64_t seq, sent;
        std::memcpy(&seq, data, 8);
        std::memcpy(&sent, data + 8, 8);
        if (seq < 0 || seq >= static_cast<int64_t>(seen.size())) die("bad sequence number");
        if (seen[seq]) ++duplicates;
        seen[seq] = 1;
        if (seq < last) ++out_of_order;
        last = std::max(last, seq);
        latencies.push_back(now_us() - sent);
        ++count;
    }
};

int64_t percentile(std::vector<int64_t> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

int run_queue(const char* host, int port, int64_t count, size_t size) {
    const std::string key = "bench:queue:" + std::to_string(now_us());
    Received received(count);
    auto start = Clock::now();
    std::thread consumer([&] {
        redisContext* c = connect(host, port);
        while (received.count < count) {
            auto* r = static_cast<redisReply*>(redisCommand(c, "LPOP %b 256", key.data(), key.size()));
            if (!r) die("consumer lost its connection");
            if (r->type == REDIS_REPLY_ARRAY)
                for (size_t i = 0; i < r->elements; ++i) received.take(r->element[i]->str, r->element[i]->len);
            else if (r->type == REDIS_REPLY_NIL)
                std::this_thread::sleep_for(std::chrono::microseconds(50));  // empty: the producer is behind
            else if (r->type == REDIS_REPLY_ERROR)
                die(std::string("LPOP: ") + r->str);
            freeReplyObject(r);
        }
        redisFree(c);
    });
    redisContext* p = connect(host, port);
    constexpr int64_t kPipeline = 256;
    for (int64_t sent = 0; sent < count;) {
        int64_t batch = std::min(kPipeline, count - sent);
        for (int64_t i = 0; i < batch; ++i) {
            std::string m = message(sent + i, size);
            redisAppendCommand(p, "RPUSH %b %b", key.data(), key.size(), m.data(), m.size());
        }
        for (int64_t i = 0; i < batch; ++i) freeReplyObject(reply_of(p));
        sent += batch;
    }
    double produce_s = std::chrono::duration<double>(Clock::now() - start).count();
    consumer.join();
    double total_s = std::chrono::duration<double>(Clock::now() - start).count();
    freeReplyObject(redisCommand(p, "DEL %b", key.data(), key.size()));
    redisFree(p);
    std::printf("produced_per_s=%.0f consumed_per_s=%.0f mb_per_s=%.1f lost=%lld duplicates=%lld out_of_order=%lld\n",
                count / produce_s, count / total_s, count * static_cast<double>(size) / total_s / 1e6,
                static_cast<long long>(count - received.count + received.duplicates),
                static_cast<long long>(received.duplicates), static_cast<long long>(received.out_of_order));
    return 0;
}

int run_fill(const char* host, int port, const std::string& key, int64_t count, size_t size) {
    redisContext* p = connect(host, port);
    auto start = Clock::now();
    for (int64_t sent = 0; sent < count;) {
        int64_t batch = std::min<int64_t>(256, count - sent);
        for (int64_t i = 0; i < batch; ++i) {
            std::string m = message(sent + i, size);
            redisAppendCommand(p, "RPUSH %b %b", key.data(), key.size(), m.data(), m.size());
        }
        for (int64_t i = 0; i < batch; ++i) freeReplyObject(reply_of(p));
        sent += batch;
    }
    double s = std::chrono::duration<double>(Clock::now() - start).count();
    redisFree(p);
    std::printf("records=%lld produced_per_s=%.0f\n", static_cast<long long>(count), count / s);
    return 0;
}

int run_latency(const char* host, int port, int64_t rate, double seconds, size_t size) {
    const std::string key = "bench:latency:" + std::to_string(now_us());
    int64_t count = static_cast<int64_t>(rate * seconds);
    Received received(count);
    std::thread consumer([&] {
        redisContext* c = connect(host, port);
        while (received.count < count) {
            auto* r = static_cast<redisReply*>(redisCommand(c, "BLPOP %b 5", key.data(), key.size()));
            if (!r) die("consumer lost its connection");
            if (r->type == REDIS_REPLY_NIL) die("timed out waiting for messages");
            if (r->type == REDIS_REPLY_ARRAY && r->elements == 2) received.take(r->element[1]->str, r->element[1]->len);
            freeReplyObject(r);
        }
        redisFree(c);
    });
    redisContext* p = connect(host, port);
    auto start = Clock::now();
    for (int64_t i = 0; i < count; ++i) {
        std::this_thread::sleep_until(start + std::chrono::nanoseconds(static_cast<int64_t>(i * 1e9 / rate)));
        std::string m = message(i, size);
        redisAppendCommand(p, "RPUSH %b %b", key.data(), key.size(), m.data(), m.size());
        freeReplyObject(reply_of(p));
    }
    consumer.join();
    redisFree(p);
    std::printf("p50_us=%lld p99_us=%lld max_us=%lld lost=%lld out_of_order=%lld\n",
                static_cast<long long>(percentile(received.latencies, 0.50)),
                static_cast<long long>(percentile(received.latencies, 0.99)),
                static_cast<long long>(percentile(received.latencies, 1.0)),
                static_cast<long long>(count - received.count), static_cast<long long>(received.out_of_order));
    return 0;
}

int run_pubsub(const char* host, int port, int64_t count, size_t size, int subscribers) {
    const std::string channel = "bench:fanout:" + std::to_string(now_us());
    std::atomic<int> ready{0};
    std::atomic<bool> done{false};
    std::vector<int64_t> got(static_cast<size_t>(subscribers), 0);
    std::vector<std::thread> threads;
    for (int s = 0; s < subscribers; ++s) {
        threads.emplace_back([&, s] {
            redisContext* c = connect(host, port);
            struct timeval timeout = {1, 0};
            redisSetTimeout(c, timeout);
            redisAppendCommand(c, "SUBSCRIBE %b", channel.data(), channel.size());
            freeReplyObject(reply_of(c));
            ++ready;
            while (got[s] < count && !done) {
                void* reply = nullptr;
                if (redisGetReply(c, &reply) != REDIS_OK) break;  // timed out: the publisher is done
                auto* r = static_cast<redisReply*>(reply);
                if (r->type == REDIS_REPLY_ARRAY && r->elements == 3) ++got[s];
                freeReplyObject(r);
            }
            redisFree(c);
        });
    }
    while (ready < subscribers) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    redisContext* p = connect(host, port);
    auto start = Clock::now();
    int64_t delivered_said = 0;
    for (int64_t sent = 0; sent < count;) {
        int64_t batch = std::min<int64_t>(256, count - sent);
        for (int64_t i = 0; i < batch; ++i) {
            std::string m = message(sent + i, size);
            redisAppendCommand(p, "PUBLISH %b %b", channel.data(), channel.size(), m.data(), m.size());
        }
        for (int64_t i = 0; i < batch; ++i) {
            redisReply* r = reply_of(p);
            delivered_said += r->integer;
            freeReplyObject(r);
        }
        sent += batch;
    }
    for (auto& t : threads) t.join();
    done = true;
    double s = std::chrono::duration<double>(Clock::now() - start).count();
    int64_t delivered = 0;
    for (int64_t g : got) delivered += g;
    redisFree(p);
    std::printf("published_per_s=%.0f delivered_per_s=%.0f delivered=%lld expected=%lld publish_reported=%lld\n",
                count / s, delivered / s, static_cast<long long>(delivered),
                static_cast<long long>(count * subscribers), static_cast<long long>(delivered_said));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> a(argv + 1, argv + argc);
    if (a.size() == 5 && a[0] == "queue")
        return run_queue(a[1].c_str(), std::stoi(a[2]), std::stoll(a[3]), std::stoul(a[4]));
    if (a.size() == 6 && a[0] == "latency")
        return run_latency(a[1].c_str(), std::stoi(a[2]), std::stoll(a[3]), std::stod(a[4]), std::stoul(a[5]));
    if (a.size() == 6 && a[0] == "fill")
        return run_fill(a[1].c_str(), std::stoi(a[2]), a[3], std::stoll(a[4]), std::stoul(a[5]));
    if (a.size() == 6 && a[0] == "pubsub")
        return run_pubsub(a[1].c_str(), std::stoi(a[2]), std::stoll(a[3]), std::stoul(a[4]), std::stoi(a[5]));
    std::fprintf(stderr,
                 "usage: redis_msg_load queue HOST PORT COUNT SIZE\n"
                 "       redis_msg_load latency HOST PORT RATE SECONDS SIZE\n"
                 "       redis_msg_load pubsub HOST PORT COUNT SIZE SUBSCRIBERS\n"
                 "       redis_msg_load fill HOST PORT KEY COUNT SIZE\n");
    return 2;
}
