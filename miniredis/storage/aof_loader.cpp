// miniredis/storage/aof_loader.cpp
//
// AOF replay: snapshot preamble, then RESP commands, telling a torn tail from corruption.
//
// CONCEPT: see aof_loader.hpp. The loader only decodes: it hands each command's arguments back to
// the caller (core/persistence.cpp), which runs them through the normal dispatch. So replay needs
// no second implementation of any command, and storage/ never includes commands/ - the one-way rule
// of docs/architecture.md, checked by scripts/check_layers.py.
//
//   file ──▶ RDB preamble? load it ──▶ RequestParser over the rest ──▶ command ──▶ caller executes
//                                                         │ need_more at EOF: torn tail (truncate?)
//                                                         └ error: corruption, refuse to start
// READ NEXT: core/persistence.cpp (the caller).
#include "storage/aof_loader.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <functional>

#include "protocol/resp_parser.hpp"
#include "storage/snapshot.hpp"

namespace miniredis {

namespace {

constexpr uint64_t kNone = UINT64_MAX;

// Some filesystems extend a file's size before its data reaches the disk; after a crash the tail
// reads as zeros. Zeros cannot start a command, so they are a torn tail, not corruption.
bool all_zeros(std::string_view bytes) {
    return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == '\0'; });
}

// The client parser, like Redis', skips the two bytes after a bulk string without looking at them.
// An AOF holds only what encode_command wrote, so here they must be "\r\n": otherwise a length
// flipped to a larger one that still fits in the file would swallow the commands after it and
// come out as one long, wrong command.
bool well_framed(std::span<const std::string_view> argv, std::string_view command) {
    std::less<const char*> before;
    for (std::string_view arg : argv) {
        const char* end = arg.data() + arg.size();
        if (before(arg.data(), command.data()) || before(command.data() + command.size(), end + 2)) continue;
        if (end[0] != '\r' || end[1] != '\n') return false;
    }
    return true;
}

// How many whole commands bytes[from...] holds if it is a plausible rest of an AOF: one or more
// whole commands, then the end (or a torn last command, or zeros). 0 if it is not.
// The test that separates "torn" from "corrupt": can the bytes after a bad spot be read as whole
// commands right to the end? A crash leaves garbage only at the end; whole commands after the
// damage mean the middle was changed, and those commands were acknowledged.
uint64_t whole_commands_to_the_end(std::string_view bytes, size_t from) {
    resp::RequestParser parser(INT64_MAX);
    std::string_view rest = bytes.substr(from);
    uint64_t commands = 0;
    while (!rest.empty() && rest.front() == '*') {
        auto status = parser.parse(rest);
        if (status == resp::RequestParser::Status::need_more) return commands;
        if (status == resp::RequestParser::Status::error) return 0;
        if (!well_framed(parser.args(), rest.substr(0, parser.consumed()))) return 0;
        ++commands;
        rest.remove_prefix(parser.consumed());
        parser.reset();
    }
    return rest.empty() || all_zeros(rest) ? commands : 0;
}

}  // namespace

// The heart of the loader: the same RequestParser that reads client sockets, run over the file.
// Three ways out of the loop, three verdicts:
//   the end of the file          clean: every command replayed
//   need_more before the end     torn tail - unless whole commands follow later (then corruption)
//   a parse error, or bad framing corruption: refuse to start, name the byte
// MULTI/EXEC are tracked so a transaction cut by a crash is dropped as a whole (multi_start): a
// replay must never apply half of something the clients saw as atomic.
// The parser is created without a bulk-length limit (INT64_MAX): proto-max-bulk-len protects the
// server from clients; the AOF was written by the server itself, and a big value in it is legal.
AofScan scan_commands(std::string_view bytes, size_t start, const ReplayFn& run) {
    AofScan scan;
    scan.multi_start = kNone;
    resp::RequestParser parser(INT64_MAX);
    size_t pos = start;
    bool incomplete = false;
    for (; pos < bytes.size(); parser.reset()) {
        std::string_view rest = bytes.substr(pos);
        // The AOF holds only what we wrote: RESP arrays. Anything else (an inline-looking line)
        // is corruption, not a command to guess at.
        if (rest.front() != '*' && rest.front() != '\0') {
            scan.problem = fmt::format("bad AOF format: expected '*', found byte {}", static_cast<uint8_t>(rest[0]));
            break;
        }
        auto status = parser.parse(rest);
        if (status == resp::RequestParser::Status::need_more) {
            incomplete = true;
            scan.problem = "incomplete command";
            break;
        }
        if (status == resp::RequestParser::Status::error) {
            scan.problem = "bad AOF format: " + std::string(parser.error());
            break;
        }
        auto argv = parser.args();
        if (!well_framed(argv, rest.substr(0, parser.consumed()))) {
            scan.problem = "bad AOF format: a bulk string is not followed by CRLF (a length was changed?)";
            break;
        }
        if (!argv.empty()) {
            auto is = [&](std::string_view word) {
                return argv[0].size() == word.size() &&
                       std::equal(word.begin(), word.end(), argv[0].begin(),
                                  [](char a, char b) { return a == (b >= 'a' && b <= 'z' ? b - 32 : b); });
            };
            if (is("MULTI")) scan.multi_start = pos;
            if (is("EXEC")) scan.multi_start = kNone;
            std::string error;
            if (run && !run(argv, error)) {
                scan.problem = error;
                break;
            }
            ++scan.commands;
        }
        pos += parser.consumed();
    }
    scan.good_end = pos;
    if (pos == bytes.size()) return scan;
    // Zero bytes to the end are a torn tail (a crash can extend a file with zeros).
    if (all_zeros(bytes.substr(pos))) {
        scan.verdict = AofScan::Verdict::torn_tail;
        scan.problem = "zero bytes";
        return scan;
    }
    if (!incomplete) {
        scan.verdict = AofScan::Verdict::corrupt;
        // Count what follows, for the repair's report: resynchronise at the next command start.
        for (size_t at = bytes.find("\r\n*", pos); at != std::string_view::npos; at = bytes.find("\r\n*", at + 1))
            if (uint64_t n = whole_commands_to_the_end(bytes, at + 2)) {
                scan.commands_after = n;
                break;
            }
        return scan;
    }
    // "Incomplete": torn, unless a later line starts whole commands that run to the end. Every
    // command starts right after the "\r\n" that ends the one before, so only those spots are tried.
    for (size_t at = bytes.find("\r\n*", pos); at != std::string_view::npos; at = bytes.find("\r\n*", at + 1)) {
        if (uint64_t n = whole_commands_to_the_end(bytes, at + 2)) {
            scan.verdict = AofScan::Verdict::corrupt;
            scan.problem =
                fmt::format("command cut short: its lengths run past {} whole commands starting at byte {}", n, at + 2);
            scan.commands_after = n;
            return scan;
        }
    }
    scan.verdict = AofScan::Verdict::torn_tail;
    return scan;
}

