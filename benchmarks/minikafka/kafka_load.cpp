// The load tool: librdkafka (the client behind kcat and confluent-kafka) producing to and
// consuming from any Kafka-protocol broker, measuring what a user would see.
//
//   kafka_load produce  BOOTSTRAP TOPIC RECORDS SIZE ACKS      records/s and MB/s (batched)
//   kafka_load consume  BOOTSTRAP TOPIC RECORDS [TIMEOUT_S]    records/s and MB/s from offset 0
//   kafka_load latency  BOOTSTRAP TOPIC RATE SECONDS SIZE ACKS produce latency p50/p99/max (us) at
//                                                             a paced RATE records/s
// Output: one line "key=value ..." for benchmarks/minikafka/compare.py to parse.
#include <librdkafka/rdkafka.h>

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
    std::fprintf(stderr, "kafka_load: %s\n", message.c_str());
    std::exit(1);
}

void set(rd_kafka_conf_t* conf, const char* name, const std::string& value) {
    char error[512];
    if (rd_kafka_conf_set(conf, name, value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK) die(error);
}

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

struct Delivery {
    long delivered = 0;
    long failed = 0;
    std::vector<int64_t>* latencies_us = nullptr;  // latency mode only
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
    auto* delivery = static_cast<Delivery*>(opaque);
    if (message->err) {
        ++delivery->failed;
        return;
    }
    ++delivery->delivered;
    if (delivery->latencies_us) {
        auto sent = reinterpret_cast<intptr_t>(message->_private);
        int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch()).count();
        delivery->latencies_us->push_back(now - sent);
    }
}

rd_kafka_t* make_producer(const std::string& bootstrap, const std::string& acks, Delivery& delivery, int linger_ms) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", bootstrap);
    set(conf, "acks", acks);
    set(conf, "linger.ms", std::to_string(linger_ms));
    set(conf, "queue.buffering.max.messages", "2000000");
    set(conf, "queue.buffering.max.kbytes", "2097151");
    set(conf, "batch.size", "1000000");
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, &delivery);
    char error[512];
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
    if (!rk) die(error);
    return rk;
}

void produce_one(rd_kafka_t* rk, rd_kafka_topic_t* topic, std::string& payload, void* opaque) {
    while (rd_kafka_produce(topic, 0, 0, payload.data(), payload.size(), nullptr, 0, opaque) != 0) {
        if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) die(rd_kafka_err2str(rd_kafka_last_error()));
        rd_kafka_poll(rk, 1);
    }
}

int produce(const std::string& bootstrap, const std::string& topic_name, long records, size_t size,
            const std::string& acks) {
    Delivery delivery;
    rd_kafka_t* rk = make_producer(bootstrap, acks, delivery, 5);
    rd_kafka_topic_t* topic = rd_kafka_topic_new(rk, topic_name.c_str(), nullptr);
    std::string payload(size, 'x');
    // Warm up: connect and learn the partition leader before the clock starts.
    produce_one(rk, topic, payload, nullptr);
    rd_kafka_flush(rk, 10000);
    delivery = Delivery{};
    auto start = Clock::now();
    for (long i = 0; i < records; ++i) {
        produce_one(rk, topic, payload, nullptr);
        if ((i & 1023) == 0) rd_kafka_poll(rk, 0);
    }
    while (delivery.delivered + delivery.failed < records) rd_kafka_poll(rk, 10);
    double elapsed = seconds_since(start);
    std::printf("records=%ld failed=%ld seconds=%.3f records_per_s=%.0f mb_per_s=%.1f\n", delivery.delivered,
                delivery.failed, elapsed, records / elapsed, records * static_cast<double>(size) / elapsed / 1e6);
    rd_kafka_topic_destroy(topic);
    rd_kafka_destroy(rk);
    return delivery.failed == 0 ? 0 : 1;
}

int consume(const std::string& bootstrap, const std::string& topic_name, long records, int timeout_s) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", bootstrap);
    set(conf, "group.id", "kafka-load");  // required by the API; no group protocol is used (assign)
    set(conf, "enable.auto.commit", "false");
    // Fetch sizes are librdkafka's defaults (1 MB per partition, what a user gets). librdkafka
    // reads each response into a buffer of its own of the response's size: with 8 MB fetches
    // every response was a fresh 8 MB allocation, memory the kernel had to back again page by
    // page, and consumption ran 2.5-3x slower (0.36-0.45 against 0.86-1.52 GB/s for 1 KB records,
    // the same broker, the same run) - a cost in the client, not the broker.
    char error[512];
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
    if (!rk) die(error);
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t* partitions = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(partitions, topic_name.c_str(), 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk, partitions);
    rd_kafka_topic_partition_list_destroy(partitions);
    // Messages are taken from librdkafka's queue a batch at a time (rd_kafka_consume_batch_queue),
    // as a throughput-minded application does; one call per message would measure the client's
    // per-call overhead rather than the broker.
    rd_kafka_queue_t* queue = rd_kafka_queue_get_consumer(rk);
    std::vector<rd_kafka_message_t*> batch(10000);
    long received = 0;
    double bytes = 0;
    Clock::time_point start;
    auto deadline = Clock::now() + std::chrono::seconds(timeout_s);
    while (received < records && Clock::now() < deadline) {
        ssize_t n = rd_kafka_consume_batch_queue(queue, 100, batch.data(), batch.size());
        for (ssize_t i = 0; i < n; ++i) {
            rd_kafka_message_t* message = batch[static_cast<size_t>(i)];
            if (!message->err) {
                if (received == 0) start = Clock::now();  // from the first record: excludes connecting
                ++received;
                bytes += static_cast<double>(message->len);
            }
            rd_kafka_message_destroy(message);
        }
    }
    rd_kafka_queue_destroy(queue);
    double elapsed = seconds_since(start);
    std::printf("records=%ld seconds=%.3f records_per_s=%.0f mb_per_s=%.1f\n", received, elapsed, received / elapsed,
                bytes / elapsed / 1e6);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    // >=: a batch may carry records past the count (the producer's warm-up record is one more).
    return received >= records ? 0 : 1;
}

