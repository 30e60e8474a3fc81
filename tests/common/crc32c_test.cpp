// CRC32C against published check values (RFC 3720 appendix B.4, and the "123456789" check).
#include "crc32c.hpp"

#include <gtest/gtest.h>

#include <string>

using mb::crc32c;
using mb::crc32c_portable;

TEST(Crc32c, StandardCheckValue) {
    EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
    EXPECT_EQ(crc32c_portable("123456789"), 0xE3069283u);
}

TEST(Crc32c, Rfc3720Vectors) {
    std::string zeros(32, '\0');
    std::string ones(32, '\xff');
    std::string ascending;
    std::string descending;
    for (int i = 0; i < 32; ++i) {
        ascending.push_back(static_cast<char>(i));
        descending.push_back(static_cast<char>(31 - i));
    }
    for (auto* f : {&crc32c, &crc32c_portable}) {
        EXPECT_EQ(f(zeros, 0), 0x8A9136AAu);
        EXPECT_EQ(f(ones, 0), 0x62A8AB43u);
        EXPECT_EQ(f(ascending, 0), 0x46DD794Eu);
        EXPECT_EQ(f(descending, 0), 0x113FDB5Cu);
    }
}

TEST(Crc32c, ExtendingEqualsOneShot) {
    std::string text = "The quick brown fox jumps over the lazy dog, twice over the lazy dog.";
    for (size_t split = 0; split <= text.size(); ++split) {
        std::string_view a(text.data(), split);
        std::string_view b(text.data() + split, text.size() - split);
        EXPECT_EQ(crc32c(b, crc32c(a)), crc32c(text));
        EXPECT_EQ(crc32c_portable(b, crc32c_portable(a)), crc32c(text));
    }
}

TEST(Crc32c, HardwareAndPortableAgreeOnEveryLengthAndAlignment) {
    std::string data;
    for (int i = 0; i < 300; ++i) data.push_back(static_cast<char>(i * 31 + 7));
    for (size_t start = 0; start < 8; ++start)
        for (size_t len = 0; start + len <= data.size(); len += 7)
            EXPECT_EQ(crc32c(std::string_view(data).substr(start, len)),
                      crc32c_portable(std::string_view(data).substr(start, len)));
}

TEST(Crc32c, StripedHardwarePathAgreesAroundStripeBoundaries) {
    // The hardware path runs three 4 KiB lanes at once on inputs of 12 KiB and more, then stitches
    // them together: compare with the table version just below, at and above those sizes.
    std::string data;
    for (int i = 0; i < 40000; ++i) data.push_back(static_cast<char>((i * 2654435761u) >> 13));
    for (size_t len : {12287u, 12288u, 12289u, 12295u, 24576u, 24583u, 36863u, 39999u})
        for (size_t start : {0u, 1u})
            EXPECT_EQ(crc32c(std::string_view(data).substr(start, len)),
                      crc32c_portable(std::string_view(data).substr(start, len)))
                << "length " << len << " start " << start;
    EXPECT_EQ(crc32c(std::string_view(data).substr(20000), crc32c(std::string_view(data).substr(0, 20000))),
              crc32c(data));
}

TEST(Crc32c, EveryImplementationOfThisCpuAgreesWithTheTable) {
    // The folding path takes 256 bytes per step from 512 bytes on and finishes the last 256 and
    // the tail with crc32; lengths around those steps, every alignment, and a starting value.
    std::string data;
    for (int i = 0; i < 70000; ++i) data.push_back(static_cast<char>((i * 2654435761u) >> 11));
    std::vector<size_t> lengths;
    for (size_t len = 0; len < 1600; ++len) lengths.push_back(len);
    for (size_t len : {2047u, 2048u, 2049u, 4096u, 12288u, 12289u, 65535u, 65536u, 69000u}) lengths.push_back(len);
    for (const mb::Crc32cImplementation& implementation : mb::crc32c_implementations()) {
        for (size_t len : lengths)
            for (size_t start : {0u, 1u, 7u, 63u})
                for (uint32_t before : {0u, 0xE3069283u})
                    ASSERT_EQ(implementation.function(std::string_view(data).substr(start, len), before),
                              crc32c_portable(std::string_view(data).substr(start, len), before))
                        << implementation.name << " length " << len << " start " << start << " crc " << before;
    }
    EXPECT_EQ(mb::crc32c_implementations().back().name, std::string("portable"));
}
