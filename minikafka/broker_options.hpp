// minikafka/broker_options.hpp - from the parsed command line / server.properties to the
// socket-free configuration structs the Broker is built from (see broker_options.cpp).
#pragma once

#include <string>

#include "core/broker.hpp"
#include "options.hpp"

namespace minikafka {

// The broker-wide settings; the cluster id comes from (or is written to) DIR/meta.properties.
BrokerConfig broker_config(const mb::Options& options, const std::string& dir);
// The per-topic defaults (log.*, message.max.bytes): what a topic without its own configs uses.
LogConfig log_defaults(const mb::Options& options);
// The consumer-group coordinator's limits (group.*, offsets.retention.check.interval.ms).
GroupConfig group_config(const mb::Options& options);

}  // namespace minikafka
