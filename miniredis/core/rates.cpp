// miniredis/core/rates.cpp
//
// The tick's sampling of rates and peaks (see rates.hpp). CONCEPT: in the header; here the mechanics.
//
// READ NEXT: rates.hpp, commands/info.cpp.
#include <algorithm>

#include "core/broker.hpp"
#include "model/memory.hpp"

namespace miniredis {

void Broker::sample_instantaneous_metrics() {
    int64_t now = clock.now_ms();
    ops_rate.sample(now, stats.commands_processed);
    input_rate.sample(now, stats.net_input_bytes);
    output_rate.sample(now, stats.net_output_bytes);
    peak_memory = std::max(peak_memory, used_memory());  // also raised when INFO/MEMORY STATS read it
}

}  // namespace miniredis
