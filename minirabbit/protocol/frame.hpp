// minirabbit/protocol/frame.hpp
//
// CONCEPT: the AMQP frame - everything on the wire after the 8-byte protocol header is a frame.
//
//   0      1         3             7                  7+size     8+size
//   +------+---------+-------------+--------------------+----------+
//   | type | channel |    size     |      payload       | 0xCE end |
//   +------+---------+-------------+--------------------+----------+
//     u8      u16         u32          `size` bytes        u8
//
//   type 1 method     payload = class id u16, method id u16, arguments (methods.hpp)
//   type 2 header     payload = class id u16, weight u16, body size u64, properties (content_header.hpp)
//   type 3 body       payload = the next slice of the message body
//   type 8 heartbeat  channel 0, empty payload: "I am still here"
//
// A message ("content") is a method frame (basic.publish / basic.deliver) followed by one header
// frame and as many body frames as its size needs, each at most frame_max bytes in all. frame_max is
// agreed in connection.tune; a peer that sends a bigger frame gets 501 FRAME_ERROR, and we never send
// one bigger than the client asked for. The 0xCE end octet is a cheap check that both sides still
// agree where frames start - garbage shows up as a missing 0xCE.
//
// Heartbeats: with a heartbeat interval agreed in tune, each side sends a heartbeat frame once it
// has been quiet for half the interval, and treats a peer silent for two intervals as dead. This is
// how a broker notices a client whose machine vanished without closing TCP - the kernel would keep
// such a connection, and its unacked messages, for hours (server.cpp runs the timer).
// READ NEXT: methods.hpp (what a method frame's payload holds), core/connection.cpp (who calls this).
#pragma once

#include <cstdint>
#include <string_view>

#include "byte_buffer.hpp"
#include "constants.hpp"

namespace minirabbit::amqp {

struct Frame {
    FrameType type;
    uint16_t channel;
    std::string_view payload;  // a view into the read buffer: valid until the bytes are consumed
};

struct FrameParse {
    enum class Status { complete, need_more, error } status;
    Frame frame{};
    size_t consumed = 0;          // bytes to consume() when complete
    const char* error = nullptr;  // why, when status == error (the reply is 501 FRAME_ERROR)
};

// Parses one frame from the front of `bytes`. `frame_max` bounds the whole frame (header, payload
// and end octet), so a huge size field is refused before we wait for (or buffer) its bytes.
FrameParse parse_frame(std::string_view bytes, uint32_t frame_max);

// Writes frames into an output buffer. A method frame's size is known only after its arguments are
// written, so begin_frame() leaves a placeholder that end_frame() patches.
size_t begin_frame(mb::ByteBuffer& out, FrameType type, uint16_t channel);  // returns where the size sits
void end_frame(mb::ByteBuffer& out, size_t size_at);
void write_heartbeat(mb::ByteBuffer& out);

// One message body as body frames of at most `frame_max` bytes each (frame_max 0 = unlimited).
void write_body_frames(mb::ByteBuffer& out, uint16_t channel, std::string_view body, uint32_t frame_max);

}  // namespace minirabbit::amqp
