// common/big_endian.hpp
//
// Big-endian ("network order") binary encoding, shared by the Kafka and AMQP codecs.
//
// ByteReader walks a frame that is already wholly in memory. Every read checks what remains; a
// short frame does not throw or read past the end: the reader turns "not ok", further reads
// return zeros/empty views, and the codec checks ok() once at the end, so decoders read like the
// protocol specs (field after field) without an error check on every line.
// ByteWriter appends to a ByteBuffer and can patch a length prefix once the body size is known.
//
// CONCEPT: binary wire formats. AMQP and Kafka put every integer on the wire most significant byte
// first ("network order"), while x86 keeps them least significant first; every load and store here
// swaps the bytes (the compiler turns it into one bswap instruction). RESP avoids the question by writing
// numbers as decimal text - which is why miniredis does not use this file.
//
//   u32 300 on the wire: 00 00 01 2c   ──▶ load_big_endian<uint32_t> ──▶ 300
//
// Why "not ok" instead of exceptions? A malformed frame is an expected event (a fuzzer sends
// millions); checking once at the end of a decode keeps the decoder a plain transcription of the
// spec, and the single check is where a protocol error is raised.
// READ NEXT: minirabbit/protocol/methods.cpp and minikafka/protocol/ (decoders that use it).
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "byte_buffer.hpp"

namespace mb {

// Swaps to/from network order on little-endian hosts (std::byteswap is C++23).
template <typename T>
constexpr T to_big_endian(T value) {
    if constexpr (std::endian::native == std::endian::big || sizeof(T) == 1) {
        return value;
    } else if constexpr (sizeof(T) == 2) {
        return static_cast<T>(__builtin_bswap16(static_cast<uint16_t>(value)));
    } else if constexpr (sizeof(T) == 4) {
        return static_cast<T>(__builtin_bswap32(static_cast<uint32_t>(value)));
    } else {
        return static_cast<T>(__builtin_bswap64(static_cast<uint64_t>(value)));
    }
}

template <typename T>
T load_big_endian(const char* p) {
    T value;
    std::memcpy(&value, p, sizeof(T));
    return to_big_endian(value);
}

template <typename T>
void store_big_endian(char* p, T value) {
    value = to_big_endian(value);
    std::memcpy(p, &value, sizeof(T));
}

class ByteReader {
public:
    explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}

    bool ok() const { return ok_; }
    size_t remaining() const { return bytes_.size() - pos_; }
    size_t position() const { return pos_; }
    bool at_end() const { return pos_ == bytes_.size(); }
    // Mark the input bad from outside (a codec found a value out of its allowed range).
    void fail() {
        ok_ = false;
        pos_ = bytes_.size();
    }

    uint8_t u8() { return read<uint8_t>(); }
    int8_t i8() { return read<int8_t>(); }
    uint16_t u16() { return read<uint16_t>(); }
    int16_t i16() { return read<int16_t>(); }
    uint32_t u32() { return read<uint32_t>(); }
    int32_t i32() { return read<int32_t>(); }
    uint64_t u64() { return read<uint64_t>(); }
    int64_t i64() { return read<int64_t>(); }
    double f64() { return std::bit_cast<double>(read<uint64_t>()); }
    float f32() { return std::bit_cast<float>(read<uint32_t>()); }

    // `n` raw bytes as a view into the frame (no copy). A length that runs past the end fails.
    std::string_view bytes(size_t n) {
        if (!ok_ || n > remaining()) {
            fail();
            return {};
        }
        std::string_view out = bytes_.substr(pos_, n);
        pos_ += n;
        return out;
    }
    void skip(size_t n) { bytes(n); }
    std::string_view rest() { return bytes(remaining()); }

private:
    template <typename T>
    T read() {
        if (!ok_ || sizeof(T) > remaining()) {
            fail();
            return T{};
        }
        T value = load_big_endian<T>(bytes_.data() + pos_);
        pos_ += sizeof(T);
        return value;
    }

    std::string_view bytes_;
    size_t pos_ = 0;
    bool ok_ = true;
};

class ByteWriter {
public:
    explicit ByteWriter(ByteBuffer& out) : out_(out) {}

    // Offset from the start of the buffer's readable bytes: remember it to patch a length later.
    size_t position() const { return out_.size(); }

    void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
    void i8(int8_t v) { out_.push_back(static_cast<char>(v)); }
    void u16(uint16_t v) { write(v); }
    void i16(int16_t v) { write(v); }
    void u32(uint32_t v) { write(v); }
    void i32(int32_t v) { write(v); }
    void u64(uint64_t v) { write(v); }
    void i64(int64_t v) { write(v); }
    void f64(double v) { write(std::bit_cast<uint64_t>(v)); }
    void bytes(std::string_view b) { out_.append(b); }

    // Overwrite a 4-byte field written earlier (e.g. a size prefix) at `at` = an earlier position().
    void patch_u32(size_t at, uint32_t v) { store_big_endian(out_.mutable_data() + at, v); }

private:
    template <typename T>
    void write(T v) {
        char raw[sizeof(T)];
        store_big_endian(raw, v);
        out_.append(raw, sizeof(T));
    }

    ByteBuffer& out_;
};

}  // namespace mb