int latency(const std::string& bootstrap, const std::string& topic_name, long rate, int seconds, size_t size,
            const std::string& acks) {
    std::vector<int64_t> latencies;
    latencies.reserve(static_cast<size_t>(rate) * seconds + 16);
    Delivery delivery;
    rd_kafka_t* rk = make_producer(bootstrap, acks, delivery, 0);  // no linger: send at once
    rd_kafka_topic_t* topic = rd_kafka_topic_new(rk, topic_name.c_str(), nullptr);
    std::string payload(size, 'x');
    produce_one(rk, topic, payload, nullptr);
    rd_kafka_flush(rk, 10000);
    delivery = Delivery{};
    delivery.latencies_us = &latencies;
    // Delivery reports are taken by a thread of their own that waits in rd_kafka_poll, so each is
    // timed when librdkafka has it, not when the pacing loop next looks (polling from the loop
    // between its 200 us sleeps added up to ~300 us to every latency, against any broker). It is
    // the only thread that runs the callback, so `latencies` needs no lock.
    std::atomic<bool> sending{true};
    std::thread reports([&] {
        while (sending.load() || rd_kafka_outq_len(rk) > 0) rd_kafka_poll(rk, 100);
    });
    // Paced: every 200 us, the records due by then.
    auto start = Clock::now();
    long sent = 0, total = rate * seconds;
    while (sent < total) {
        long due = std::min(total, static_cast<long>(seconds_since(start) * static_cast<double>(rate)));
        for (; sent < due; ++sent) {
            int64_t now =
                std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch()).count();
            while (rd_kafka_produce(topic, 0, 0, payload.data(), payload.size(), nullptr, 0,
                                    reinterpret_cast<void*>(static_cast<intptr_t>(now))) != 0) {
                if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                    die(rd_kafka_err2str(rd_kafka_last_error()));
                std::this_thread::sleep_for(std::chrono::microseconds(100));
            }
        }
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    sending = false;
    reports.join();  // every record answered (or failed by message.timeout.ms)
    std::sort(latencies.begin(), latencies.end());
    auto at = [&](double q) {
        return latencies.empty() ? -1 : latencies[static_cast<size_t>(q * (latencies.size() - 1))];
    };
    double achieved = static_cast<double>(delivery.delivered) / seconds_since(start);
    std::printf("records=%ld failed=%ld achieved_per_s=%.0f p50_us=%ld p99_us=%ld max_us=%ld\n", delivery.delivered,
                delivery.failed, achieved, static_cast<long>(at(0.5)), static_cast<long>(at(0.99)),
                static_cast<long>(at(1.0)));
    rd_kafka_topic_destroy(topic);
    rd_kafka_destroy(rk);
    return delivery.failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.size() == 5 && args[0] == "produce")
        return produce(args[1], args[2], std::stol(args[3]), std::stoul(args[4]), "1");
    if (args.size() == 6 && args[0] == "produce")
        return produce(args[1], args[2], std::stol(args[3]), std::stoul(args[4]), args[5]);
    if (args.size() == 4 && args[0] == "consume") return consume(args[1], args[2], std::stol(args[3]), 120);
    if (args.size() == 5 && args[0] == "consume")
        return consume(args[1], args[2], std::stol(args[3]), std::stoi(args[4]));
    if (args.size() == 7 && args[0] == "latency")
        return latency(args[1], args[2], std::stol(args[3]), std::stoi(args[4]), std::stoul(args[5]), args[6]);
    std::fprintf(stderr,
                 "usage: kafka_load produce BOOTSTRAP TOPIC RECORDS SIZE [ACKS]\n"
                 "       kafka_load consume BOOTSTRAP TOPIC RECORDS [TIMEOUT_S]\n"
                 "       kafka_load latency BOOTSTRAP TOPIC RATE SECONDS SIZE ACKS\n");
    return 2;
}
