// The memory alarm's settings and measure (core/memory_monitor.hpp): RabbitMQ's
// vm_memory_high_watermark forms, and an allocator count that sees what messages really cost.
#include "core/memory_monitor.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <vector>

using namespace minirabbit;

TEST(MemoryWatermark, AFractionIsRelativeToRamAndAnAmountIsAbsolute) {
    const uint64_t ram = 10'000'000'000;
    EXPECT_EQ(memory_watermark("0.4", "", "", ram), 4'000'000'000u);  // RabbitMQ's default
    EXPECT_EQ(memory_watermark("4mb", "", "", ram), 4u << 20);        // minirabbit's old form
    EXPECT_EQ(memory_watermark("1gb", "", "", ram), 1u << 30);
    EXPECT_EQ(memory_watermark("0.4", "0.5", "", ram), 5'000'000'000u);  // .relative wins
    EXPECT_EQ(memory_watermark("0.4", "0.5", "2gb", ram), 2ull << 30);   // .absolute wins over both
}

TEST(MemoryWatermark, NonsenseIsRefusedWithTheSettingsName) {
    EXPECT_THROW(memory_watermark("1.5", "", "", 1000), std::invalid_argument);
    EXPECT_THROW(memory_watermark("0.4", "lots", "", 1000), std::invalid_argument);
    EXPECT_THROW(memory_watermark("0.4", "", "-3", 1000), std::invalid_argument);
    try {
        memory_watermark("0.4", "", "big", 1000);
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("vm_memory_high_watermark.absolute"), std::string::npos);
    }
}

TEST(MemoryMeasure, AllocatedCountsSmallAllocationsThemselves) {
    const uint64_t before = process_memory(MemoryStrategy::allocated);
    std::vector<std::unique_ptr<char[]>> small;
    for (int i = 0; i < 100'000; ++i) small.push_back(std::make_unique<char[]>(16));
    const uint64_t during = process_memory(MemoryStrategy::allocated);
    // 100,000 allocations of 16 bytes: at least the 1.6 MB asked for (plus the vector).
    EXPECT_GE(during - before, 1'600'000u);
    small.clear();
    small.shrink_to_fit();
    EXPECT_LT(process_memory(MemoryStrategy::allocated), during - 1'000'000);  // given back at once
    EXPECT_GT(process_memory(MemoryStrategy::rss), 0u);
    EXPECT_GT(total_memory(), 0u);
}
