// minirabbit/protocol/frame.cpp
//
// Frame parsing and writing (see frame.hpp for the byte layout).
//
// CONCEPT: framing, AMQP's version. Where RESP writes its lengths as text (miniredis/protocol/
// resp_parser.cpp) and Kafka prefixes a whole request with a 4-byte size (minikafka/protocol/
// request_header.cpp), AMQP wraps everything - methods, headers, body slices, heartbeats - in one
// frame shape with a 7-byte header and an end octet. The parser answers one of three things, with
// the same names in all three servers:
//
//   complete   a whole frame is buffered: its payload is a view into the read buffer (no copy)
//   need_more  wait for the next read (a frame may arrive in pieces, or many in one read)
//   error      the peer broke framing: 501 FRAME_ERROR, and the connection is closed - after a
//              framing error nobody can tell where the next frame starts
//
// The checks run in an order that keeps memory bounded: the frame type and the size are checked
// from the 7-byte header *before* we wait for the payload, so a peer announcing a 4 GB frame is
// refused at once instead of making us buffer it.
//
//   bytes: 01 0001 0000000c | 003c 0028 ... | ce   ──▶ Frame{method, channel 1, 12-byte payload}
// READ NEXT: methods.cpp (decoding a method payload), core/connection.cpp (the loop that calls
//            parse_frame), docs/minirabbit/01-follow-a-publish.md §2.
#include "frame.hpp"

#include "big_endian.hpp"

namespace minirabbit::amqp {

// Returns instead of throwing: "need more bytes" is the normal case on a busy socket (a frame split
// across reads), not an exception, and the caller's loop reads naturally as "while complete".
FrameParse parse_frame(std::string_view bytes, uint32_t frame_max) {
    FrameParse result{FrameParse::Status::need_more};
    if (bytes.size() < kFrameHeaderSize) return result;
    auto type = static_cast<uint8_t>(bytes[0]);
    uint32_t size = mb::load_big_endian<uint32_t>(bytes.data() + 3);
    if (type != 1 && type != 2 && type != 3 && type != 8) {
        result.status = FrameParse::Status::error;
        result.error = "unknown frame type";
        return result;
    }
    // Compare without adding, so a size near 2^32 cannot wrap around the check.
    if (size > frame_max - kFrameOverhead) {
        result.status = FrameParse::Status::error;
        result.error = "frame size exceeds frame_max";
        return result;
    }
    if (bytes.size() < size + kFrameOverhead) return result;
    if (static_cast<uint8_t>(bytes[kFrameHeaderSize + size]) != kFrameEnd) {
        result.status = FrameParse::Status::error;
        result.error = "frame does not end with 0xCE";
        return result;
    }
    result.status = FrameParse::Status::complete;
    result.frame = Frame{static_cast<FrameType>(type), mb::load_big_endian<uint16_t>(bytes.data() + 1),
                         bytes.substr(kFrameHeaderSize, size)};
    result.consumed = size + kFrameOverhead;
    return result;
}

size_t begin_frame(mb::ByteBuffer& out, FrameType type, uint16_t channel) {
    char header[kFrameHeaderSize];
    header[0] = static_cast<char>(type);
    mb::store_big_endian<uint16_t>(header + 1, channel);
    mb::store_big_endian<uint32_t>(header + 3, 0);  // patched by end_frame
    out.append(header, sizeof header);
    return out.size() - 4;
}

// The size is patched in afterwards rather than computed up front: a method's arguments are
// written straight into the output buffer (MethodWriter), and only then is their length known.
// Computing it first would mean encoding every method twice.
void end_frame(mb::ByteBuffer& out, size_t size_at) {
    auto size = static_cast<uint32_t>(out.size() - size_at - 4);
    mb::store_big_endian<uint32_t>(out.mutable_data() + size_at, size);
    out.push_back(static_cast<char>(kFrameEnd));
}

void write_heartbeat(mb::ByteBuffer& out) {
    constexpr char kHeartbeat[] = {8, 0, 0, 0, 0, 0, 0, static_cast<char>(kFrameEnd)};
    out.append(kHeartbeat, sizeof kHeartbeat);
}

// A body larger than frame_max is cut into slices: the client said in connection.tune-ok how big a
// frame it can take, and a frame bigger than that is a protocol error on its side. frame_max counts
// the whole frame, so a slice is frame_max minus the 8 bytes of header and end octet.
void write_body_frames(mb::ByteBuffer& out, uint16_t channel, std::string_view body, uint32_t frame_max) {
    const size_t slice = frame_max == 0 ? body.size() : frame_max - kFrameOverhead;
    while (!body.empty()) {
        size_t n = body.size() < slice ? body.size() : slice;
        char header[kFrameHeaderSize];
        header[0] = static_cast<char>(FrameType::body);
        mb::store_big_endian<uint16_t>(header + 1, channel);
        mb::store_big_endian<uint32_t>(header + 3, static_cast<uint32_t>(n));
        out.append(header, sizeof header);
        out.append(body.data(), n);
        out.push_back(static_cast<char>(kFrameEnd));
        body.remove_prefix(n);
    }
}

}  // namespace minirabbit::amqp
