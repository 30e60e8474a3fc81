// miniredis/model/clock.hpp
//
// Clock: where the keyspace learns "now", in Unix milliseconds.
//
// Expiry compares deadlines with now, so tests that check "the key is gone after its TTL" would have
// to sleep if the clock were hard-wired. Instead the keyspace holds a Clock&: the server passes the
// system clock, tests pass a ManualClock and move time forward by hand (mini-redis pauses Tokio's
// clock for the same reason; dragonfly has UpdateTime).
//
// CONCEPT: time as a dependency. Nothing in model/ calls the system clock; it asks a Clock. That
// single choice is what makes expiry, eviction by idle time and the stream IDs' millisecond part
// testable without sleeping.
// READ NEXT: database.hpp (expire_if_needed).
#pragma once

#include <chrono>
#include <cstdint>

namespace miniredis {

class Clock {
public:
    virtual ~Clock() = default;
    virtual int64_t now_ms() const = 0;
};

class SystemClock final : public Clock {
public:
    int64_t now_ms() const override {
        using namespace std::chrono;
        return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
    }
};

class ManualClock final : public Clock {
public:
    explicit ManualClock(int64_t start_ms = 1'700'000'000'000) : now_(start_ms) {}
    int64_t now_ms() const override { return now_; }
    void advance_ms(int64_t ms) { now_ += ms; }
    void set_ms(int64_t ms) { now_ = ms; }

private:
    int64_t now_;
};

}  // namespace miniredis
