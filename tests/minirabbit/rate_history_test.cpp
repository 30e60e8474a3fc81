// The management UI's rate history in the model alone (model/rate_history.hpp), with wall times
// handed in: where samples fall, the rate and the chart grid read back from them, that the rings
// stay bounded, and that idle objects keep no ring at all.
#include "model/rate_history.hpp"

#include <gtest/gtest.h>

#include "model/broker.hpp"

using namespace minirabbit;

namespace {

std::vector<uint64_t> values_of(const SeriesDetails& d) {
    std::vector<uint64_t> out;
    for (const auto& p : d.samples) out.push_back(p.sample);
    return out;
}

TEST(RateHistory, SamplesFallOnMultiplesOfTheIntervalOncePerInterval) {
    SampleClock clock(5000);
    EXPECT_TRUE(clock.due(1'000'003'200));
    EXPECT_EQ(clock.take(1'000'003'200), 0u);
    EXPECT_EQ(clock.time_of(0), 1'000'000'000);  // rounded down to the interval
    EXPECT_FALSE(clock.due(1'000'004'999));
    EXPECT_TRUE(clock.due(1'000'005'000));
    EXPECT_EQ(clock.capacity(false), 13u);  // one minute at 5 s
    EXPECT_EQ(clock.capacity(true), 121u);  // ten minutes
}

TEST(RateHistory, RateAndChartPointsNewestFirstAsRabbitMQAnswers) {
    SampleClock clock(5000);
    RateHistory history(1, false);
    // A counter growing by 50 per 5 s sample: 10 messages a second.
    for (uint64_t i = 0; i < 5; ++i) {
        const uint64_t value[] = {100 + 50 * i};
        history.record(clock, clock.take(1'000'000'000 + static_cast<int64_t>(i) * 5000), value);
    }
    // No range: the rate alone, from the two newest samples.
    SeriesDetails plain = series_details(clock, history, {0}, std::nullopt);
    EXPECT_DOUBLE_EQ(plain.rate, 10.0);
    EXPECT_TRUE(plain.samples.empty());
    // The last 10 s, a point every 5 s: three points, newest first, 5000 ms apart.
    SeriesDetails chart = series_details(clock, history, {0}, SampleRange{10'000, 5'000});
    EXPECT_EQ(values_of(chart), (std::vector<uint64_t>{300, 250, 200}));
    EXPECT_EQ(chart.samples[0].timestamp, 1'000'020'000);
    EXPECT_EQ(chart.samples[2].timestamp, 1'000'010'000);
    EXPECT_DOUBLE_EQ(chart.rate, 10.0);
    EXPECT_DOUBLE_EQ(*chart.avg_rate, 10.0);
    EXPECT_DOUBLE_EQ(*chart.avg, 250.0);
    // A step of 10 s takes every other sample; an age beyond the history stops where it does.
    EXPECT_EQ(values_of(series_details(clock, history, {0}, SampleRange{3'600'000, 10'000})),
              (std::vector<uint64_t>{300, 200, 100}));
}

TEST(RateHistory, AnObjectBornLaterHasNoPointsBeforeItAndASumOfFieldsCharts) {
    SampleClock clock(1000);
    RateHistory history(2, false);
    history.record(clock, clock.take(10'000), std::vector<uint64_t>{1, 1});
    history.set_born(clock.taken());  // "created" now: the sample above is not its
    history.record(clock, clock.take(11'000), std::vector<uint64_t>{3, 4});
    history.record(clock, clock.take(12'000), std::vector<uint64_t>{5, 6});
    EXPECT_EQ(values_of(series_details(clock, history, {0, 1}, SampleRange{60'000, 1'000})),
              (std::vector<uint64_t>{11, 7}));
}

TEST(RateHistory, TheRingForgetsTheOldestAndStaysItsSize) {
    SampleClock clock(5000);
    RateHistory history(1, false);
    for (uint64_t i = 0; i < 100; ++i) {
        const uint64_t value[] = {i + 1};
        history.record(clock, clock.take(static_cast<int64_t>(i) * 5000), value);
    }
    // A minute at 5 s: 13 samples kept, whatever age is asked for.
    SeriesDetails all = series_details(clock, history, {0}, SampleRange{86'400'000, 5'000});
    ASSERT_EQ(all.samples.size(), 13u);
    EXPECT_EQ(all.samples.front().sample, 100u);
    EXPECT_EQ(all.samples.back().sample, 88u);
}

TEST(RateHistory, IdleQueuesChartZerosWithoutARingAndBusyOnesFollowTheirCounts) {
    Broker broker;
    Vhost& vhost = broker.add_vhost("/");
    auto declare = [&](const std::string& name) -> Queue& {
        std::string bad, error;
        return vhost.add_queue(std::make_shared<Queue>(vhost, name, false, false, false, amqp::FieldTable{},
                                                       *QueueArguments::parse({}, bad, error), 0));
    };
    Queue& idle = declare("idle");
    Queue& busy = declare("busy");
    EXPECT_TRUE(broker.sample_statistics(1'000'000'000));
    EXPECT_FALSE(broker.sample_statistics(1'000'000'001));  // not due again before the interval
    for (int i = 0; i < 4; ++i) busy.publish(Message::make(Message::Fields{"", "busy", "", "body", false, 0, -1}));
    EXPECT_TRUE(broker.sample_statistics(1'000'005'000));
    const SampleRange minute{60'000, 5'000};
    const SampleClock& clock = broker.statistics_clock();
    EXPECT_EQ(values_of(series_details(clock, busy.history(), {Queue::kPublish}, minute)),
              (std::vector<uint64_t>{4, 0}));
    EXPECT_EQ(values_of(series_details(clock, busy.history(), {Queue::kReady}, minute)), (std::vector<uint64_t>{4, 0}));
    EXPECT_DOUBLE_EQ(series_details(clock, busy.history(), {Queue::kPublish}, std::nullopt).rate, 0.8);
    EXPECT_EQ(values_of(series_details(clock, idle.history(), {Queue::kPublish}, minute)),
              (std::vector<uint64_t>{0, 0}));
    EXPECT_FALSE(idle.history().has_ring());
    EXPECT_TRUE(busy.history().has_ring());
    // The overview's totals are the sum over queues.
    EXPECT_EQ(values_of(series_details(clock, broker.totals_history(), {Queue::kReady}, minute)),
              (std::vector<uint64_t>{4, 0}));
}

}  // namespace
