// minikafka/storage/file.hpp
//
// CONCEPT: a file descriptor that closes itself. Segment files are shared
// (std::shared_ptr<const File>) between the partition log and replies still waiting to sendfile()
// from them, so a segment deleted by retention keeps its bytes readable until the last such reply
// has been sent - the same reason Kafka defers the actual deletion of a segment by a minute.
// READ NEXT: file.cpp (the system calls), segment.hpp (the files a segment holds).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace minikafka {

class File {
public:
    // Opens (creating if asked) for reading and appending; throws std::system_error naming the path.
    static File open(const std::string& path, bool create);

    File() = default;
    explicit File(int fd) : fd_(fd) {}
    File(File&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    File& operator=(File&& other) noexcept;
    File(const File&) = delete;
    File& operator=(const File&) = delete;
    ~File();

    int fd() const { return fd_; }
    bool is_open() const { return fd_ >= 0; }

    int64_t size() const;
    void write_at(int64_t position, std::string_view bytes) const;  // whole buffer or throw
    // Writes `head` then `tail` with one pwritev: a record batch with its rewritten baseOffset
    // in `head` goes to the file without first being copied into one buffer.
    void write_at(int64_t position, std::string_view head, std::string_view tail) const;
    // Reads up to `n` bytes at `position`; returns how many (fewer only at end of file).
    size_t read_at(int64_t position, char* into, size_t n) const;
    void truncate(int64_t size) const;
    // Allocates the disk blocks of [from, to) without changing the file's size (fallocate with
    // KEEP_SIZE); truncate(size()) gives back what was not used. Best effort: on a filesystem
    // without fallocate the writes simply allocate as they go.
    void reserve(int64_t from, int64_t to) const;
    void sync() const;  // fdatasync: the data (and the size) are on stable storage

private:
    int fd_ = -1;
};

// Small filesystem helpers with errors as exceptions that name the path.
void sync_directory(const std::string& path);  // makes a create/rename/unlink in it durable
void write_file_atomically(const std::string& path, std::string_view content);  // tmp, fsync, rename

}  // namespace minikafka
