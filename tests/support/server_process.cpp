// ServerProcess: fork/exec, a thread that drains the child's stderr (so it never blocks on a full
// pipe), and parsing of the "listening on" lines.
#include "server_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <regex>
#include <stdexcept>

namespace mb::test {

std::string binary(const char* env_var) {
    const char* path = std::getenv(env_var);
    if (!path || !*path) throw std::runtime_error(std::string(env_var) + " is not set (run the tests through meson)");
    return path;
}

ServerProcess::ServerProcess(std::string binary, std::vector<std::string> args)
    : binary_(std::move(binary)), args_(std::move(args)) {
    std::string templ = (std::filesystem::temp_directory_path() / "minibrokers-test-XXXXXX").string();
    if (!mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
    dir_ = templ;
    start();
}

ServerProcess::~ServerProcess() {
    if (pid_ > 0) stop();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
}

void ServerProcess::start() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    std::vector<std::string> argv_strings = {binary_, "--port", "0", "--dir", dir_};
    argv_strings.insert(argv_strings.end(), args_.begin(), args_.end());
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        dup2(fds[1], STDERR_FILENO);
        dup2(fds[1], STDOUT_FILENO);
        std::vector<char*> argv;
        for (auto& s : argv_strings) argv.push_back(s.data());
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    close(fds[1]);
    log_fd_ = fds[0];
    {
        std::lock_guard lock(mutex_);
        log_start_ = log_.size();
        port_ = admin_port_ = 0;
    }
    reader_ = std::thread([this, fd = log_fd_] {
        char chunk[4096];
        for (;;) {
            ssize_t n = read(fd, chunk, sizeof chunk);
            if (n <= 0) break;
            std::lock_guard lock(mutex_);
            log_.append(chunk, static_cast<size_t>(n));
            changed_.notify_all();
        }
        close(fd);
        std::lock_guard lock(mutex_);
        changed_.notify_all();
    });

    // Ready = it printed where it listens (the admin port too, when one was asked for).
    bool wants_admin = false;
    for (size_t i = 0; i + 1 < args_.size(); ++i)
        if (args_[i] == "--admin-port") wants_admin = true;
    static const std::regex kListening(R"((admin http )?listening on [0-9.]+:([0-9]+))");
    std::unique_lock lock(mutex_);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    bool ready = false;
    while (!ready && pid_ > 0 && std::chrono::steady_clock::now() < deadline) {
        changed_.wait_for(lock, std::chrono::milliseconds(50));
        std::string run_log = log_.substr(log_start_);
        for (std::sregex_iterator it(run_log.begin(), run_log.end(), kListening), end; it != end; ++it) {
            auto port = static_cast<uint16_t>(std::stoi((*it)[2]));
            if ((*it)[1].matched)
                admin_port_ = port;
            else
                port_ = port;
        }
        ready = port_ != 0 && (!wants_admin || admin_port_ != 0);
        int status = 0;
        if (!ready && waitpid(pid_, &status, WNOHANG) == pid_) pid_ = -1;  // it died: report below
    }
    if (!ready) {
        lock.unlock();
        if (pid_ > 0) reap(SIGKILL);
        if (reader_.joinable()) reader_.join();
        throw std::runtime_error("server did not start: " + log().substr(log_start_));
    }
}

void ServerProcess::reap(int signal) {
    kill(pid_, signal);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    if (reader_.joinable()) reader_.join();
    last_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int ServerProcess::stop() {
    if (pid_ <= 0) return last_status_;
    reap(SIGTERM);
    return last_status_;
}

void ServerProcess::kill9() {
    if (pid_ > 0) reap(SIGKILL);
}

void ServerProcess::restart() {
    if (pid_ > 0) stop();
    start();
}

std::string ServerProcess::log() const {
    std::lock_guard lock(mutex_);
    return log_;
}

}  // namespace mb::test
