// common/base64.hpp
//
// Base64 (RFC 4648, standard alphabet, '=' padding): how binary bytes travel inside text - an HTTP
// Basic `Authorization` header, a message payload in the management API's JSON, RabbitMQ's stored
// password hashes. Three bytes become four characters of 6 bits each.
//
// CONCEPT: a helper, not a concept of the notes: here because two servers need it and common/ is the
// one place they may both include.
// READ NEXT: minirabbit/model/users.cpp (stored password hashes).
#pragma once

#include <string>
#include <string_view>

namespace mb {

std::string base64_encode(std::string_view bytes);

// Decodes until the '=' padding, skipping whitespace; stops at the first character that is not
// base64, so garbage yields a short result rather than an error (callers compare what they get).
std::string base64_decode(std::string_view text);

}  // namespace mb
