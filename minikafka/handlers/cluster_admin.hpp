// minikafka/handlers/cluster_admin.hpp - admin requests in cluster mode go to the active
// controller (see cluster_admin.cpp).
//
// CONCEPT: in a KRaft cluster, topics are metadata, and metadata has one writer - the active
// controller. Any broker may receive an admin request; this is the shared path by which admin.cpp,
// metadata.cpp and produce.cpp (auto-creation) hand it on, instead of acting locally.
// READ NEXT: cluster_admin.cpp, core/topic_control.cpp.
#pragma once

#include "core/broker.hpp"
#include "core/reply.hpp"
#include "protocol/admin.hpp"
#include "protocol/request_header.hpp"

namespace minikafka {

// CreateTopics / DeleteTopics / CreatePartitions from a client, in cluster mode. `body` is the
// undecoded request (after the header); `names` the topics it names (for errors); `partitions`
// the partition count each must reach to count as visible (-1: exists).
bool cluster_admin(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply,
                   const std::vector<std::string>& names, std::vector<int32_t> partitions);

// The same three APIs on the CONTROLLER listener: forwarded by another broker.
bool handle_forwarded_admin(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply);

// Cluster mode, on a broker that is not the active controller: sends the request (its body, at
// the client's version) to the active controller and relays the answer's body; `unreachable`
// writes the answer when no controller could be asked. Used for the APIs whose decision is the
// controller's and whose answer needs nothing from this broker (reassignments, AlterConfigs).
// `before_answering`, if given, gets the controller's answer as a callable to run when this
// broker is ready to send it (AlterConfigs waits until its own image shows the change).
void forward_as_is(Broker& broker, const RequestHeader& header, KafkaReader& body, Reply& reply,
                   std::function<void(KafkaWriter&)> unreachable,
                   std::function<void(std::function<void()>)> before_answering = {});

// How many partitions a CreateTopics entry makes.
int32_t created_partitions(const CreatableTopic& topic, int32_t default_partitions);

// Metadata / Produce for an unknown topic: ask the controller to create it (fire and forget).
void auto_create_topic(Broker& broker, std::string_view name);

}  // namespace minikafka
