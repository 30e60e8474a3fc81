// minikafka/server_properties.hpp
//
// CONCEPT: loading Kafka's own server.properties (the KRaft one Kafka ships as
// config/kraft/server.properties) as it is, and `--override name=value` as kafka-server-start.sh
// takes it:
//
//   minikafka server.properties --override log.dirs=/tmp/k --override node.id=1
//
//   line                              what happens
//   log.segment.bytes=1073741824      ours (server.cpp's table): takes effect
//   log.dirs=/a,/b  log.retention.hours=168   Kafka's other spellings: folded into ours here
//   num.network.threads=3             Kafka knows it, we don't: accepted, ONE summary warning
//   log.retension.ms=1                nobody knows it: refused, naming file:line
//
// READ NEXT: server_properties.cpp, then controller_link.cpp (listeners, node.id, voters).
#pragma once

#include <optional>
#include <span>
#include <string>

#include "options.hpp"

namespace minikafka {

// The properties that are another spelling of one of ours (log.dirs for --dir, ...).
std::span<const mb::OptionSpec> server_properties_options();
// Kafka broker properties minikafka accepts without implementing them.
mb::ConfigFileRules server_properties_rules();
// Folds the other spellings into the options the server reads, Kafka's precedence kept
// (log.retention.ms over .minutes over .hours; the later of log.dirs and --dir). An error to
// print, or nullopt.
std::optional<std::string> apply_server_properties(mb::Options& options);

}  // namespace minikafka
