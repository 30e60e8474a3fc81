// minikafka/raft/file_log.cpp - the metadata log file: frames, group flush, torn-tail recovery,
// and the rewrite a snapshot causes. Reading order: load (what a restart finds), append/flush
// (the normal path), truncate_to (a follower repairing a divergence), install_snapshot.
//
// CONCEPT: the metadata log on disk (file_log.hpp) with the one promise Raft needs: what flush()
// returned for survives a crash, and nothing else counts as held. A voter that acknowledged an
// entry it then lost could make a majority that does not exist - so the leader counts only its
// flushed end toward the majority, a follower flushes before its next fetch offset tells the
// leader it holds the entries, and a torn tail is cut at start.
//
//   append ─▶ frame [length | crc | entry] in the buffer ─▶ flush: write + fdatasync ─▶ flushed end
//
// READ NEXT: quorum_state.cpp (the other durable file), replication.cpp (advance_high_watermark).
#include "file_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "big_endian.hpp"
#include "crc32c.hpp"

namespace minikafka::raft {

namespace {

constexpr size_t kHeaderBytes = 8;       // the log's start offset
constexpr size_t kFrameHeaderBytes = 8;  // length + crc
constexpr uint32_t kMaxFrameBytes = 64 << 20;

[[noreturn]] void fail(const std::string& what, const std::string& path) {
    throw std::runtime_error(what + " " + path + ": " + std::strerror(errno));
}

std::string read_whole(const std::string& path, bool& exists) {
    exists = false;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return {};
        fail("cannot open", path);
    }
    exists = true;
    std::string content;
    char buffer[65536];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            ::close(fd);
            fail("cannot read", path);
        }
        if (n == 0) break;
        content.append(buffer, static_cast<size_t>(n));
    }
    ::close(fd);
    return content;
}

void write_all(int fd, std::string_view bytes, const std::string& path) {
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail("cannot write", path);
        bytes.remove_prefix(static_cast<size_t>(n));
    }
}

void sync_directory(const std::string& directory) {
    const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) fail("cannot open", directory);
    ::fsync(fd);
    ::close(fd);
}

// Crash-safe replace: after a crash the file is the old one or the new one, never a mix.
void write_atomically(const std::string& directory, const std::string& path, std::string_view bytes) {
    const std::string temporary = path + ".tmp";
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail("cannot create", temporary);
    write_all(fd, bytes, temporary);
    if (::fsync(fd) != 0) fail("cannot fsync", temporary);
    ::close(fd);
    if (::rename(temporary.c_str(), path.c_str()) != 0) fail("cannot rename", temporary);
    sync_directory(directory);
}

void append_frame(std::string& out, const LogEntry& entry) {
    std::string payload(5, '\0');
    mb::store_big_endian(payload.data(), entry.epoch);
    payload[4] = static_cast<char>(entry.kind);
    payload += entry.record;
    char header[kFrameHeaderBytes];
    mb::store_big_endian(header, static_cast<uint32_t>(payload.size()));
    mb::store_big_endian(header + 4, mb::crc32c(payload));
    out.append(header, sizeof header);
    out += payload;
}

std::string encode_header(int64_t start) {
    std::string header(kHeaderBytes, '\0');
    mb::store_big_endian(header.data(), start);
    return header;
}

}  // namespace

FileRaftLog::FileRaftLog(std::string directory)
    : directory_(std::move(directory)), log_path_(directory_ + "/log"), snapshot_path_(directory_ + "/snapshot") {
    std::filesystem::create_directories(directory_);
    load();
}

FileRaftLog::~FileRaftLog() {
    if (fd_ >= 0) ::close(fd_);
}

// What a restart finds: the snapshot (if any, checked whole), then the log frame by frame. Every
// frame that checks out is an entry; the first one that does not is either a torn tail (nothing
// after it: a crash cut the last write short, and that write was never flushed, so no one counted
// it) or corruption (good bytes after it: something damaged the file, and silently dropping
// entries a majority may have counted could lose committed records).
void FileRaftLog::load() {
    bool exists = false;
    std::string snap = read_whole(snapshot_path_, exists);
    if (exists) {
        if (snap.size() < 16) throw std::runtime_error("snapshot " + snapshot_path_ + " is too short");
        Snapshot s;
        s.id.offset = mb::load_big_endian<int64_t>(snap.data());
        s.id.epoch = mb::load_big_endian<int32_t>(snap.data() + 8);
        const uint32_t crc = mb::load_big_endian<uint32_t>(snap.data() + 12);
        s.data = snap.substr(16);
        if (mb::crc32c(s.data) != crc) throw std::runtime_error("snapshot " + snapshot_path_ + " fails its checksum");
        snapshot_ = std::move(s);
    }

    std::string bytes = read_whole(log_path_, exists);
    if (!exists || bytes.size() < kHeaderBytes) {
        // A new log (or one whose header never reached the disk): it starts at the snapshot.
        start_ = snapshot_ ? snapshot_->id.offset : 0;
        write_atomically(directory_, log_path_, encode_header(start_));
        bytes = encode_header(start_);
    }
    start_ = mb::load_big_endian<int64_t>(bytes.data());
    size_t at = kHeaderBytes;
    while (at < bytes.size()) {
        const size_t left = bytes.size() - at;
        bool whole = left >= kFrameHeaderBytes;
        uint32_t length = whole ? mb::load_big_endian<uint32_t>(bytes.data() + at) : 0;
        whole = whole && length >= 5 && length <= kMaxFrameBytes && left >= kFrameHeaderBytes + length;
        bool good = false;
        if (whole) {
            std::string_view payload(bytes.data() + at + kFrameHeaderBytes, length);
            good = mb::crc32c(payload) == mb::load_big_endian<uint32_t>(bytes.data() + at + 4);
        }
        if (!good) {
            const size_t frame_end = whole ? at + kFrameHeaderBytes + length : bytes.size();
            if (frame_end < bytes.size()) {
                throw std::runtime_error("metadata log " + log_path_ + " is corrupt at offset " +
                                         std::to_string(end_offset()) + " (byte " + std::to_string(at) +
                                         "), and records follow it: refusing to start");
            }
            truncated_tail_bytes_ = static_cast<int64_t>(bytes.size() - at);
            // Logged by the owner (core/controller.cpp), which reads truncated_tail_bytes().
            bytes.resize(at);
            break;
        }
        LogEntry entry;
        entry.epoch = mb::load_big_endian<int32_t>(bytes.data() + at + kFrameHeaderBytes);
        entry.kind = static_cast<EntryKind>(bytes[at + kFrameHeaderBytes + 4]);
        entry.record = bytes.substr(at + kFrameHeaderBytes + 5, length - 5);
        positions_.push_back(at);
        entries_.push_back(std::move(entry));
        at += kFrameHeaderBytes + length;
    }
    fd_ = ::open(log_path_.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd_ < 0) fail("cannot open", log_path_);
    if (::ftruncate(fd_, static_cast<off_t>(bytes.size())) != 0) fail("cannot truncate", log_path_);
    file_bytes_ = bytes.size();
    flushed_end_ = end_offset();
}

