// minikafka/raft/quorum_state.cpp - the quorum-state file: format, checksum, crash-safe rewrite.
//
// CONCEPT: the few numbers a voter must never forget - its epoch and its vote (quorum_state.hpp).
// Forgetting a vote after a crash would let a voter vote twice in one epoch, and two leaders could
// be elected. So the file is rewritten crash-safely (temporary file, fsync, rename) before any
// vote or epoch change is sent. Text with a CRC, as Kafka's quorum-state file is JSON text.
//
//   # minikafka quorum-state            <- comment lines are ignored (but checksummed)
//   leaderEpoch=6
//   leaderId=1
//   votedId=1
//   crc32c=8f2c01aa                     <- CRC32C of every byte above this line, in hex
//
// READ NEXT: replica.cpp (save_quorum_state before a grant leaves), file_log.cpp.
#include "quorum_state.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string_view>

#include "crc32c.hpp"

namespace minikafka::raft {
namespace {

constexpr std::string_view kCrcPrefix = "crc32c=";

[[noreturn]] void fail(const std::string& what, const std::string& path) {
    throw std::runtime_error(what + " " + path + ": " + std::strerror(errno));
}

// Reads a whole small file; nullopt when it does not exist.
std::optional<std::string> read_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return std::nullopt;
        fail("cannot open", path);
    }
    std::string content;
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0) {
            if (errno == EINTR) continue;
            ::close(fd);
            fail("cannot read", path);
        }
        if (n == 0) break;
        content.append(buffer, static_cast<size_t>(n));
        if (content.size() > 64 * 1024) break;  // a quorum-state file is a few dozen bytes
    }
    ::close(fd);
    return content;
}

bool parse_int32(std::string_view text, int32_t& value) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc{} && end == text.data() + text.size();
}

}  // namespace

std::string encode_quorum_state(const QuorumState& state) {
    std::string body = "# minikafka quorum-state (Kafka's quorum-state fields)\n";
    body += "leaderEpoch=" + std::to_string(state.leader_epoch) + "\n";
    body += "leaderId=" + std::to_string(state.leader_id) + "\n";
    body += "votedId=" + std::to_string(state.voted_id) + "\n";
    char crc[16];
    std::snprintf(crc, sizeof crc, "%08x", mb::crc32c(body));
    return body + std::string(kCrcPrefix) + crc + "\n";
}

// Parsing is strict about integrity and lenient about content: a bad checksum, a torn file or a
// missing field is refused (the voter must not guess what it promised), while an unknown field is
// skipped (a newer version may add some, as Kafka's file grew `currentVoters` and `data_version`).
std::optional<QuorumState> decode_quorum_state(const std::string& text, std::string& why) {
    // The checksum line is the last one; everything before it is what it covers.
    const size_t crc_at = text.rfind(kCrcPrefix);
    if (crc_at == std::string::npos || (crc_at != 0 && text[crc_at - 1] != '\n')) {
        why = "no crc32c line (a torn or foreign file)";
        return std::nullopt;
    }
    const std::string_view body(text.data(), crc_at);
    std::string_view crc_text(text.data() + crc_at + kCrcPrefix.size(), text.size() - crc_at - kCrcPrefix.size());
    if (!crc_text.empty() && crc_text.back() == '\n') crc_text.remove_suffix(1);
    uint32_t stored = 0;
    auto [end, ec] = std::from_chars(crc_text.data(), crc_text.data() + crc_text.size(), stored, 16);
    if (ec != std::errc{} || end != crc_text.data() + crc_text.size() || crc_text.size() != 8) {
        why = "unreadable crc32c line";
        return std::nullopt;
    }
    if (stored != mb::crc32c(body)) {
        why = "checksum mismatch (the file was damaged)";
        return std::nullopt;
    }
    QuorumState state;
    bool seen_epoch = false, seen_leader = false, seen_voted = false;
    size_t pos = 0;
    while (pos < body.size()) {
        size_t eol = body.find('\n', pos);
        if (eol == std::string_view::npos) eol = body.size();
        const std::string_view line = body.substr(pos, eol - pos);
        pos = eol + 1;
        if (line.empty() || line[0] == '#') continue;
        const size_t eq = line.find('=');
        if (eq == std::string_view::npos) {
            why = "a line without '='";
            return std::nullopt;
        }
        const std::string_view name = line.substr(0, eq), value = line.substr(eq + 1);
        int32_t* field = nullptr;
        if (name == "leaderEpoch") field = &state.leader_epoch, seen_epoch = true;
        if (name == "leaderId") field = &state.leader_id, seen_leader = true;
        if (name == "votedId") field = &state.voted_id, seen_voted = true;
        if (field == nullptr) continue;  // a field from a newer version: not ours to judge
        if (!parse_int32(value, *field)) {
            why = "bad number for " + std::string(name);
            return std::nullopt;
        }
    }
    if (!seen_epoch || !seen_leader || !seen_voted) {
        why = "missing leaderEpoch, leaderId or votedId";
        return std::nullopt;
    }
    return state;
}

FileQuorumStateStore::FileQuorumStateStore(std::string directory)
    : directory_(std::move(directory)), path_(directory_ + "/quorum-state") {}

// No file is a new voter (epoch 0, no vote) - that is how a node starts the first time. A file
// that is there but does not check out is different: the voter once promised something and can
// no longer say what, so it refuses to start rather than vote again.
std::optional<QuorumState> FileQuorumStateStore::load() {
    const auto text = read_file(path_);
    if (!text) return std::nullopt;  // a new voter: epoch 0, no vote
    std::string why;
    auto state = decode_quorum_state(*text, why);
    if (!state) throw std::runtime_error("corrupt quorum state file " + path_ + ": " + why);
    return state;
}

void FileQuorumStateStore::save(const QuorumState& state) {
    // Write the new version beside the old one, make it durable, then rename it over the old:
    // rename is atomic, so a crash at any point leaves one whole version. The directory's fsync
    // makes the rename itself durable.
    const std::string tmp = path_ + ".tmp";
    const std::string text = encode_quorum_state(state);
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail("cannot create", tmp);
    size_t written = 0;
    while (written < text.size()) {
        const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            ::close(fd);
            fail("cannot write", tmp);
        }
        written += static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0) {
        ::close(fd);
        fail("cannot fsync", tmp);
    }
    ::close(fd);
    if (::rename(tmp.c_str(), path_.c_str()) != 0) fail("cannot rename over", path_);
    const int dir = ::open(directory_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) fail("cannot open directory", directory_);
    const int rc = ::fsync(dir);
    ::close(dir);
    if (rc != 0) fail("cannot fsync directory", directory_);
}

}  // namespace minikafka::raft
