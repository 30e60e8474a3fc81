// miniredis/storage/aof.hpp
//
// CONCEPT: durability by logging - every write command appended, replayed at start.
//
// Aof: the append-only file - every write command, in the RESP it arrived in, appended to a file
// (Redis' aof.c). Replaying the file from the start rebuilds the dataset.
//
//   *3\r\n$3\r\nSET\r\n$3\r\nfoo\r\n$3\r\nbar\r\n*2\r\n$4\r\nINCR\r\n$3\r\nctr\r\n...
//
// DURABILITY (appendfsync): a write() only reaches the kernel's page cache; fsync() forces it to
// the disk. One fsync costs ~0.2 ms here, so:
//   always    write + fsync before the replies of those commands leave: nothing acknowledged is
//             ever lost. Group commit makes it cheap: commands of *all* connections served in one
//             event-loop turn share one write and one fsync (see Broker::before_sleep).
//   everysec  write every turn, fsync once a second on a helper thread: a crash loses up to ~1 s.
//   no        write every turn, the OS flushes when it likes (typically within 30 s).
//
// REWRITE: the file only grows (INCR x a million times = a million records for one counter).
// A rewrite (BGREWRITEAOF, or automatic) forks; the child writes the current dataset as a
// snapshot (the "preamble", storage/snapshot.hpp) into a temp file, while the parent keeps serving
// and also collects the commands it runs meanwhile in a rewrite buffer. When the child is done the
// parent appends that buffer to the temp file, fsyncs, and renames it over the AOF: one atomic
// step, so a crash at any moment leaves a complete old or a complete new file.
//
// READ NEXT: aof.cpp, aof_loader.hpp, core/durability.cpp (when the buffer is written),
//            docs/miniredis/02-persistence-formats.md (the AOF).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>

#include "byte_buffer.hpp"
#include "storage/fsync_policy.hpp"

namespace miniredis {

// RESP encoding of one command, as it goes to the AOF (and as a client would send it).
void encode_command(mb::ByteBuffer& out, std::span<const std::string_view> argv);

class Aof {
public:
    Aof() = default;
    ~Aof();
    Aof(const Aof&) = delete;
    Aof& operator=(const Aof&) = delete;

    // Opens `path` for appending (creating it). Returns an error message or "".
    std::string open(const std::string& path, FsyncPolicy policy);
    void close();  // writes and fsyncs what is buffered, stops the fsync thread
    bool is_open() const { return fd_ >= 0; }
    void set_policy(FsyncPolicy policy);

    // Buffers a command run in database `db` (a SELECT goes first when the database changed).
    void append(int db, std::span<const std::string_view> argv);
    bool has_pending() const { return !buffer_.empty(); }
    size_t pending_bytes() const { return buffer_.size(); }
    // One write() of everything buffered, plus fsync with appendfsync always. False on an I/O
    // error: the data is kept and the caller must not acknowledge the writes.
    bool flush();

    uint64_t file_size() const { return file_size_; }
    uint64_t base_size() const { return base_size_; }  // size right after the last rewrite
    uint64_t fsyncs() const { return fsyncs_; }
    const std::string& last_error() const { return last_error_; }

    // Rewrite support: while a child writes the new base, commands are also kept here.
    void start_rewrite_buffer();
    void abort_rewrite();
    bool rewriting() const { return rewriting_; }
    // The child's file at `temp_path` (holding the preamble) gets the buffered commands appended
    // and replaces the AOF. Returns an error message or "".
    std::string finish_rewrite(const std::string& temp_path);

private:
    void fsync_loop();
    void write_all(std::string_view bytes);

    std::string path_;
    int fd_ = -1;
    FsyncPolicy policy_ = FsyncPolicy::everysec;
    mb::ByteBuffer buffer_;
    int selected_db_ = -1;
    uint64_t file_size_ = 0, base_size_ = 0, fsyncs_ = 0;
    std::string last_error_;

    bool rewriting_ = false;
    mb::ByteBuffer rewrite_buffer_;
    int rewrite_selected_db_ = -1;

    // everysec: a helper thread fsyncs a dup() of the file once a second if something was written.
    std::thread fsync_thread_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    bool unsynced_ = false;
};

}  // namespace miniredis
