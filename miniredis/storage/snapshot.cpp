// The snapshot file: RDB bytes (rdb_writer / rdb_loader) on disk, written atomically, and repaired
// on request (see snapshot.hpp).
#include "storage/snapshot.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>

#include "model/clock.hpp"
#include "model/memory.hpp"
#include "storage/rdb_loader.hpp"
#include "storage/rdb_writer.hpp"

namespace miniredis {

void encode_snapshot(std::vector<Database>& databases, int64_t now_ms, std::string& out, bool aof_base) {
    RdbOptions options;
    options.now_ms = now_ms;
    options.used_mem = used_memory();
    options.aof_base = aof_base;
    StringSink sink(out);
    write_rdb(databases, options, sink);
}

size_t decode_snapshot(std::string_view bytes, std::vector<Database>& databases, std::string& error) {
    RdbLoadResult r = load_rdb(bytes, databases);
    if (!r.ok) error = r.error;
    return r.ok ? r.consumed : 0;
}

// An RDB file cannot be cut (its EOF marker and checksum come last): the keys that still decode -
// all of them when only the checksum disagrees, else those before the first broken one - are
// written back as a fresh file, after keeping a backup of the damaged one.
RepairOutcome repair_snapshot(const std::string& path, int databases) {
    RepairOutcome r;
    r.file = path;
    std::string bytes, error;
    if (!read_file(path, bytes, error)) {
        if (!error.empty()) throw std::runtime_error(error);
        return r;
    }
    ManualClock clock(0);
    KeyspaceEnv env;
    env.clock = &clock;
    env.loading = true;
    auto fresh = [&] {
        std::vector<Database> dbs;
        for (int i = 0; i < databases; ++i) dbs.emplace_back(i, env);
        return dbs;
    };
    std::vector<Database> kept = fresh();
    RdbLoadOptions salvage;
    salvage.salvage = true;
    RdbLoadResult loaded = load_rdb(bytes, kept, salvage);
    if (loaded.ok) return r;
    r.damaged = true;
    r.problem = loaded.error.substr(loaded.error.find(": ") + 2);
    r.offset = loaded.error_offset;
    r.backup = keep_backup(path);
    if (std::string failed = save_snapshot(kept, 0, path); !failed.empty()) throw std::runtime_error(failed);
    r.repaired = true;
    r.note = r.problem.starts_with("checksum mismatch")
                 ? fmt::format(
                       "all {} keys still decode and were kept with a new checksum (a value may hold the "
                       "changed byte: compare with the backup)",
                       loaded.keys)
                 : fmt::format("kept the {} keys before byte {} with a new checksum; the rest is lost", loaded.keys,
                               loaded.error_offset);
    return r;
}

bool read_file(const std::string& path, std::string& out, std::string& error) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT) error = "cannot open " + path + ": " + std::strerror(errno);
        return false;
    }
    out.clear();
    if (struct stat st; ::fstat(fd, &st) == 0 && st.st_size > 0) out.reserve(static_cast<size_t>(st.st_size));
    char chunk[1 << 16];
    for (;;) {
        ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            error = "cannot read " + path + ": " + std::strerror(errno);
            ::close(fd);
            return false;
        }
        if (n == 0) break;
        out.append(chunk, static_cast<size_t>(n));
    }
    ::close(fd);
    return true;
}

std::string temp_file_path(const std::string& path, pid_t pid) { return path + ".tmp-" + std::to_string(pid); }

namespace {

// The crash-safe way to replace a file on POSIX: write a new file, fsync it, rename it over the old
// one (rename is atomic), fsync the directory (so the rename itself survives a power cut). `fill`
// writes the content into the open temp file and returns 0 or an errno. Any failure removes the
// temp file: only a complete, fsynced file is ever renamed into place.
template <typename Fill>
std::string replace_file(const std::string& path, Fill fill) {
    std::string temp = temp_file_path(path, getpid());
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return "cannot create " + temp + ": " + std::strerror(errno);
    int error = 0;
    try {
        error = fill(fd);
    } catch (...) {  // (out of memory while encoding): no half file left behind either
        ::close(fd);
        ::unlink(temp.c_str());
        throw;
    }
    if (error != 0) {
        ::close(fd);
        ::unlink(temp.c_str());
        return "cannot write " + temp + ": " + std::strerror(error);
    }
    // Data on disk before the rename makes it visible; the directory entry on disk after it.
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        ::unlink(temp.c_str());
        return "cannot fsync " + temp + ": " + std::strerror(errno);
    }
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        ::unlink(temp.c_str());
        return "cannot rename " + temp + ": " + std::strerror(errno);
    }
    std::string dir = std::filesystem::path(path).parent_path().string();
    int dir_fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0) {
        ::fsync(dir_fd);
        ::close(dir_fd);
    }
    return {};
}

}  // namespace

std::string write_file_atomically(const std::string& path, std::string_view bytes) {
    return replace_file(path, [&](int fd) {
        FdSink sink(fd);
        sink.write(bytes);
        return sink.error();
    });
}

// The file grows as the writer encodes (FdSink, 64 KB at a time), as Redis's rdbSave streams into
// temp-<pid>.rdb, so a save never holds the whole encoded file in memory - in a BGSAVE child that
// would be a second copy of the dataset, on top of the pages copy-on-write duplicates. While a
// BGSAVE child runs, its temp file is on disk, half written - which is why whoever kills the child
// must remove it (core/persistence.cpp, kill_snapshot_child).
std::string save_snapshot(std::vector<Database>& databases, int64_t now_ms, const std::string& path,
                          const std::vector<std::pair<std::string, std::string>>& aux, int64_t key_save_delay_us) {
    RdbOptions options;
    options.key_save_delay_us = key_save_delay_us;
    options.now_ms = now_ms;
    options.used_mem = used_memory();
    options.aux = aux;
    return replace_file(path, [&](int fd) {
        FdSink sink(fd);
        write_rdb(databases, options, sink);
        return sink.error();
    });
}

}  // namespace miniredis
