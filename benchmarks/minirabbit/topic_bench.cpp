// Topic routing with 10, 1,000, 10,000 (and, for the trie, 100,000) bindings: the trie (what the
// topic exchange uses) against testing every binding with the recursive definition (what a first
// version would do). The trie's cost follows the routing key's length, not the number of bindings.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "model/exchange.hpp"
#include "model/topic_exchange.hpp"

using namespace minirabbit;

namespace {

// Bindings like a real pub/sub system: "region.<r>.service.<s>.*", some with '#', a few catch-alls.
std::vector<std::string> binding_keys(int n) {
    std::vector<std::string> keys;
    for (int i = 0; i < n; ++i) {
        if (i % 10 == 0)
            keys.push_back("region." + std::to_string(i % 97) + ".#");
        else
            keys.push_back("region." + std::to_string(i % 97) + ".service." + std::to_string(i) + ".*");
    }
    return keys;
}

const char* kRoutingKey = "region.42.service.1401.error";

void BM_TopicTrie(benchmark::State& state) {
    auto keys = binding_keys(static_cast<int>(state.range(0)));
    std::vector<Binding> bindings(keys.size());
    TopicTrie trie;
    for (size_t i = 0; i < keys.size(); ++i) trie.add(keys[i], &bindings[i]);
    std::vector<const Binding*> out;
    for (auto _ : state) {
        out.clear();
        trie.match(kRoutingKey, out);
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TopicTrie)->Arg(10)->Arg(1000)->Arg(10000)->Arg(100000);

void BM_TopicLinearScan(benchmark::State& state) {
    auto keys = binding_keys(static_cast<int>(state.range(0)));
    for (auto _ : state) {
        int matched = 0;
        for (const auto& key : keys) matched += topic_matches(key, kRoutingKey);
        benchmark::DoNotOptimize(matched);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TopicLinearScan)->Arg(10)->Arg(1000)->Arg(10000);

}  // namespace

BENCHMARK_MAIN();
