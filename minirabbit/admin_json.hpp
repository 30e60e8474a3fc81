// CONCEPT: AMQP names are bytes, JSON text is UTF-8 - the management API must bridge the two.
//
//   queue.declare "q-\xff"  ──▶  the broker keeps the 3 bytes as they are (AMQP shortstr: any octets)
//   GET /api/queues          ──▶  [{"name":"q-\uFFFD", ...}]   (valid JSON, one U+FFFD per bad sequence)
//
// A client may name a queue, an exchange, a vhost, a user, a routing key or a client property
// with any bytes; echoed into JSON unchanged, a name that is not UTF-8 makes the whole response
// invalid (every JSON parser, rabbitmqadmin's included, refuses it), so one odd queue would hide
// all the others. Each invalid sequence becomes U+FFFD, the replacement character, as a UTF-8
// decoder does (Unicode's "maximal subpart" rule, the WHATWG decoder's too), which is what a
// management UI then shows. The bytes in the broker stay as the client sent them.
// READ NEXT: admin_api.cpp (reply() serialises every response through this).
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace minirabbit {

// `text` with each invalid UTF-8 sequence replaced by U+FFFD (unchanged if it is valid).
std::string valid_utf8(std::string_view text);
bool is_valid_utf8(std::string_view text);

// JSON text of `value` whose strings and object keys are all valid UTF-8.
std::string serialize_as_valid_utf8(const boost::json::value& value);

}  // namespace minirabbit
