// miniredis/core/lazy_free.hpp
//
// LazyFree: a background thread that frees big values and whole keyspaces (UNLINK, FLUSHALL
// ASYNC), so the server thread never spends seconds in free().
//
// CONCEPT: deleting a key has two parts of very different cost. Removing it from the keyspace is
// one hash-table erase - after it, no command can see the key. Freeing what the value owned is one
// free() per element: a set of a million members, or FLUSHALL of ten million keys, is a million
// or ten million frees, a second or more during which a single-threaded server answers nobody.
// Redis (lazyfree.c) splits the two: the command unlinks at once and answers, and a background
// thread does the frees. miniredis does the same:
//
//      server thread                              lazy-free thread
//      UNLINK big   -> take the Value out of       queue -> ~Value(): 1M x free()
//                      the table, reply :1
//      FLUSHALL ASYNC -> swap each table for an    queue -> ~Dict(): every entry
//                      empty one, reply +OK
//
// Only what is worth it goes to the thread: a value whose free costs more than 64 elements (Redis'
// LAZYFREE_THRESHOLD), since handing over a small value costs more than freeing it here. It is
// safe because the value has left the keyspace: no other pointer reaches it, so the thread owns it
// alone; and used_memory's counter (model/memory.cpp) is atomic, so INFO sees memory come back as
// the thread frees it. The thread starts on first use, so tests and tools that never UNLINK
// anything big never get one.
//
// READ NEXT: commands/keys.cpp (cmd_unlink), commands/server_cmds.cpp (FLUSHALL/FLUSHDB ASYNC),
// storage/background_job.hpp (the other kind of background work: a forked child, not a thread).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "model/database.hpp"

namespace miniredis {

class LazyFree {
public:
    // Redis' LAZYFREE_THRESHOLD: below this many elements, freeing in place is cheaper.
    static constexpr size_t kThreshold = 64;

    LazyFree() = default;
    LazyFree(const LazyFree&) = delete;
    LazyFree& operator=(const LazyFree&) = delete;
    ~LazyFree();  // frees what is still queued, then joins the thread

    // How many free() calls destroying `value` costs, roughly (Redis' lazyfreeGetFreeEffort).
    static size_t free_effort(const Value& value);

    // Takes `value` (already out of the keyspace): frees it on the thread when its effort is above
    // kThreshold, here otherwise. True when it went to the thread.
    bool free_value(Value&& value);
    // Takes a whole keyspace (FLUSHALL/FLUSHDB ASYNC): always freed on the thread.
    void free_keyspace(Database::Keys&& keys, Database::Expires&& expires);

    // INFO memory's lazyfree_pending_objects / lazyfreed_objects.
    size_t pending() const { return pending_.load(std::memory_order_relaxed); }
    size_t freed() const { return freed_.load(std::memory_order_relaxed); }
    // Blocks until the queue is empty (tests, and a clean shutdown).
    void wait_idle();

private:
    // Anything owned, type-erased: destroying the holder destroys the object.
    struct Garbage {
        virtual ~Garbage() = default;
    };
    template <typename T>
    struct Owned : Garbage {
        explicit Owned(T&& v) : object(std::move(v)) {}
        T object;
    };

    void enqueue(std::unique_ptr<Garbage> garbage);
    void run();

    std::mutex mutex_;
    std::condition_variable wake_, idle_;
    std::deque<std::unique_ptr<Garbage>> queue_;
    bool stopping_ = false;
    std::thread thread_;
    std::atomic<size_t> pending_{0}, freed_{0};
};

}  // namespace miniredis
