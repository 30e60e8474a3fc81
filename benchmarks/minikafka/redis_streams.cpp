// What a user here might pick instead of Kafka: Redis Streams on the real redis-server.
//   redis_streams PORT RECORDS SIZE
// Appends RECORDS entries of SIZE bytes with XADD (pipelined, 1000 per round trip - Redis'
// equivalent of a producer batch) and reads them back with XRANGE, 1000 per call.
#include <hiredis/hiredis.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {
using Clock = std::chrono::steady_clock;
double since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }
}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: redis_streams PORT RECORDS SIZE\n");
        return 2;
    }
    int port = std::atoi(argv[1]);
    long records = std::atol(argv[2]);
    std::string value(std::strtoul(argv[3], nullptr, 10), 'x');
    redisContext* redis = redisConnect("127.0.0.1", port);
    if (!redis || redis->err) {
        std::fprintf(stderr, "cannot connect to redis on port %d\n", port);
        return 1;
    }
    freeReplyObject(redisCommand(redis, "DEL bench"));
    const long pipeline = 1000;
    auto start = Clock::now();
    for (long done = 0; done < records;) {
        long batch = std::min(pipeline, records - done);
        for (long i = 0; i < batch; ++i) redisAppendCommand(redis, "XADD bench * v %b", value.data(), value.size());
        for (long i = 0; i < batch; ++i) {
            void* reply = nullptr;
            if (redisGetReply(redis, &reply) != REDIS_OK) return 1;
            freeReplyObject(reply);
        }
        done += batch;
    }
    double write_seconds = since(start);

    long read = 0;
    std::string from = "-";
    start = Clock::now();
    while (read < records) {
        auto* reply = static_cast<redisReply*>(redisCommand(redis, "XRANGE bench %s + COUNT 1000", from.c_str()));
        if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements == 0) break;
        read += static_cast<long>(reply->elements);
        std::string last = reply->element[reply->elements - 1]->element[0]->str;
        from = "(" + last;  // exclusive start (Redis >= 6.2)
        freeReplyObject(reply);
    }
    double read_seconds = since(start);
    double bytes = static_cast<double>(records) * static_cast<double>(value.size());
    std::printf("produce_records_per_s=%.0f produce_mb_per_s=%.1f consume_records_per_s=%.0f consume_mb_per_s=%.1f\n",
                records / write_seconds, bytes / write_seconds / 1e6, read / read_seconds, bytes / read_seconds / 1e6);
    redisFree(redis);
    return read == records ? 0 : 1;
}
