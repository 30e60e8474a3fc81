// Base64 against the test vectors of RFC 4648 section 10, and binary bytes both ways.
#include "base64.hpp"

#include <gtest/gtest.h>

#include <string>

using mb::base64_decode;
using mb::base64_encode;

TEST(Base64, Rfc4648Vectors) {
    const std::pair<std::string, std::string> vectors[] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
    };
    for (const auto& [plain, encoded] : vectors) {
        EXPECT_EQ(base64_encode(plain), encoded) << plain;
        EXPECT_EQ(base64_decode(encoded), plain) << encoded;
    }
}

TEST(Base64, EveryByteValueRoundTrips) {
    std::string bytes;
    for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
    std::string encoded = base64_encode(bytes);
    EXPECT_EQ(encoded.size(), (bytes.size() + 2) / 3 * 4);
    EXPECT_EQ(base64_decode(encoded), bytes);
}

TEST(Base64, DecodeSkipsWhitespaceAndStopsAtGarbage) {
    EXPECT_EQ(base64_decode("Zm9v\r\nYmFy"), "foobar");
    EXPECT_EQ(base64_decode("Zm9v!YmFy"), "foo");
    EXPECT_EQ(base64_decode("Z"), "");  // six bits are not a byte
}
