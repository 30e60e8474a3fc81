// Google Benchmark micro-benchmarks of the log's hot paths, without sockets:
//   BM_ValidateBatch     CRC32C + header checks of a produced batch (bytes/s)
//   BM_SegmentAppend     PartitionLog::append (pwritev into the page cache, index upkeep)
//   BM_OffsetLookup      PartitionLog::read at a random offset of a 1 GB-sized index layout:
//                        binary search over segments, then over the sparse index, then a short
//                        scan - its cost must not grow with the log
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "../../tests/minikafka/batch_builder.hpp"
#include "storage/partition_log.hpp"

namespace {

using namespace minikafka;

std::string temp_dir() {
    char pattern[] = "/tmp/minikafka-bench-XXXXXX";
    return mkdtemp(pattern);
}

std::string batch_of(int records, size_t value_size) {
    return test::make_batch_of(static_cast<size_t>(records), std::string(value_size, 'v'));
}

void BM_ValidateBatch(benchmark::State& state) {
    std::string batch = batch_of(static_cast<int>(state.range(0)), 100);
    RecordBatchHeader header;
    for (auto _ : state) benchmark::DoNotOptimize(validate_batch(batch, header));
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * batch.size()));
}
BENCHMARK(BM_ValidateBatch)->Arg(1)->Arg(100)->Arg(1000);

void BM_SegmentAppend(benchmark::State& state) {
    std::string dir = temp_dir();
    {
        LogConfig config;
        config.segment_bytes = 256 << 20;
        PartitionLog log(dir + "/t-0", config, 0);
        std::string batch = batch_of(static_cast<int>(state.range(0)), 100);
        RecordBatchHeader header;
        validate_batch(batch, header);
        for (auto _ : state) benchmark::DoNotOptimize(log.append(batch, header, 0));
        state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * batch.size()));
        state.SetItemsProcessed(state.iterations() * state.range(0));
    }
    std::filesystem::remove_all(dir);
}
BENCHMARK(BM_SegmentAppend)->Arg(1)->Arg(100);

void BM_OffsetLookup(benchmark::State& state) {
    std::string dir = temp_dir();
    {
        LogConfig config;
        config.segment_bytes = 4 << 20;
        PartitionLog log(dir + "/t-0", config, 0);
        std::string batch = batch_of(10, 100);
        RecordBatchHeader header;
        validate_batch(batch, header);
        for (int64_t i = 0; i < state.range(0); ++i) log.append(batch, header, 0);
        std::mt19937_64 random(1);
        int64_t end = log.log_end_offset();
        for (auto _ : state) benchmark::DoNotOptimize(log.read(static_cast<int64_t>(random() % end), 1 << 20));
        state.counters["segments"] = static_cast<double>(log.segments().size());
    }
    std::filesystem::remove_all(dir);
}
BENCHMARK(BM_OffsetLookup)->Arg(10000)->Arg(100000)->Arg(1000000);

}  // namespace

BENCHMARK_MAIN();
