// minikafka/storage/file.cpp
//
// CONCEPT: the log's files as plain POSIX calls, so a lecturer can see what the disk is asked:
// pwrite/pwritev at a known position (one system call for a batch's rewritten head and its
// untouched rest), fdatasync for durability, and an fsync of the directory after a file is
// created or renamed - without it a crash may lose the new name even though the data is synced.
//
//   append ─▶ pwritev(head 16 B, rest) ─▶ page cache ─(flush policy)─▶ fdatasync ─▶ on disk
//
// READ NEXT: segment.cpp (who writes), background_worker.cpp (who syncs).
#include "file.hpp"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace minikafka {

namespace {
[[noreturn]] void throw_errno(std::string_view what, const std::string& path) {
    throw std::system_error(errno, std::generic_category(), std::string(what) + " " + path);
}
}  // namespace

File File::open(const std::string& path, bool create) {
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0644);
    if (fd < 0) throw_errno("cannot open", path);
    return File(fd);
}

File& File::operator=(File&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = other.fd_;
        other.fd_ = -1;
    }
    return *this;
}

File::~File() {
    if (fd_ >= 0) ::close(fd_);
}

int64_t File::size() const {
    off_t end = ::lseek(fd_, 0, SEEK_END);
    if (end < 0) throw std::system_error(errno, std::generic_category(), "lseek");
    return end;
}

void File::write_at(int64_t position, std::string_view bytes) const {
    while (!bytes.empty()) {
        ssize_t n = ::pwrite(fd_, bytes.data(), bytes.size(), position);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::generic_category(), "pwrite");
        }
        bytes.remove_prefix(static_cast<size_t>(n));
        position += n;
    }
}

void File::write_at(int64_t position, std::string_view head, std::string_view tail) const {
    iovec parts[2] = {{const_cast<char*>(head.data()), head.size()}, {const_cast<char*>(tail.data()), tail.size()}};
    ssize_t n = ::pwritev(fd_, parts, 2, position);
    if (n < 0 && errno != EINTR) throw std::system_error(errno, std::generic_category(), "pwritev");
    size_t written = n < 0 ? 0 : static_cast<size_t>(n);
    if (written == head.size() + tail.size()) return;
    // A short write (rare: a signal, a full disk): finish the rest piece by piece.
    if (written < head.size()) {
        write_at(position + static_cast<int64_t>(written), head.substr(written));
        write_at(position + static_cast<int64_t>(head.size()), tail);
    } else {
        write_at(position + static_cast<int64_t>(written), tail.substr(written - head.size()));
    }
}

size_t File::read_at(int64_t position, char* into, size_t n) const {
    size_t done = 0;
    while (done < n) {
        ssize_t got = ::pread(fd_, into + done, n - done, position + static_cast<int64_t>(done));
        if (got < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::generic_category(), "pread");
        }
        if (got == 0) break;
        done += static_cast<size_t>(got);
    }
    return done;
}

void File::truncate(int64_t size) const {
    if (::ftruncate(fd_, size) != 0) throw std::system_error(errno, std::generic_category(), "ftruncate");
}

void File::reserve(int64_t from, int64_t to) const { (void)::fallocate(fd_, FALLOC_FL_KEEP_SIZE, from, to - from); }

// fdatasync, not fsync: it skips metadata that reading the data back does not need (the
// modification time), which makes the frequent flushes cheaper. A file's size *is* needed and is
// written either way; a new file's name is not, hence sync_directory below.
void File::sync() const {
    if (::fdatasync(fd_) != 0) throw std::system_error(errno, std::generic_category(), "fdatasync");
}

void sync_directory(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw_errno("cannot open directory", path);
    int rc = ::fsync(fd);
    int saved = errno;
    ::close(fd);
    if (rc != 0) {
        errno = saved;
        throw_errno("cannot fsync directory", path);
    }
}

// The classic crash-safe replacement: a crash at any point leaves either the old file or the new
// one, whole - never a mix. Used for files rewritten as a whole (the compacted offset store, the
// leader-epoch checkpoint, a topic's config overrides), never for logs, which only grow.
void write_file_atomically(const std::string& path, std::string_view content) {
    std::string tmp = path + ".tmp";
    {
        File file = File::open(tmp, true);
        file.truncate(0);
        file.write_at(0, content);
        file.sync();
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) throw_errno("cannot rename to", path);
    auto slash = path.find_last_of('/');
    sync_directory(slash == std::string::npos ? "." : path.substr(0, slash));
}

}  // namespace minikafka
