// This machine's limits, measured in the same run as the brokers, so the broker figures can be
// read against them:
//   machine_limits DIR
//     loopback_gb_per_s    one TCP stream over 127.0.0.1, 1 MB writes
//     page_cache_gb_per_s  sequential 1 MB appends to a file in DIR, no fsync
//     fsyncs_per_s         4 KB append + fdatasync, back to back, in DIR
//     synced_gb_per_s      1 MB appends, each followed by fdatasync: the ceiling for a durable
//                          log whose every acknowledged byte is on disk
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

double loopback_gb_per_s() {
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address);
    listen(listener, 1);
    socklen_t length = sizeof address;
    getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
    std::thread reader([listener] {
        int peer = accept(listener, nullptr, nullptr);
        std::vector<char> buffer(1 << 20);
        while (read(peer, buffer.data(), buffer.size()) > 0) {
        }
        close(peer);
    });
    int client = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return -1;
    std::vector<char> chunk(1 << 20, 'x');
    double bytes = 0;
    auto start = Clock::now();
    while (since(start) < 2.0) {
        ssize_t n = write(client, chunk.data(), chunk.size());
        if (n <= 0) break;
        bytes += static_cast<double>(n);
    }
    double elapsed = since(start);
    close(client);
    reader.join();
    close(listener);
    return bytes / elapsed / 1e9;
}

double page_cache_gb_per_s(const std::string& dir) {
    std::string path = dir + "/machine-limits-write.tmp";
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char> chunk(1 << 20, 'x');
    const int chunks = 512;
    auto start = Clock::now();
    for (int i = 0; i < chunks; ++i)
        if (write(fd, chunk.data(), chunk.size()) != static_cast<ssize_t>(chunk.size())) return -1;
    double elapsed = since(start);
    close(fd);
    unlink(path.c_str());
    return chunks * static_cast<double>(chunk.size()) / elapsed / 1e9;
}

double fsyncs_per_s(const std::string& dir) {
    std::string path = dir + "/machine-limits-fsync.tmp";
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    std::vector<char> block(4096, 'x');
    long count = 0;
    auto start = Clock::now();
    while (since(start) < 2.0) {
        if (write(fd, block.data(), block.size()) != 4096 || fdatasync(fd) != 0) return -1;
        ++count;
    }
    double elapsed = since(start);
    close(fd);
    unlink(path.c_str());
    return count / elapsed;
}

double synced_gb_per_s(const std::string& dir) {
    std::string path = dir + "/machine-limits-synced.tmp";
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    std::vector<char> chunk(1 << 20, 'x');
    double bytes = 0;
    auto start = Clock::now();
    while (since(start) < 2.0) {
        if (write(fd, chunk.data(), chunk.size()) != static_cast<ssize_t>(chunk.size()) || fdatasync(fd) != 0)
            return -1;
        bytes += static_cast<double>(chunk.size());
    }
    double elapsed = since(start);
    close(fd);
    unlink(path.c_str());
    return bytes / elapsed / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
    std::string dir = argc > 1 ? argv[1] : ".";
    std::printf("loopback_gb_per_s=%.2f page_cache_gb_per_s=%.2f fsyncs_per_s=%.0f synced_gb_per_s=%.2f\n",
                loopback_gb_per_s(), page_cache_gb_per_s(dir), fsyncs_per_s(dir), synced_gb_per_s(dir));
    return 0;
}
