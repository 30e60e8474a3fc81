// miniredis/storage/aof.cpp
//
// Aof: buffering, the write/fsync policies, the everysec helper thread, and the rewrite swap.
//
// CONCEPT: see aof.hpp. The three appendfsync policies are three answers to "how much may a crash
// lose?": always (nothing acknowledged: fsync before every batch of replies), everysec (at most
// about a second: a helper thread fsyncs once a second, off the server thread), no (whatever the
// kernel had not flushed yet). The rewrite swap is the delicate part: while the child writes the
// new base, the parent keeps appending to the old file *and* to a rewrite buffer; when the child is
// done, the buffer is appended to the new file and a rename makes it the AOF.
//
//   appendfsync always:  batch ──▶ write ──▶ fdatasync ──▶ replies leave
//   appendfsync everysec: batch ──▶ write ──▶ replies leave     (thread: fdatasync every 1 s)
// READ NEXT: aof_loader.cpp, background_job.hpp, docs/miniredis/benchmarks.md (durability).
#include "storage/aof.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>

#include "log.hpp"

namespace miniredis {

// A command in the AOF is exactly the RESP a client would send: the log can be replayed with the
// same parser that reads sockets (aof_loader.cpp), read with `cat -v`, or piped into redis-cli
// --pipe. Redis chose this format for the same reasons; it is also why an AOF written here loads
// in redis-server and the other way round.
void encode_command(mb::ByteBuffer& out, std::span<const std::string_view> argv) {
    char header[24];
    auto line = [&](char type, size_t n) {
        header[0] = type;
        auto [end, ec] = std::to_chars(header + 1, header + sizeof header - 2, n);
        end[0] = '\r';
        end[1] = '\n';
        out.append(header, static_cast<size_t>(end + 2 - header));
    };
    line('*', argv.size());
    for (std::string_view arg : argv) {
        line('$', arg.size());
        out.append(arg);
        out.append("\r\n");
    }
}

namespace {
// SELECT is written only when the database changes between two logged commands: the log stays
// short for the usual single-database user, and replay keeps track of the current database the
// same way a client connection does.
void append_select(mb::ByteBuffer& out, int db) {
    char digits[12];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, db);
    std::string_view select[] = {"SELECT", std::string_view(digits, static_cast<size_t>(end - digits))};
    encode_command(out, select);
}
}  // namespace

Aof::~Aof() { close(); }

// O_APPEND: every write lands at the end even if something else (a rewrite's rename) changed the
// file underneath; base_size_ remembers the size at open so auto-aof-rewrite-percentage can tell
// how much the log grew since.
std::string Aof::open(const std::string& path, FsyncPolicy policy) {
    close();
    path_ = path;
    fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) return "cannot open the AOF " + path + ": " + std::strerror(errno);
    file_size_ = base_size_ = static_cast<uint64_t>(::lseek(fd_, 0, SEEK_END));
    selected_db_ = -1;  // the first command written says which database it is for
    stop_ = false;
    set_policy(policy);
    return {};
}

// CONFIG SET appendfsync takes effect at once; the everysec thread is started on first need and
// simply finds nothing to do under the other policies.
void Aof::set_policy(FsyncPolicy policy) {
    {
        std::lock_guard lock(mutex_);
        policy_ = policy;
    }
    if (policy_ == FsyncPolicy::everysec && !fsync_thread_.joinable() && fd_ >= 0)
        fsync_thread_ = std::thread([this] { fsync_loop(); });
}

// Shutdown: flush what the last turn buffered, stop the helper thread, and fdatasync whatever the
// policy - a clean SHUTDOWN or SIGTERM must never lose an acknowledged write.
void Aof::close() {
    if (fd_ < 0) return;
    flush();
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    if (fsync_thread_.joinable()) fsync_thread_.join();
    ::fdatasync(fd_);
    ::close(fd_);
    fd_ = -1;
}

// Called for every propagated write command, on the server thread: only an append to memory. While
// a rewrite runs, the command is also kept in the rewrite buffer, because the child's snapshot of
// the dataset does not contain it.
void Aof::append(int db, std::span<const std::string_view> argv) {
    if (db != selected_db_) {
        append_select(buffer_, db);
        selected_db_ = db;
    }
    encode_command(buffer_, argv);
    if (rewriting_) {
        if (db != rewrite_selected_db_) {
            append_select(rewrite_buffer_, db);
            rewrite_selected_db_ = db;
        }
        encode_command(rewrite_buffer_, argv);
    }
}

