// minikafka/replica_fetcher_link.hpp - the wiring of replication in cluster mode: this broker's
// ReplicaManager, fed from the metadata image, and one outbound connection per leader broker for
// its follower fetches. Only controller_link.cpp includes this.
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>

#include "options.hpp"

namespace minikafka {

class Broker;
class Controller;
class Replication;
// An AlterPartition request body (v1) to the active controller: set by controller_link.cpp.
void set_alter_partition_sender(Replication& replication, std::function<void(std::string body)> send);

// Creates the ReplicaManager (sets broker.replicas) and starts the loop that applies the image
// and runs the fetchers. Lives as long as the returned pointer.
std::shared_ptr<Replication> start_replication(boost::asio::io_context& io, const mb::Options& options, Broker& broker,
                                               Controller& controller);

}  // namespace minikafka
