// AOF replay: snapshot preamble, then RESP commands, with torn-tail detection.
#include "storage/aof_loader.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "protocol/resp_parser.hpp"
#include "storage/snapshot.hpp"

namespace miniredis {

AofLoadResult load_aof(const std::string& path, std::vector<Database>& databases, const ReplayFn& run,
                       bool allow_truncated_tail) {
    AofLoadResult result;
    std::string bytes, error;
    if (!read_file(path, bytes, error)) {
        if (!error.empty()) result = {false, error};
        return result;  // no file: nothing to load
    }
    std::string_view rest = bytes;
    if (looks_like_snapshot(rest)) {
        size_t used = decode_snapshot(rest, databases, error);
        if (used == 0) return {false, "AOF preamble: " + error};
        result.had_preamble = true;
        rest.remove_prefix(used);
    }

    resp::RequestParser parser(INT64_MAX);
    size_t multi_start = std::string_view::npos;  // offset of an open MULTI block
    auto offset = [&] { return static_cast<size_t>(rest.data() - bytes.data()); };
    size_t torn_at = std::string_view::npos;
    while (!rest.empty()) {
        // The AOF holds only what we wrote: RESP arrays. Anything else (an inline-looking line)
        // is corruption, not a command to guess at.
        if (rest.front() != '*' && rest.front() != '\0')
            return {false, "bad AOF format at offset " + std::to_string(offset()) + ": expected '*'"};
        auto status = parser.parse(rest);
        if (status == resp::RequestParser::Status::incomplete) {
            torn_at = offset();
            break;
        }
        if (status == resp::RequestParser::Status::error) {
            // Zero bytes to the end are a torn tail too (a crash can extend a file with zeros).
            bool zeros = std::all_of(rest.begin(), rest.end(), [](char c) { return c == '\0'; });
            if (zeros) {
                torn_at = offset();
                break;
            }
            return {false, "bad AOF format at offset " + std::to_string(offset()) + ": " + std::string(parser.error())};
        }
        auto argv = parser.args();
        if (!argv.empty()) {
            auto is = [&](std::string_view word) {
                return argv[0].size() == word.size() &&
                       std::equal(word.begin(), word.end(), argv[0].begin(),
                                  [](char a, char b) { return a == (b >= 'a' && b <= 'z' ? b - 32 : b); });
            };
            if (is("MULTI")) multi_start = offset();
            if (is("EXEC")) multi_start = std::string_view::npos;
            if (!run(argv, error)) return {false, "AOF at offset " + std::to_string(offset()) + ": " + error};
            ++result.commands;
        }
        rest.remove_prefix(parser.consumed());
        parser.reset();
    }
    // A MULTI without its EXEC is as torn as half a command: none of it happened.
    if (multi_start != std::string_view::npos) torn_at = std::min(torn_at, multi_start);
    if (torn_at != std::string_view::npos) {
        if (!allow_truncated_tail)
            return {false, "the AOF ends with an incomplete command at offset " + std::to_string(torn_at) +
                               " (set aof-load-truncated yes to cut it off)"};
        if (::truncate(path.c_str(), static_cast<off_t>(torn_at)) != 0)
            return {false, "cannot truncate the AOF: " + std::string(std::strerror(errno))};
        result.truncated = true;
        result.truncated_at = torn_at;
        result.dropped_bytes = bytes.size() - torn_at;
    }
    return result;
}

}  // namespace miniredis
