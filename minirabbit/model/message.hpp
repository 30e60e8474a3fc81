// minirabbit/model/message.hpp
//
// CONCEPT: a message - what a publisher sends and a consumer receives: the exchange and routing key
// it was published with, its properties (content-type, headers, delivery-mode, expiration, ...) and
// its body. The broker never looks inside the body.
//
// One publish that an exchange routes to three queues is stored once: each queue holds a MessageRef
// (a reference-counted pointer) to the same immutable Message. The message, its routing data, its
// raw property bytes and its body live in one heap block, so storing a message costs one allocation:
//
//   [ Message fields | exchange | routing key | properties (flags + values, raw) | body ]
//
// The properties stay in wire form and go out verbatim on delivery (content_header.hpp).
//
// A *paged* message is the same block without the body: a persistent message deep in a long queue
// whose body the journal already holds on disk (storage/journal_paging.cpp). It keeps
// the body's size (queue limits and statistics count it) and is read back from the journal when it
// is delivered:
//
//   full   [ Message | exchange | routing key | properties | body ]     ~ 1 KB for a 1 KB body
//   paged  [ Message | exchange | routing key | properties ]            ~ 100 bytes
//
// READ NEXT: message.cpp, queue.hpp (MessageRef in a queue), protocol/content_header.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

namespace minirabbit {

class MessageRef;

class Message {
public:
    struct Fields {
        std::string_view exchange, routing_key, properties, body;
        bool persistent = false;  // delivery-mode 2
        uint8_t priority = 0;     // the priority property (0 when absent)
        int64_t ttl_ms = -1;      // the expiration property, parsed; -1 = none
    };
    static MessageRef make(const Fields& fields);
    // The same message without its body (body_paged() is true): what a queue keeps for a message
    // whose body only the journal holds.
    static MessageRef make_paged(const Message& full);
    // The same from the fields and the body's size (`header.body` is ignored: no body bytes are
    // copied), for a message recovered from the journal that starts paged (Journal::recover).
    static MessageRef make_paged(Fields header, size_t body_size);

    std::string_view exchange() const { return {data(), exchange_size_}; }
    std::string_view routing_key() const { return {data() + exchange_size_, routing_key_size_}; }
    std::string_view properties() const { return {data() + exchange_size_ + routing_key_size_, properties_size_}; }
    // The body; empty for a paged message (check body_paged(), load it back first).
    std::string_view body() const {
        return {data() + exchange_size_ + routing_key_size_ + properties_size_, body_paged_ ? 0 : body_size_};
    }
    size_t body_size() const { return body_size_; }  // in memory or not
    bool body_paged() const { return body_paged_; }
    bool persistent() const { return persistent_; }
    uint8_t priority() const { return priority_; }
    int64_t ttl_ms() const { return ttl_ms_; }
    // Bytes this message holds on the heap: counted against the memory watermark.
    size_t memory_size() const {
        return sizeof(Message) + exchange_size_ + routing_key_size_ + properties_size_ + (body_paged_ ? 0 : body_size_);
    }

    // Bytes of all live messages, for the memory watermark (one thread owns them all: no atomics).
    static size_t live_bytes() { return live_bytes_; }

private:
    friend class MessageRef;
    Message() = default;
    const char* data() const { return reinterpret_cast<const char*>(this + 1); }
    char* data() { return reinterpret_cast<char*>(this + 1); }

    uint32_t refs_ = 0;
    uint8_t exchange_size_ = 0;
    uint8_t priority_ = 0;
    bool persistent_ = false;
    bool body_paged_ = false;
    uint8_t routing_key_size_ = 0;
    uint32_t properties_size_ = 0;
    size_t body_size_ = 0;
    int64_t ttl_ms_ = -1;
    static size_t live_bytes_;
};

// An intrusive reference-counted pointer to a Message (like boost::intrusive_ptr).
class MessageRef {
public:
    MessageRef() = default;
    MessageRef(const MessageRef& other) : message_(other.message_) {
        if (message_) ++message_->refs_;
    }
    MessageRef(MessageRef&& other) noexcept : message_(std::exchange(other.message_, nullptr)) {}
    MessageRef& operator=(MessageRef other) noexcept {
        std::swap(message_, other.message_);
        return *this;
    }
    ~MessageRef() { release(); }

    const Message* operator->() const { return message_; }
    const Message& operator*() const { return *message_; }
    const Message* get() const { return message_; }
    explicit operator bool() const { return message_ != nullptr; }
    uint32_t use_count() const { return message_ ? message_->refs_ : 0; }

private:
    friend class Message;
    explicit MessageRef(Message* message) : message_(message) { ++message_->refs_; }
    void release();
    Message* message_ = nullptr;
};

}  // namespace minirabbit
