// Labelled queue metrics and health for minirabbit.
//
// CONCEPT: one series per queue. The totals in main.cpp (all ready messages of the broker) say
// "something is piling up"; labels say *where*, which is what a RabbitMQ dashboard plots:
//
//   minirabbit_queue_messages_ready{vhost="/",queue="tasks"} 120     waiting for a consumer
//   minirabbit_queue_messages_unacked{vhost="/",queue="tasks"} 10    delivered, not acked yet
//   minirabbit_queue_consumers{vhost="/",queue="tasks"} 2
//
// The names are rabbitmq_prometheus' (rabbitmq_queue_messages_ready, ...) with our prefix. They
// are read when scraped, from counts each queue keeps anyway (model/queue.hpp): publishing and
// acking pay nothing for them.
//
// READ NEXT: common/metrics.hpp (the text format), common/health.hpp (the alarms /healthz reports).
#include "server_metrics.hpp"

#include <vector>

#include "health.hpp"
#include "model/broker.hpp"

namespace minirabbit {

void register_queue_metrics(mb::Metrics& metrics, const Broker& broker) {
    auto per_queue = [&broker](auto read) {
        return [&broker, read] {
            std::vector<mb::Sample> out;
            for (const auto& [vhost_name, vhost] : broker.vhosts())
                for (const auto& [queue_name, queue] : vhost->queues())
                    out.push_back(
                        {mb::Metrics::label("vhost", vhost_name) + "," + mb::Metrics::label("queue", queue_name),
                         static_cast<double>(read(*queue))});
            return out;
        };
    };
    metrics.family("minirabbit_queue_messages_ready", "Messages ready for delivery, per queue.", false,
                   per_queue([](const Queue& q) { return q.ready_count(); }));
    metrics.family("minirabbit_queue_messages_unacked", "Messages delivered and not yet acknowledged, per queue.",
                   false, per_queue([](const Queue& q) { return q.unacked_count(); }));
    metrics.family("minirabbit_queue_consumers", "Consumers, per queue.", false,
                   per_queue([](const Queue& q) { return q.consumer_count(); }));
    metrics.process_metrics();
}

std::string health_problems(const Broker& broker, const std::string& dir, uint64_t disk_free_limit) {
    return mb::health_problems({broker.memory_used(), broker.memory_high_watermark, dir, disk_free_limit});
}

}  // namespace minirabbit
