// Test helper: a fresh directory under /tmp for one test's data (segments, checkpoints, the
// metadata log), removed with everything in it when the test ends - and a file read back whole.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace minikafka::test {

class TempDir {
public:
    TempDir() {
        char pattern[] = "/tmp/minikafka-test-XXXXXX";
        path_ = mkdtemp(pattern);
    }
    ~TempDir() { std::filesystem::remove_all(path_); }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream all;
    all << in.rdbuf();
    return all.str();
}

}  // namespace minikafka::test
