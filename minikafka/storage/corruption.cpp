// Damaged files: the refusal message and the backups `--repair` keeps (see corruption.hpp).
#include "corruption.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "file.hpp"

namespace minikafka {

namespace fs = std::filesystem;

std::string refusal_message(const Damage& damage) {
    return fmt::format(
        "{}: corrupt at byte {}: {}; refusing to start (run 'minikafka --repair' to truncate it there, keeping a "
        "backup)",
        damage.file, damage.position, damage.what);
}

namespace {

// The first of "<path>.corrupt", "<path>.corrupt.1", ... that does not exist yet.
std::string free_backup_name(const std::string& path) {
    std::string name = path + ".corrupt";
    for (int n = 1; fs::exists(name); ++n) name = fmt::format("{}.corrupt.{}", path, n);
    return name;
}

std::string directory_of(const std::string& path) {
    auto slash = path.find_last_of('/');
    return slash == std::string::npos ? "." : path.substr(0, slash);
}

}  // namespace

std::string keep_backup(const std::string& path) {
    std::string backup = free_backup_name(path);
    // A copy, not a rename: the original is about to be truncated in place, and its backup must
    // be on disk before the cut is (a crash during the repair then loses nothing).
    fs::copy_file(path, backup, fs::copy_options::none);
    File::open(backup, false).sync();
    sync_directory(directory_of(backup));
    return backup;
}

std::string move_aside(const std::string& path) {
    std::string backup = free_backup_name(path);
    fs::rename(path, backup);
    return backup;
}

}  // namespace minikafka
