// minikafka/replica_fetcher_link.hpp - the wiring of replication in cluster mode: this broker's
// ReplicaManager, fed from the metadata image, and one outbound connection per leader broker for
// its follower fetches. Only controller_link.cpp includes this.
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>

#include "options.hpp"

namespace minikafka {

class Broker;
class Controller;
class Replication;

// Creates the ReplicaManager (sets broker.replicas) and starts the loop that applies the image
// and runs the fetchers. Lives as long as the returned pointer.
std::shared_ptr<Replication> start_replication(boost::asio::io_context& io, const mb::Options& options, Broker& broker,
                                               Controller& controller);

}  // namespace minikafka
