// /metrics for miniredis (see server_metrics.cpp).
#pragma once

#include "core/broker.hpp"
#include "metrics.hpp"

namespace miniredis {

// Registers every miniredis series on `metrics`; both must outlive the admin endpoint.
void register_metrics(mb::Metrics& metrics, Broker& state);

}  // namespace miniredis
