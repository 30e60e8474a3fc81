// minikafka: a Kafka-protocol broker with a partitioned, segmented log on disk.
//   minikafka [server.properties] [--port 9092] [--dir PATH] [--log.segment.bytes N] ...
// Every option is also a server.properties line (name=value); see `minikafka --help`.
#include "controller_link.hpp"
#include "log.hpp"
#include "server.hpp"

int main(int argc, char** argv) {
    mb::log::set_program("minikafka");
    mb::Options options;
    if (int code = options.parse_command_line(minikafka::server_options(), argc, argv, "minikafka",
                                              "[server.properties] [--name value ...]");
        code >= 0)
        return code;
    if (int code = minikafka::apply_cluster_options(options); code >= 0) return code;
    return minikafka::run_server(options);
}
