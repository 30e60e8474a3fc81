// minikafka/storage/corruption.cpp
//
// CONCEPT: a torn tail is not corruption (corruption.hpp). A crash's half-written last append is
// cut off quietly; damage with intact data after it stops the start, because truncating there
// would silently lose acknowledged records. This file holds the refusal message and the backup
// that `--repair` keeps, so even a repair never destroys the only copy.
//
// READ NEXT: segment.cpp (Segment::open, where damage is found), docs/minikafka/02-formats.md
//            "Recovery: torn tails, corruption".
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
