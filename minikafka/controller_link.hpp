// minikafka/controller_link.hpp - the wiring of cluster mode: the KRaft options, the controller
// listener, the outbound connections to the other voters, and the tick. Only main.cpp and
// run_server.cpp include this; everything Asio stays in controller_link.cpp.
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>

#include "admin_http.hpp"
#include "options.hpp"

namespace minikafka {

class Broker;

// Checks the KRaft options (node.id, process.roles, controller.quorum.voters, listeners, ...) and
// maps `listeners`' PLAINTEXT entry onto --bind/--port and node.id onto broker.id. Returns -1 to
// go on, or an exit code after printing why (2: a bad option, as for any other).
int apply_cluster_options(mb::Options& options);

// A running controller: owns the Controller, its listener and its links. Destroyed after io.run().
class ClusterNode;
struct ClusterNodeDeleter {
    void operator()(ClusterNode* node) const;
};
using ClusterNodePtr = std::unique_ptr<ClusterNode, ClusterNodeDeleter>;

// Starts the controller when controller.quorum.voters is set (nullptr otherwise: single-node mode,
// nothing changes). Sets broker.controller. Throws std::runtime_error (a corrupt metadata log, the
// controller port in use).
ClusterNodePtr start_cluster_node(boost::asio::io_context& io, const mb::Options& options, Broker& broker);

// After io.run() returned on SIGINT/SIGTERM: an active controller resigns - EndQuorumEpoch to the
// other voters, so they elect a successor at once instead of waiting out the fetch timeout - and
// the io_context runs a little longer so that those requests leave.
void stop_cluster_node(boost::asio::io_context& io, ClusterNode& node);

// GET /api/quorum.
mb::HttpResponse quorum_api(Broker& broker);

}  // namespace minikafka
