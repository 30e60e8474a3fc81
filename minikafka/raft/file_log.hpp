// minikafka/raft/file_log.hpp
//
// CONCEPT: the metadata log on disk - __cluster_metadata-0 - with the one promise Raft needs from
// it: what flush() has returned for survives a crash, and nothing else is counted as held.
//
//   <data dir>/__cluster_metadata-0/
//     log        [start offset i64] then one frame per entry:
//                [u32 length][u32 crc32c of the payload][payload: i32 epoch, u8 kind, record bytes]
//     snapshot   [i64 end offset][i32 epoch][u32 crc32c of the data][data]   (written atomically)
//
//   append() ──▶ pending bytes in memory ──flush()──▶ write + fdatasync ──▶ flushed_end_offset()
//                                                        (only now may a Fetch offset claim them)
// Recovery on open: a frame cut short or failing its CRC at the very end of the file is a torn
// tail (a crash mid-write: never flushed, so never counted by anyone) and is cut off with a log
// line; a bad frame followed by more bytes is corruption, and opening fails naming the offset -
// a voter that silently lost acknowledged records could elect a leader without them.
// A snapshot replaces the log prefix before its offset: the file is rewritten (temporary file,
// fsync, rename) to start at the snapshot's end.
// REAL KAFKA: __cluster_metadata-0 is an ordinary partition directory of segments and indexes,
// and snapshots are <end offset>-<epoch>.checkpoint files of record batches. One file is enough
// for a log of a few thousand small records; storage/segment.hpp shows the full-size design.
// READ NEXT: quorum_state.hpp (the other durable file), core/controller.hpp (who owns both).
#pragma once

#include <string>
#include <vector>

#include "log.hpp"

namespace minikafka::raft {

class FileRaftLog : public RaftLog {
public:
    // Opens (creating if needed) the log in `directory`; throws std::runtime_error on corruption
    // or an I/O error, naming the file.
    explicit FileRaftLog(std::string directory);
    ~FileRaftLog() override;
    FileRaftLog(const FileRaftLog&) = delete;
    FileRaftLog& operator=(const FileRaftLog&) = delete;

    int64_t start_offset() const override { return start_; }
    int64_t end_offset() const override { return start_ + static_cast<int64_t>(entries_.size()); }
    int64_t flushed_end_offset() const override { return flushed_end_; }
    const LogEntry& entry(int64_t offset) const override { return entries_[static_cast<size_t>(offset - start_)]; }
    void append(LogEntry entry) override;
    void truncate_to(int64_t end) override;
    void flush() override;
    const std::optional<Snapshot>& snapshot() const override { return snapshot_; }
    void install_snapshot(Snapshot snapshot) override;

    const std::string& directory() const { return directory_; }
    int64_t truncated_tail_bytes() const { return truncated_tail_bytes_; }  // found on open

private:
    void load();
    void rewrite_from(int64_t start);  // the file holds [start, end) afterwards, durably

    std::string directory_;
    std::string log_path_;
    std::string snapshot_path_;
    int fd_ = -1;
    int64_t start_ = 0;
    int64_t flushed_end_ = 0;
    std::vector<LogEntry> entries_;    // entries_[0] is at offset start_
    std::vector<uint64_t> positions_;  // byte position of each entry's frame (file, then pending)
    uint64_t file_bytes_ = 0;          // what is in the file (flushed)
    std::string pending_;              // frames appended since the last flush
    std::optional<Snapshot> snapshot_;
    int64_t truncated_tail_bytes_ = 0;
};

}  // namespace minikafka::raft