// Called once per event-loop turn (Broker::before_sleep), before any reply of the turn is
// sent. One write() for all commands of all clients; with `always` one fdatasync() on top - the
// whole group commit is these few lines.
// What happens when the disk refuses depends on the promise made: with appendfsync always the
// caller (core/durability.cpp) exits rather than let replies acknowledge what is not on disk - the
// same choice minirabbit's journal makes; with everysec or no, the bytes stay buffered and the write
// is retried next turn, as Redis does, and INFO persistence shows aof_last_write_status:err.
bool Aof::flush() {
    if (fd_ < 0 || buffer_.empty()) return true;
    while (!buffer_.empty()) {
        ssize_t n = ::write(fd_, buffer_.data(), buffer_.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            // Keep the bytes: they are retried next turn; the replies wait with them.
            last_error_ = std::strerror(errno);
            mb::log::warn("AOF write failed: {}", last_error_);
            return false;
        }
        buffer_.consume(static_cast<size_t>(n));
        file_size_ += static_cast<uint64_t>(n);
    }
    last_error_.clear();
    if (policy_ == FsyncPolicy::always) {
        if (::fdatasync(fd_) != 0) {
            last_error_ = std::strerror(errno);
            mb::log::warn("AOF fsync failed: {}", last_error_);
            return false;
        }
        ++fsyncs_;
    } else if (policy_ == FsyncPolicy::everysec) {
        std::lock_guard lock(mutex_);
        unsynced_ = true;
    }
    return true;
}

// everysec: the helper thread. It sleeps up to a second, then - if anything was written since the
// last time - fsyncs. The event loop never waits for the disk; a crash loses at most the last
// second or so of acknowledged writes.
// The helper thread shares only a flag (unsynced_) and the descriptor with the server thread, both
// read under mutex_; it fsyncs a dup() of the descriptor outside the lock, so the swap in
// finish_rewrite never waits for a slow disk and never closes the file under the thread.
void Aof::fsync_loop() {
    std::unique_lock lock(mutex_);
    while (!stop_) {
        wake_.wait_for(lock, std::chrono::seconds(1));
        if (stop_ || !unsynced_ || policy_ != FsyncPolicy::everysec) continue;
        unsynced_ = false;
        // fsync a duplicate of the descriptor, outside the lock: the main thread may swap the
        // file (rewrite) meanwhile without ever blocking on a slow disk.
        int fd = ::dup(fd_);
        lock.unlock();
        if (fd >= 0) {
            ::fdatasync(fd);
            ::close(fd);
        }
        lock.lock();
        ++fsyncs_;
    }
}

// BGREWRITEAOF, step 1 (before the fork): start collecting what the child will not see.
void Aof::start_rewrite_buffer() {
    rewriting_ = true;
    rewrite_buffer_.clear();
    rewrite_selected_db_ = -1;
}

// The child failed (disk full, killed): drop the buffer; the old AOF is still complete and current.
void Aof::abort_rewrite() {
    rewriting_ = false;
    rewrite_buffer_.clear();
}

// BGREWRITEAOF, last step (the child has written the compact base into temp_path): append what
// arrived since the fork, fsync, rename over the AOF, fsync the directory, and continue appending
// to the new file. Every failure leaves the old AOF in place, complete - a rewrite can fail, the log
// cannot be lost.
//
//   fork ──▶ child: dataset as commands ──▶ temp file
//   parent: new commands ──▶ AOF  +  rewrite buffer
//   child done ──▶ temp += rewrite buffer ──▶ fsync ──▶ rename(temp, AOF)
std::string Aof::finish_rewrite(const std::string& temp_path) {
    // Write what is pending to the old file first: those commands are in the rewrite buffer too,
    // and must reach the new file exactly once.
    if (!flush()) return "cannot flush the AOF before the swap: " + last_error_;
    rewriting_ = false;
    int fd = ::open(temp_path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0) return "cannot open " + temp_path + ": " + std::strerror(errno);
    std::string_view rest = rewrite_buffer_.readable();
    while (!rest.empty()) {
        ssize_t n = ::write(fd, rest.data(), rest.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            std::string reason = "cannot write " + temp_path + ": " + std::strerror(errno);
            ::close(fd);
            return reason;
        }
        rest.remove_prefix(static_cast<size_t>(n));
    }
    rewrite_buffer_.clear();
    if (::fdatasync(fd) != 0) {
        ::close(fd);
        return "cannot fsync " + temp_path;
    }
    // Swap, then make the rename itself durable.
    if (::rename(temp_path.c_str(), path_.c_str()) != 0) {
        ::close(fd);
        return "cannot rename " + temp_path + ": " + std::strerror(errno);
    }
    std::string dir = std::filesystem::path(path_).parent_path().string();
    if (int dir_fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir_fd >= 0) {
        ::fsync(dir_fd);
        ::close(dir_fd);
    }
    {
        std::lock_guard lock(mutex_);
        ::close(fd_);
        fd_ = fd;
    }
    file_size_ = base_size_ = static_cast<uint64_t>(::lseek(fd_, 0, SEEK_END));
    // The commands since the fork were written into the new file with their own SELECTs; what
    // is still in buffer_ continues from the database the rewrite buffer last selected.
    selected_db_ = rewrite_selected_db_;
    return {};
}

}  // namespace miniredis
