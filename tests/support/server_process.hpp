// ServerProcess: runs a built broker as a child process for an integration test.
//
//   mb::test::ServerProcess redis(mb::test::binary("MINIREDIS_BIN"), {"--appendonly", "yes"});
//   hiredis_connect("127.0.0.1", redis.port());   ... drive it with a real client ...
//
// It starts the binary with `--port 0 --dir <fresh temp dir>` plus the given arguments, reads its
// log until the "listening on 127.0.0.1:PORT" line (so the test learns the port the kernel
// picked), and on destruction sends SIGTERM, waits, and removes the directory. kill9() and
// restart() let crash tests kill the broker hard and start it again on the same data directory.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mb::test {

// The path of a built binary, from the environment variable meson's test() sets.
std::string binary(const char* env_var);

class ServerProcess {
public:
    explicit ServerProcess(std::string binary, std::vector<std::string> args = {});
    ~ServerProcess();
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;

    uint16_t port() const { return port_; }
    uint16_t admin_port() const { return admin_port_; }  // 0 unless started with --admin-port 0
    const std::string& dir() const { return dir_; }
    std::string log() const;  // everything the server wrote to stderr so far

    int stop();      // SIGTERM, wait; returns the exit status (or 128+signal)
    void kill9();    // SIGKILL, as a crash would: no flush, no goodbye
    void restart();  // start again with the same arguments and data directory
    bool running() const { return pid_ > 0; }

private:
    void start();
    void reap(int signal);

    std::string binary_;
    std::vector<std::string> args_;
    std::string dir_;
    pid_t pid_ = -1;
    int log_fd_ = -1;
    uint16_t port_ = 0;
    uint16_t admin_port_ = 0;
    std::thread reader_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::string log_;
    int last_status_ = -1;
    size_t log_start_ = 0;  // where this run's log begins (restart() keeps the earlier text)
};

}  // namespace mb::test
