// miniredis/core/lazy_free.cpp
//
// The lazy-free thread (see lazy_free.hpp): a queue of owned garbage and one thread destroying it.
//
// CONCEPT: see lazy_free.hpp - here the hand-off: a mutex-protected queue of owned pointers and a
// condition variable. The server thread's cost is one push under the lock; the thread pops and
// destroys, unlocked, so the server thread can queue more meanwhile. The thread starts on the
// first enqueue (a server that never UNLINKs a big value never has it), and at shutdown it
// finishes the queue before the destructor's join returns, so a leak checker sees everything freed.
// READ NEXT: commands/keys.cpp (UNLINK), commands/server_cmds.cpp (FLUSHALL ASYNC).
#include "core/lazy_free.hpp"

#include <type_traits>
#include <variant>

#include "model/stream.hpp"
#include "model/zset.hpp"

namespace miniredis {

LazyFree::~LazyFree() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
}

// One free() per element is the cost that matters; a string is one block whatever its length.
size_t LazyFree::free_effort(const Value& value) {
    return std::visit(
        [](const auto& data) -> size_t {
            using T = std::decay_t<decltype(data)>;
            if constexpr (std::is_same_v<T, SmallString>) {
                return 1;
            } else if constexpr (std::is_same_v<T, std::unique_ptr<Stream>>) {
                return data ? data->blocks() : 1;  // a stream frees block by block
            } else {
                return data ? data->size() : 1;  // list, hash, set, zset: one node per element
            }
        },
        value.data);
}

bool LazyFree::free_value(Value&& value) {
    if (free_effort(value) <= kThreshold) return false;  // `value` dies with the caller's copy
    enqueue(std::make_unique<Owned<Value>>(std::move(value)));
    return true;
}

void LazyFree::free_keyspace(Database::Keys&& keys, Database::Expires&& expires) {
    enqueue(std::make_unique<Owned<Database::Keys>>(std::move(keys)));
    enqueue(std::make_unique<Owned<Database::Expires>>(std::move(expires)));
}

void LazyFree::enqueue(std::unique_ptr<Garbage> garbage) {
    {
        std::lock_guard lock(mutex_);
        queue_.push_back(std::move(garbage));
        pending_.fetch_add(1, std::memory_order_relaxed);
        if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
    }
    wake_.notify_one();
}

void LazyFree::wait_idle() {
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [this] { return pending_.load(std::memory_order_relaxed) == 0; });
}

void LazyFree::run() {
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, and nothing left to free
        std::unique_ptr<Garbage> garbage = std::move(queue_.front());
        queue_.pop_front();
        // The expensive part runs unlocked: the server thread can queue more meanwhile.
        lock.unlock();
        garbage.reset();
        lock.lock();
        pending_.fetch_sub(1, std::memory_order_relaxed);
        freed_.fetch_add(1, std::memory_order_relaxed);
        if (queue_.empty()) idle_.notify_all();
    }
}

}  // namespace miniredis
