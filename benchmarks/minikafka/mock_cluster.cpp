// librdkafka's in-memory mock cluster as a standalone broker, for the side-by-side benchmark:
// it speaks the Kafka protocol but keeps records in memory and does no disk I/O at all, so it
// shows what the *client side* can push on this machine.
//   mock_cluster [topic partitions ...]   prints "BOOTSTRAP 127.0.0.1:PORT", runs until stdin closes
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
    char error[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
    if (!rk) {
        std::fprintf(stderr, "rd_kafka_new: %s\n", error);
        return 1;
    }
    rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(rk, 1);
    if (!cluster) {
        std::fprintf(stderr, "cannot start the mock cluster\n");
        return 1;
    }
    for (int i = 1; i + 1 < argc; i += 2) rd_kafka_mock_topic_create(cluster, argv[i], std::atoi(argv[i + 1]), 1);
    std::printf("BOOTSTRAP %s\n", rd_kafka_mock_cluster_bootstraps(cluster));
    std::fflush(stdout);
    while (std::getchar() != EOF) {
    }
    rd_kafka_mock_cluster_destroy(cluster);
    rd_kafka_destroy(rk);
    return 0;
}
