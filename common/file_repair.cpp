// common/file_repair.cpp
//
// Backups and truncation for --repair (see file_repair.hpp).
//
// CONCEPT: see file_repair.hpp. The backup is written before anything is cut, and the cut is an
// fsync'ed truncate, so a crash during a repair leaves either the old file or the repaired one.
// READ NEXT: miniredis/storage/repair.cpp, minirabbit/storage/repair.cpp.
#include "file_repair.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace mb {

namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path) {
    throw std::runtime_error(fmt::format("cannot {} {}: {}", what, path, std::strerror(errno)));
}

// fsync a file or a directory by name: a directory's fsync is what makes a new name (the backup,
// a rename) survive a power cut, not only the bytes behind it.
void fsync_path(const std::string& path, int flags) {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC);
    if (fd < 0) fail("open", path);
    bool ok = ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) fail("fsync", path);
}

}  // namespace

// The backup's name says what it is (journal.log.corrupt, then .corrupt.1, ...): an operator listing
// the data directory sees at once that a repair happened and where the evidence is.
std::string free_backup_name(const std::string& path) {
    std::string name = path + ".corrupt";
    for (int n = 1; std::filesystem::exists(name); ++n) name = fmt::format("{}.corrupt.{}", path, n);
    return name;
}

std::string keep_backup(const std::string& path) {
    // A second repair must not replace the first backup: it may be the only copy of the evidence.
    std::string backup = free_backup_name(path);
    std::error_code ec;
    std::filesystem::copy_file(path, backup, ec);
    if (ec) throw std::runtime_error(fmt::format("cannot copy {} to {}: {}", path, backup, ec.message()));
    fsync_path(backup, O_RDONLY);
    std::string dir = std::filesystem::path(path).parent_path().string();
    fsync_path(dir.empty() ? "." : dir, O_RDONLY | O_DIRECTORY);
    return backup;
}

// Only ever called after keep_backup: cutting is the one step that destroys bytes, so it comes
// last, when the evidence is already safe on disk.
void truncate_file(const std::string& path, uint64_t size) {
    if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0) fail("truncate", path);
    fsync_path(path, O_WRONLY);
}

}  // namespace mb
