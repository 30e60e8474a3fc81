// miniredis/model/small_string.hpp
//
// SmallString: the byte string every key, string value, hash field and list element is stored as.
//
// CONCEPT: Redis is mostly millions of short strings, so their size decides the memory bill. A
// std::string is 32 bytes and keeps only 15 bytes inline; Redis' "embstr" puts short values right
// next to their header. SmallString is 24 bytes and keeps up to 23 bytes inline - "key:000000001234"
// and a 16-byte value both fit without a second allocation:
//
//   inline:  [ 23 bytes of data ............................ ][ size 0..23 ]
//   heap:    [ char* data (8) ][ size u32 ][ capacity u32 ][ 7 unused ][ 0xFF ]
//
// Binary safe (any byte, including '\0'), never NUL-terminated. Strings are capped far below 4 GB
// by proto-max-bulk-len (512 MB), so 32-bit sizes are enough.
// REAL REDIS: sds strings with 1/2/4/8-byte headers, plus embstr objects for values up to 44 bytes.
//
// READ NEXT: value.hpp, memory.hpp (how the bytes saved show in used_memory).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace miniredis {

class SmallString {
public:
    static constexpr size_t kInlineCapacity = 23;

    SmallString() noexcept { bytes_[kTagByte] = 0; }
    explicit SmallString(std::string_view text) {
        bytes_[kTagByte] = 0;
        assign(text);
    }
    SmallString(const SmallString& other) : SmallString(other.view()) {}
    // Moving is a 24-byte copy plus marking the source empty: the heap block, if any, changes owner
    // without being touched. Containers that grow (the keyspace's chains, a list's deque) move their
    // strings, so this is what keeps a resize cheap.
    SmallString(SmallString&& other) noexcept {
        std::memcpy(bytes_, other.bytes_, sizeof bytes_);
        other.bytes_[kTagByte] = 0;  // the heap block (if any) now belongs to us
    }
    SmallString& operator=(const SmallString& other) {
        if (this != &other) assign(other.view());
        return *this;
    }
    SmallString& operator=(SmallString&& other) noexcept {
        if (this != &other) {
            release();
            std::memcpy(bytes_, other.bytes_, sizeof bytes_);
            other.bytes_[kTagByte] = 0;
        }
        return *this;
    }
    ~SmallString() { release(); }

    // The last byte is the tag: 0..23 is an inline length, 0xFF means "on the heap" - one byte decides
    // the representation, read with a single comparison on every access.
    std::string_view view() const { return {data(), size()}; }
    operator std::string_view() const { return view(); }  // NOLINT: a SmallString is a string
    size_t size() const { return is_heap() ? heap_size() : static_cast<uint8_t>(bytes_[kTagByte]); }
    bool empty() const { return size() == 0; }
    const char* data() const { return is_heap() ? heap_data() : bytes_; }
    char* data() { return is_heap() ? heap_data() : bytes_; }
    bool is_heap() const { return static_cast<uint8_t>(bytes_[kTagByte]) == kHeapTag; }
    // Bytes this string owns outside itself (for memory reports).
    size_t heap_bytes() const { return is_heap() ? heap_capacity() : 0; }

    // assign() reuses what it can: inline stays inline, and a heap block big enough is overwritten in
    // place, so "SET k v" on an existing key with a value of similar size allocates nothing.
    void assign(std::string_view text) {
        if (text.size() <= kInlineCapacity) {
            // memmove: `text` may point into our own bytes (s.assign(s.view().substr(1))).
            char copy[kInlineCapacity];
            if (!text.empty()) std::memcpy(copy, text.data(), text.size());  // data() may be null
            release();
            if (!text.empty()) std::memcpy(bytes_, copy, text.size());
            bytes_[kTagByte] = static_cast<char>(text.size());
            return;
        }
        if (is_heap() && heap_capacity() >= text.size()) {
            std::memmove(heap_data(), text.data(), text.size());
            set_heap_size(text.size());
            return;
        }
        char* block = new char[text.size()];
        std::memcpy(block, text.data(), text.size());
        release();
        make_heap(block, text.size(), text.size());
    }

    // Grows (new bytes zeroed) or shrinks to `n` bytes, keeping the prefix: APPEND and SETRANGE.
    // Growth doubles the capacity, so APPENDing one byte at a time stays amortised O(1).
    void resize(size_t n) {
        size_t old = size();
        if (n <= capacity()) {
            if (n > old) std::memset(data() + old, 0, n - old);
            set_size(n);
            return;
        }
        size_t new_capacity = std::max(n, capacity() * 2);
        char* block = new char[new_capacity];
        std::memcpy(block, data(), old);
        std::memset(block + old, 0, n - old);
        release();
        make_heap(block, n, new_capacity);
    }
    void append(std::string_view text) {
        size_t old = size();
        if (text.empty()) return;
        // `text` may alias our own bytes (APPEND k of k's own value): copy it before a resize moves them.
        if (text.data() >= data() && text.data() < data() + capacity()) {
            SmallString copy(text);
            append(copy.view());
            return;
        }
        resize(old + text.size());
        std::memcpy(data() + old, text.data(), text.size());
    }

    friend bool operator==(const SmallString& a, std::string_view b) { return a.view() == b; }

private:
    static constexpr size_t kTagByte = 23;
    static constexpr uint8_t kHeapTag = 0xFF;

    size_t capacity() const { return is_heap() ? heap_capacity() : kInlineCapacity; }
    // The heap fields are read with memcpy rather than through a struct: the same 24 bytes are either
    // text or (pointer, size, capacity), and memcpy is the portable way to reinterpret them - compilers
    // turn it into one load.
    char* heap_data() const {
        char* p;
        std::memcpy(&p, bytes_, sizeof p);
        return p;
    }
    size_t heap_size() const {
        uint32_t n;
        std::memcpy(&n, bytes_ + 8, sizeof n);
        return n;
    }
    size_t heap_capacity() const {
        uint32_t n;
        std::memcpy(&n, bytes_ + 12, sizeof n);
        return n;
    }
    void set_heap_size(size_t n) {
        auto n32 = static_cast<uint32_t>(n);
        std::memcpy(bytes_ + 8, &n32, sizeof n32);
    }
    void set_size(size_t n) {
        if (is_heap())
            set_heap_size(n);
        else
            bytes_[kTagByte] = static_cast<char>(n);
    }
    void make_heap(char* block, size_t size, size_t capacity) {
        auto size32 = static_cast<uint32_t>(size), capacity32 = static_cast<uint32_t>(capacity);
        std::memcpy(bytes_, &block, sizeof block);
        std::memcpy(bytes_ + 8, &size32, sizeof size32);
        std::memcpy(bytes_ + 12, &capacity32, sizeof capacity32);
        bytes_[kTagByte] = static_cast<char>(kHeapTag);
    }
    void release() {
        if (is_heap()) delete[] heap_data();
        bytes_[kTagByte] = 0;
    }

    alignas(8) char bytes_[24];
};

static_assert(sizeof(SmallString) == 24);

}  // namespace miniredis
