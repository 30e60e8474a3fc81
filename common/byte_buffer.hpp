// common/byte_buffer.hpp
//
// ByteBuffer: the bytes between the socket and a codec.
//
//   [ consumed ][ readable: parsed next ][ writable: the next read lands here ]
//   0           head_                   tail_                              capacity_
//
// A frame may arrive in pieces and many frames may arrive in one read, so a session reads into
// prepare()/commit(), lets its codec parse as many whole frames from readable() as it can, and
// consume()s what was parsed; a partial frame simply waits for the next read. The same type holds
// outgoing replies: handlers append(), the session writes readable() in one go and clear()s it.
// Memory is reused across reads (no allocation per request once warm) and released again after
// an unusually large frame, so one big request does not pin memory for the connection's life.
//
// CONCEPT: the read buffer of the architecture notes - the piece that makes "a frame may arrive in
// pieces; many frames may arrive in one read" a non-event for every codec. All three servers read
// into one of these and parse from readable(); what the parsers call "need more" is simply "leave
// the bytes here for the next read".
// READ NEXT: miniredis/server.cpp, minirabbit/core/connection.cpp (sessions that use it).
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>

namespace mb {

class ByteBuffer {
public:
    ByteBuffer() = default;
    explicit ByteBuffer(size_t initial_capacity) { reserve_writable(initial_capacity); }

    // Bytes received (or appended) but not consumed yet.
    std::string_view readable() const { return {data_.get() + head_, tail_ - head_}; }
    const char* data() const { return data_.get() + head_; }
    char* mutable_data() { return data_.get() + head_; }
    size_t size() const { return tail_ - head_; }
    bool empty() const { return head_ == tail_; }
    size_t capacity() const { return capacity_; }

    // Space for at least `n` more bytes; fill some of it, then commit() how many were written.
    std::span<char> prepare(size_t n) {
        reserve_writable(n);
        return {data_.get() + tail_, capacity_ - tail_};
    }
    void commit(size_t n) { tail_ += n; }

    // Consuming only moves head_: parsed bytes are not shifted away one frame at a time. When the
    // buffer runs empty both ends reset to 0 (free compaction), and a buffer grown large by one big
    // message is given back, so a thousand idle connections do not each keep a megabyte.
    void consume(size_t n) {
        head_ += n;
        if (head_ == tail_) {
            head_ = tail_ = 0;
            if (capacity_ > kShrinkAbove) release();
        }
    }
    void clear() { consume(size()); }

    void append(const void* bytes, size_t n) {
        reserve_writable(n);
        if (n != 0) std::memcpy(data_.get() + tail_, bytes, n);
        tail_ += n;
    }
    void append(std::string_view text) { append(text.data(), text.size()); }
    void push_back(char c) {
        reserve_writable(1);
        data_[tail_++] = c;
    }

    // Keep at most `n` readable bytes (drop the newest): used to roll back a half-written reply.
    void truncate(size_t n) {
        if (n < size()) tail_ = head_ + n;
    }

private:
    // A buffer that grew past this for one large frame gives its memory back once drained.
    static constexpr size_t kShrinkAbove = 1 << 20;

    void reserve_writable(size_t n) {
        if (capacity_ - tail_ >= n) return;
        size_t live = tail_ - head_;
        if (head_ > 0 && capacity_ - live >= n) {
            // Slide the unparsed tail to the front instead of growing (cheap: it is short).
            std::memmove(data_.get(), data_.get() + head_, live);
            head_ = 0;
            tail_ = live;
            return;
        }
        size_t new_capacity = capacity_ ? capacity_ : 4096;
        while (new_capacity - live < n) new_capacity *= 2;
        std::unique_ptr<char[]> bigger(new char[new_capacity]);
        if (live) std::memcpy(bigger.get(), data_.get() + head_, live);
        data_ = std::move(bigger);
        capacity_ = new_capacity;
        head_ = 0;
        tail_ = live;
    }
    void release() {
        data_.reset();
        capacity_ = head_ = tail_ = 0;
    }

    std::unique_ptr<char[]> data_;
    size_t capacity_ = 0;
    size_t head_ = 0;
    size_t tail_ = 0;
};

}  // namespace mb
