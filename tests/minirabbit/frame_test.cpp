// The frame codec (minirabbit/protocol/frame.*): whole, partial, oversized and corrupt frames, and
// body splitting by frame_max. Includes a fuzz-style pass over random and truncated input.
#include "protocol/frame.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

using namespace minirabbit::amqp;

namespace {

std::string frame_bytes(uint8_t type, uint16_t channel, std::string_view payload, char end = '\xCE') {
    std::string out;
    out.push_back(static_cast<char>(type));
    out.push_back(static_cast<char>(channel >> 8));
    out.push_back(static_cast<char>(channel));
    uint32_t size = static_cast<uint32_t>(payload.size());
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(size >> shift));
    out.append(payload);
    out.push_back(end);
    return out;
}

}  // namespace

TEST(Frame, ParsesACompleteFrameAndReportsItsLength) {
    std::string bytes = frame_bytes(1, 7, "hello") + "next";
    auto parsed = parse_frame(bytes, 4096);
    ASSERT_EQ(parsed.status, FrameParse::Status::complete);
    EXPECT_EQ(parsed.frame.type, FrameType::method);
    EXPECT_EQ(parsed.frame.channel, 7);
    EXPECT_EQ(parsed.frame.payload, "hello");
    EXPECT_EQ(parsed.consumed, 7u + 5 + 1);
}

TEST(Frame, EveryPrefixOfAFrameNeedsMoreBytes) {
    std::string bytes = frame_bytes(3, 1, "body bytes");
    for (size_t n = 0; n < bytes.size(); ++n)
        EXPECT_EQ(parse_frame(std::string_view(bytes).substr(0, n), 4096).status, FrameParse::Status::need_more) << n;
}

TEST(Frame, RefusesAFrameLargerThanFrameMaxBeforeItsBytesArrive) {
    // Only the 7-byte header is here: the size alone must be enough to refuse it.
    std::string header = frame_bytes(3, 1, std::string(5000, 'x')).substr(0, 7);
    auto parsed = parse_frame(header, 4096);
    EXPECT_EQ(parsed.status, FrameParse::Status::error);
    // A frame of exactly frame_max bytes (header + payload + end) is fine.
    std::string exact = frame_bytes(3, 1, std::string(4096 - 8, 'x'));
    EXPECT_EQ(parse_frame(exact, 4096).status, FrameParse::Status::complete);
    std::string one_more = frame_bytes(3, 1, std::string(4096 - 7, 'x'));
    EXPECT_EQ(parse_frame(one_more, 4096).status, FrameParse::Status::error);
}

TEST(Frame, RefusesAHugeSizeWithoutWrappingAround) {
    std::string header = {1, 0, 1, '\xFF', '\xFF', '\xFF', '\xFE'};
    EXPECT_EQ(parse_frame(header, 131072).status, FrameParse::Status::error);
}

TEST(Frame, RefusesAMissingFrameEndAndAnUnknownType) {
    EXPECT_EQ(parse_frame(frame_bytes(1, 0, "x", 'Z'), 4096).status, FrameParse::Status::error);
    EXPECT_EQ(parse_frame(frame_bytes(9, 0, "x"), 4096).status, FrameParse::Status::error);
    EXPECT_EQ(parse_frame(frame_bytes(8, 0, ""), 4096).status, FrameParse::Status::complete);
}

TEST(Frame, BeginAndEndFramePatchTheSize) {
    mb::ByteBuffer out;
    out.append("prefix");
    out.consume(6);  // positions are relative to the readable bytes, as after a partial write
    size_t at = begin_frame(out, FrameType::method, 3);
    out.append("abc");
    end_frame(out, at);
    EXPECT_EQ(out.readable(), frame_bytes(1, 3, "abc"));
}

TEST(Frame, BodiesAreSplitIntoFramesOfAtMostFrameMax) {
    mb::ByteBuffer out;
    std::string body(10000, 'b');
    write_body_frames(out, 2, body, 4096);
    std::string_view rest = out.readable();
    std::string joined;
    int frames = 0;
    while (!rest.empty()) {
        auto parsed = parse_frame(rest, 4096);
        ASSERT_EQ(parsed.status, FrameParse::Status::complete);
        EXPECT_EQ(parsed.frame.type, FrameType::body);
        EXPECT_LE(parsed.consumed, 4096u);
        joined.append(parsed.frame.payload);
        rest.remove_prefix(parsed.consumed);
        ++frames;
    }
    EXPECT_EQ(frames, 3);  // 4088 + 4088 + 1824
    EXPECT_EQ(joined, body);
}

TEST(Frame, RandomBytesNeverCrashOrOverrun) {
    std::mt19937 random(42);
    for (int round = 0; round < 20000; ++round) {
        std::string bytes(random() % 64, '\0');
        for (char& c : bytes) c = static_cast<char>(random());
        if (round % 2 == 0 && bytes.size() >= 7) bytes[0] = static_cast<char>(1 + random() % 3);
        auto parsed = parse_frame(bytes, 4096);
        if (parsed.status == FrameParse::Status::complete) {
            EXPECT_LE(parsed.consumed, bytes.size());
            EXPECT_EQ(parsed.frame.payload.size() + 8, parsed.consumed);
        }
    }
}
