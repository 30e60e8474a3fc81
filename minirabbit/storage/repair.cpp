// minirabbit/storage/repair.cpp
//
// Explicit repair: backups, truncation, and the report (see repair.hpp).
//
// CONCEPT: see repair.hpp. The order of the steps is the point: first a backup copy of the file as
// it is, then the truncation at the first bad record, then a report of what was cut - so a repair
// can always be undone by hand, and an operator knows how many records were lost.
// READ NEXT: common/file_repair.hpp (the shared mechanics), journal_recovery.cpp (recovery).
#include "repair.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "definitions.hpp"
#include "journal.hpp"

namespace minirabbit {

// The exit status tells a script what to do next: 0 means "start the broker now", 1 means a file
// still needs a person (definitions that no longer parse).
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

}  // namespace minirabbit