// Start-up replay: read the file, load the RDB preamble if there is one, then scan_commands hands
// each command to `run` (the normal dispatch). A torn tail is truncated (aof-load-truncated yes, as
// Redis' default) and logged; corruption stops the start with the offset.
AofLoadResult load_aof(const std::string& path, std::vector<Database>& databases, const ReplayFn& run,
                       bool allow_truncated_tail) {
    AofLoadResult result;
    std::string bytes, error;
    if (!read_file(path, bytes, error)) {
        if (!error.empty()) result = {false, error};
        return result;  // no file: nothing to load
    }
    auto refuse = [&](uint64_t offset, const std::string& problem) {
        return AofLoadResult{false,
                             fmt::format("{}: corrupt at byte {}: {}; refusing to start (run 'miniredis --repair' to "
                                         "truncate it there, keeping a backup)",
                                         path, offset, problem)};
    };
    size_t start = 0;
    if (looks_like_snapshot(bytes)) {
        size_t used = decode_snapshot(bytes, databases, error);
        if (used == 0) return {false, fmt::format("{}: snapshot preamble: {}", path, error)};
        result.had_preamble = true;
        start = used;
    }
    AofScan scan = scan_commands(bytes, start, run);
    result.commands = scan.commands;
    if (scan.verdict == AofScan::Verdict::corrupt) return refuse(scan.good_end, scan.problem);
    uint64_t torn_at = scan.verdict == AofScan::Verdict::torn_tail ? scan.good_end : kNone;
    // A MULTI without its EXEC is as torn as half a command: none of it happened.
    torn_at = std::min(torn_at, scan.multi_start);
    if (torn_at != kNone) {
        if (!allow_truncated_tail)
            return {false, fmt::format("{}: the AOF ends with an incomplete command at byte {} (set aof-load-truncated "
                                       "yes to cut it off)",
                                       path, torn_at)};
        if (::truncate(path.c_str(), static_cast<off_t>(torn_at)) != 0)
            return {false, "cannot truncate the AOF: " + std::string(std::strerror(errno))};
        result.truncated = true;
        result.truncated_at = torn_at;
        result.dropped_bytes = bytes.size() - torn_at;
    }
    return result;
}

// `miniredis --repair` for the AOF: the same scan as start-up, run without executing anything (run =
// nullptr), then backup + truncate at the first bad byte. A damaged RDB preamble cannot be cut away -
// every command after it builds on it - so that case is reported for a person to decide. The
// snapshot is decoded into scratch databases only to learn where the commands begin.
RepairOutcome repair_aof(const std::string& path, int databases) {
    RepairOutcome r;
    r.file = path;
    std::string bytes, error;
    if (!read_file(path, bytes, error)) {
        if (!error.empty()) throw std::runtime_error(error);
        return r;
    }
    size_t start = 0;
    if (looks_like_snapshot(bytes)) {
        KeyspaceEnv env;
        env.loading = true;
        std::vector<Database> scratch;
        for (int i = 0; i < databases; ++i) scratch.emplace_back(i, env);
        start = decode_snapshot(bytes, scratch, error);
        if (start == 0) {
            r.damaged = true;
            r.problem = "snapshot preamble: " + error;
            r.note = "the commands after it build on it; restore the AOF from a backup";
            return r;
        }
    }
    AofScan scan = scan_commands(bytes, start, nullptr);
    if (scan.verdict == AofScan::Verdict::clean) return r;
    r.damaged = true;
    r.offset = scan.good_end;
    r.problem = scan.verdict == AofScan::Verdict::torn_tail ? "torn tail (" + scan.problem + ")" : scan.problem;
    r.bytes_cut = bytes.size() - scan.good_end;
    r.records_cut = scan.commands_after;
    r.backup = keep_backup(path);
    truncate_file(path, scan.good_end);
    r.repaired = true;
    return r;
}

}  // namespace miniredis
