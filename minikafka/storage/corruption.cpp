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

std::string move_aside(const std::string& path) {
    std::string backup = mb::free_backup_name(path);
    fs::rename(path, backup);
    return backup;
}

}  // namespace minikafka
