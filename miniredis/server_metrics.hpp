// /metrics for miniredis (see server_metrics.cpp).
#pragma once

#include "core/server_state.hpp"
#include "metrics.hpp"

namespace miniredis {

// Registers every miniredis series on `metrics`; both must outlive the admin endpoint.
void register_metrics(mb::Metrics& metrics, ServerState& state);

}  // namespace miniredis