// In memory only: the frame joins `pending_` and the entry is readable at once (the leader serves
// it to followers before its own flush - they flush it themselves before counting it), but
// flushed_end_offset() does not move until flush().
void FileRaftLog::append(LogEntry entry) {
    positions_.push_back(file_bytes_ + pending_.size());
    append_frame(pending_, entry);
    entries_.push_back(std::move(entry));
}

// One write and one fdatasync for everything appended since the last flush: the leader calls
// this once per tick (group commit), a follower before every Fetch that reports its log end.
void FileRaftLog::flush() {
    if (!pending_.empty()) {
        if (::lseek(fd_, static_cast<off_t>(file_bytes_), SEEK_SET) < 0) fail("cannot seek", log_path_);
        write_all(fd_, pending_, log_path_);
        file_bytes_ += pending_.size();
        pending_.clear();
        if (::fdatasync(fd_) != 0) fail("cannot fdatasync", log_path_);
    }
    flushed_end_ = end_offset();
}

// A follower cutting a divergent suffix (a diverging epoch from the leader). Unflushed frames just
// leave memory; flushed ones are cut from the file and the cut is synced at once: a crash must
// not bring back entries that a later fetch offset already denied having.
void FileRaftLog::truncate_to(int64_t end) {
    if (end >= end_offset()) return;
    end = std::max(end, start_);
    const uint64_t cut = positions_[static_cast<size_t>(end - start_)];
    entries_.resize(static_cast<size_t>(end - start_));
    positions_.resize(entries_.size());
    if (cut >= file_bytes_) {
        pending_.resize(cut - file_bytes_);  // only unflushed frames go
    } else {
        pending_.clear();
        if (::ftruncate(fd_, static_cast<off_t>(cut)) != 0) fail("cannot truncate", log_path_);
        if (::fdatasync(fd_) != 0) fail("cannot fdatasync", log_path_);
        file_bytes_ = cut;
    }
    flushed_end_ = std::min(flushed_end_, end);
}

// The snapshot file is written (atomically) before the log is rewritten without the prefix: a
// crash between the two leaves a snapshot and a log that still holds the prefix - harmless,
// the next start just has both. The other order could leave neither.
void FileRaftLog::install_snapshot(Snapshot snapshot) {
    std::string file(16, '\0');
    mb::store_big_endian(file.data(), snapshot.id.offset);
    mb::store_big_endian(file.data() + 8, snapshot.id.epoch);
    mb::store_big_endian(file.data() + 12, mb::crc32c(snapshot.data));
    file += snapshot.data;
    write_atomically(directory_, snapshot_path_, file);  // the snapshot first: then the prefix may go

    const int64_t offset = snapshot.id.offset;
    const bool holds_last_entry = offset >= start_ && offset <= end_offset() &&
                                  (offset == start_ || entry(offset - 1).epoch == snapshot.id.epoch);
    if (holds_last_entry) {
        flush();
        entries_.erase(entries_.begin(), entries_.begin() + (offset - start_));
    } else {
        entries_.clear();  // a leader's snapshot replaces our whole log
        pending_.clear();
    }
    snapshot_ = std::move(snapshot);
    rewrite_from(offset);
}

void FileRaftLog::rewrite_from(int64_t start) {
    start_ = start;
    std::string bytes = encode_header(start_);
    positions_.clear();
    for (const LogEntry& e : entries_) {
        positions_.push_back(bytes.size());
        append_frame(bytes, e);
    }
    write_atomically(directory_, log_path_, bytes);
    if (fd_ >= 0) ::close(fd_);
    fd_ = ::open(log_path_.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd_ < 0) fail("cannot open", log_path_);
    file_bytes_ = bytes.size();
    pending_.clear();
    flushed_end_ = end_offset();
}

}  // namespace minikafka::raft
