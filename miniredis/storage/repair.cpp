// miniredis/storage/repair.cpp
//
// Explicit repair: backups, truncation, and the report (see repair.hpp).
//
// CONCEPT: see repair.hpp - the AOF's counterpart of redis-check-aof --fix: back up, cut at the
// first bad byte, report; the shared steps are common/file_repair.hpp.
// READ NEXT: aof_loader.cpp.
#include "storage/repair.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "storage/aof_loader.hpp"
#include "storage/snapshot.hpp"

namespace miniredis {

// `miniredis --repair`: the AOF and the snapshot are each checked and, if damaged, cut at the first
// bad byte after a backup; the report says what was cut so the operator can judge the loss.
int repair_storage(const std::string& aof_path, const std::string& snapshot_path, int databases) {
    struct Step {
        const std::string& path;
        RepairOutcome (*repair)(const std::string&, int);
    };
    int status = 0;
    // Both files are checked, each with its own report line: the AOF first (with appendonly on it
    // is the newer truth), then the snapshot.
    for (const Step& step : {Step{aof_path, repair_aof}, Step{snapshot_path, repair_snapshot}}) {
        RepairOutcome r;
        try {
            r = step.repair(step.path, databases);
        } catch (const std::exception& e) {
            fmt::print("miniredis --repair: {}\n", e.what());
            return 1;
        }
        // Four outcomes, four report lines: fine, repaired without cutting (a fixed checksum),
        // repaired by cutting (how much, from where, where the backup is), or left for a person -
        // the only case that makes the exit status 1.
        if (!r.damaged) {
            fmt::print("{}: {}\n", step.path, std::filesystem::exists(step.path) ? "ok" : "not there");
        } else if (r.repaired && r.bytes_cut == 0) {
            fmt::print("{}: {} at byte {}: {}; backup in {}\n", step.path, r.problem, r.offset, r.note, r.backup);
        } else if (r.repaired) {
            fmt::print("{}: {} at byte {}: cut {} bytes ({} commands) from byte {}; backup in {}\n", step.path,
                       r.problem, r.offset, r.bytes_cut, r.records_cut, r.offset, r.backup);
        } else {
            fmt::print("{}: {} at byte {}: not repaired: {}\n", step.path, r.problem, r.offset, r.note);
            status = 1;
        }
    }
    return status;
}

}  // namespace miniredis
