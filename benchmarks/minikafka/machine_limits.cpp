// This machine's limits, measured in the same run as the brokers, so the broker figures can be
// read against them:
//   machine_limits DIR
//     loopback_gb_per_s    one TCP stream over 127.0.0.1, 1 MB writes
//     page_cache_gb_per_s  sequential 1 MB appends to a new file in DIR, no fsync, after 30 s idle:
//                          what appending costs when the kernel must hand out memory nobody used
//                          for a while (on a VM that returns free memory to the host: a host
//                          fault per page)
//     recycled_gb_per_s    the same right after deleting such a file, so the appends land in the
//                          memory just freed
//     disk_gb_per_s        8 MB O_DIRECT writes: the disk's own sequential bandwidth, the ceiling
//                          for anything that must be on disk before it is acknowledged
//     fsyncs_per_s         4 KB append + fdatasync, back to back, in DIR
//     synced_gb_per_s      1 MB appends, each followed by fdatasync: a durable log that syncs
//                          every append on its own
//     group_commit_gb_per_s  1 MB appends while a second thread fdatasyncs, over and over, all
//                          that was appended meanwhile (group commit), the writer at most 32 MB
//                          ahead of the last fsync: the disk's ceiling for a durable log that
//                          acknowledges only what an fsync has covered
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
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

// On a virtual machine the difference between the two page-cache figures can be large: a guest
// that hands its free memory back to the host (virtio-balloon free page reporting, a few seconds
// after the memory is freed) pays for the host to back every page again on first touch.
double append_gb_per_s(const std::string& path, int chunks, int flags = 0, size_t chunk_size = 1 << 20) {
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | flags, 0644);
    if (fd < 0) return -1;
    void* memory = nullptr;
    if (posix_memalign(&memory, 4096, chunk_size) != 0) return -1;  // O_DIRECT wants aligned buffers
    std::memset(memory, 'x', chunk_size);
    auto start = Clock::now();
    for (int i = 0; i < chunks; ++i)
        if (write(fd, memory, chunk_size) != static_cast<ssize_t>(chunk_size)) return -1;
    double elapsed = since(start);
    close(fd);
    std::free(memory);
    return chunks * static_cast<double>(chunk_size) / elapsed / 1e9;
}

struct PageCache {
    double new_memory, recycled;
};

PageCache page_cache_gb_per_s(const std::string& dir) {
    std::string path = dir + "/machine-limits-write.tmp";
    std::this_thread::sleep_for(std::chrono::seconds(30));  // what was freed before is back with the host
    PageCache result{append_gb_per_s(path, 1024), 0};
    unlink(path.c_str());
    result.recycled = append_gb_per_s(path, 1024);
    unlink(path.c_str());
    return result;
}

double disk_gb_per_s(const std::string& dir) {
    std::string path = dir + "/machine-limits-direct.tmp";
    double rate = append_gb_per_s(path, 256, O_DIRECT, 8 << 20);
    unlink(path.c_str());
    return rate;
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

// Each fsync covers what was appended while the previous one ran, so a slow fsync is followed
// by a bigger one: the fixed cost of a flush (journal commit, the disk's cache flush) is shared
// by more bytes as the load grows. The bound on how far the writer may run ahead keeps this a
// measure of the disk rather than of the page cache.
double group_commit_gb_per_s(const std::string& dir) {
    std::string path = dir + "/machine-limits-group-commit.tmp";
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return -1;
    constexpr int64_t kChunk = 1 << 20, kAhead = 32 << 20, kTotal = int64_t{1} << 30;
    std::vector<char> chunk(kChunk, 'x');
    std::atomic<int64_t> written{0}, synced{0};
    std::atomic<bool> failed{false};
    auto start = Clock::now();
    std::thread syncer([&] {
        while (synced < kTotal && !failed) {
            int64_t covered = written;
            if (covered == synced) {
                std::this_thread::yield();
                continue;
            }
            if (fdatasync(fd) != 0) failed = true;
            synced = covered;
        }
    });
    for (int64_t at = 0; at < kTotal && !failed; at += kChunk) {
        while (at - synced >= kAhead && !failed) std::this_thread::sleep_for(std::chrono::microseconds(50));
        if (pwrite(fd, chunk.data(), kChunk, at) != kChunk) failed = true;
        written = at + kChunk;
    }
    syncer.join();
    double elapsed = since(start);
    close(fd);
    unlink(path.c_str());
    return failed ? -1 : static_cast<double>(kTotal) / elapsed / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
    std::string dir = argc > 1 ? argv[1] : ".";
    double loopback = loopback_gb_per_s();
    PageCache page_cache = page_cache_gb_per_s(dir);
    double disk = disk_gb_per_s(dir);
    double fsyncs = fsyncs_per_s(dir);
    double synced = synced_gb_per_s(dir);
    double group_commit = group_commit_gb_per_s(dir);
    std::printf(
        "loopback_gb_per_s=%.2f page_cache_gb_per_s=%.2f recycled_gb_per_s=%.2f disk_gb_per_s=%.2f fsyncs_per_s=%.0f "
        "synced_gb_per_s=%.2f group_commit_gb_per_s=%.2f\n",
        loopback, page_cache.new_memory, page_cache.recycled, disk, fsyncs, synced, group_commit);
    return 0;
}
