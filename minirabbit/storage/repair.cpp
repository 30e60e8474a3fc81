// Explicit repair: backups, truncation, and the report (see repair.hpp).
#include "repair.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "definitions.hpp"
#include "journal.hpp"

namespace rabbit {

namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path) {
    throw std::runtime_error(fmt::format("cannot {} {}: {}", what, path, std::strerror(errno)));
}

void fsync_path(const std::string& path, int flags) {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC);
    if (fd < 0) fail("open", path);
    bool ok = ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) fail("fsync", path);
}

}  // namespace

std::string keep_backup(const std::string& path) {
    // A second repair must not replace the first backup: it may be the only copy of the evidence.
    std::string backup = path + ".corrupt";
    for (int n = 1; std::filesystem::exists(backup); ++n) backup = fmt::format("{}.corrupt.{}", path, n);
    std::error_code ec;
    std::filesystem::copy_file(path, backup, ec);
    if (ec) throw std::runtime_error(fmt::format("cannot copy {} to {}: {}", path, backup, ec.message()));
    fsync_path(backup, O_RDONLY);
    std::string dir = std::filesystem::path(path).parent_path().string();
    fsync_path(dir.empty() ? "." : dir, O_RDONLY | O_DIRECTORY);
    return backup;
}

void truncate_file(const std::string& path, uint64_t size) {
    if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0) fail("truncate", path);
    fsync_path(path, O_WRONLY);
}

int repair_storage(const std::string& directory) {
    int status = 0;
    for (auto repair : {repair_definitions, repair_journal}) {
        RepairOutcome r;
        try {
            r = repair(directory);
        } catch (const std::exception& e) {
            fmt::print("minirabbit --repair: {}\n", e.what());
            return 1;
        }
        if (!r.damaged) {
            fmt::print("{}: {}\n", r.file, std::filesystem::exists(r.file) ? "ok" : "not there");
            continue;
        }
        if (r.repaired && r.bytes_cut == 0)
            fmt::print("{}: {} at byte {}: {}; backup in {}\n", r.file, r.problem, r.offset, r.note, r.backup);
        else if (r.repaired)
            fmt::print("{}: {} at byte {}: cut {} bytes ({} records) from byte {}; backup in {}{}\n", r.file, r.problem,
                       r.offset, r.bytes_cut, r.records_cut, r.offset, r.backup, r.note.empty() ? "" : "; " + r.note);
        else
            fmt::print("{}: {} at byte {}: not repaired: {}\n", r.file, r.problem, r.offset, r.note);
        if (!r.repaired) status = 1;
    }
    return status;
}

}  // namespace rabbit
