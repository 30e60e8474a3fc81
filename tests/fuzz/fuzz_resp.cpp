// fuzz_resp: libFuzzer harness for miniredis's request codec (RESP) and the commands behind it.
//
// CONCEPT: coverage-guided fuzzing. libFuzzer calls LLVMFuzzerTestOneInput millions of times with
// byte strings it mutates from a seed corpus (tests/fuzz/corpus/resp/: requests captured from
// redis-cli and redis-py), keeping every input that reaches a branch no earlier input reached.
// The harness turns "the server survives any bytes" into checks it can fail on:
//
//   input bytes ──► RequestParser, all at once ──────────┐  same commands, same verdict?
//              └──► RequestParser, in random-sized reads ─┘  (a TCP read can end anywhere)
//                   each command ──► encode as RESP ──► parse again ──► the same arguments?
//              └──► Broker (no sockets, ManualClock), two clients taking turns:
//                   every command runs, replies are dropped, time moves on, tick() runs
//
// A crash, a sanitizer report (the build uses ASan + UBSan), an assert, or one allocation over
// libFuzzer's -malloc_limit_mb is a finding. The state pass is the session loop of
// Broker::process_input minus the commands that touch files or the process (SAVE, SHUTDOWN,
// CONFIG SET dir ...): those would write into the working directory at fuzzing speed.
//
// READ NEXT: tests/fuzz/fuzz_amqp.cpp (the same idea for AMQP frames), tests/fuzz/run_fuzzer.py
// (how CI runs this with a fixed budget), tests/miniredis/harness.hpp (the socket-free server).
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../miniredis/harness.hpp"
#include "core/broker.hpp"
#include "fuzz_check.hpp"
#include "log.hpp"
#include "protocol/resp_parser.hpp"

namespace {

using miniredis::resp::RequestParser;
using Command = std::vector<std::string>;

struct ParseResult {
    std::vector<Command> commands;
    bool error = false;
};

Command copy_args(const RequestParser& parser) { return Command(parser.args().begin(), parser.args().end()); }

// The whole input in one read.
ParseResult parse_at_once(std::string_view input) {
    ParseResult result;
    RequestParser parser(1 << 20);
    while (true) {
        auto status = parser.parse(input);
        if (status == RequestParser::Status::need_more) break;
        if (status == RequestParser::Status::error) {
            result.error = true;
            break;
        }
        result.commands.push_back(copy_args(parser));
        FUZZ_CHECK(parser.consumed() > 0 && parser.consumed() <= input.size());
        input.remove_prefix(parser.consumed());
        parser.reset();
    }
    return result;
}

// The same bytes arriving in reads of 1..64 bytes (sizes from a generator seeded by the input),
// kept in a buffer that is compacted after every command, as the session loop does.
ParseResult parse_in_pieces(std::string_view input) {
    ParseResult result;
    RequestParser parser(1 << 20);
    uint64_t seed = 0x9e3779b97f4a7c15ULL ^ input.size();
    for (unsigned char c : input.substr(0, 16)) seed = seed * 31 + c;
    std::string buffer;
    size_t fed = 0;
    while (true) {
        auto status = parser.parse(buffer);
        if (status == RequestParser::Status::complete) {
            result.commands.push_back(copy_args(parser));
            buffer.erase(0, parser.consumed());
            parser.reset();
            continue;
        }
        if (status == RequestParser::Status::error) {
            result.error = true;
            break;
        }
        if (fed == input.size()) break;
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t chunk = 1 + (seed >> 58);  // 1..64
        chunk = std::min(chunk, input.size() - fed);
        buffer.append(input.substr(fed, chunk));
        fed += chunk;
    }
    return result;
}

// Every command, written back as a RESP array of bulk strings (what redis-cli sends), parses to
// the same arguments and consumes exactly what was written.
void check_round_trip(const Command& command) {
    std::string encoded = "*" + std::to_string(command.size()) + "\r\n";
    for (const auto& arg : command) encoded += "$" + std::to_string(arg.size()) + "\r\n" + arg + "\r\n";
    RequestParser parser(1 << 20);
    FUZZ_CHECK(parser.parse(encoded) == RequestParser::Status::complete);
    FUZZ_CHECK(parser.consumed() == encoded.size());
    FUZZ_CHECK(copy_args(parser) == command);
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// Commands that would write files into the working directory or end the process.
bool allowed(std::span<const std::string_view> args) {
    std::string name = lower(args[0]);
    if (name == "save" || name == "bgsave" || name == "bgrewriteaof" || name == "shutdown") return false;
    if (name == "config" && args.size() > 1) {
        std::string sub = lower(args[1]);
        if (sub == "rewrite") return false;
        if (sub == "set")
            for (size_t i = 2; i < args.size(); ++i) {
                std::string a = lower(args[i]);
                for (std::string_view word : {"dir", "file", "append", "save", "log"})
                    if (a.find(word) != std::string::npos) return false;
            }
    }
    return true;
}

void run_commands(std::string_view input) {
    miniredis::ManualClock clock;
    // Bulk strings up to 1 MB (the option's minimum): a command may still build a value of that
    // size, but not the 512 MB the default allows, which would only measure the allocator.
    miniredis::Broker state(clock, miniredis::test::test_config({{"proto-max-bulk-len", "1mb"}}));
    // Two clients taking turns, so that what one does can reach the other: a PUBLISH to the
    // other's SUBSCRIBE, an RPUSH that wakes its BLPOP, a write that fails its WATCH...
    miniredis::Client* clients[2] = {&state.add_client("127.0.0.1:50001", "127.0.0.1:6379"),
                                     &state.add_client("127.0.0.1:50002", "127.0.0.1:6379")};
    RequestParser parser(1 << 20);
    for (size_t n = 0; n < 256; ++n) {
        if (parser.parse(input) != RequestParser::Status::complete) break;
        auto args = parser.args();
        miniredis::Client*& client = clients[n % 2];
        if (client->blocked.active) {  // BLPOP with no data: time passes until its timeout
            clock.advance_ms(60'000);
            state.tick();
        }
        if (client->blocked.active || client->closed || client->close_after_reply) {
            state.remove_client(*client);  // the client hung up (or was killed): a new one
            client = &state.add_client("127.0.0.1:5000" + std::to_string(n % 10), "127.0.0.1:6379");
        }
        if (!args.empty() && allowed(args)) state.execute(*client, args);
        input.remove_prefix(parser.consumed());
        parser.reset();
        // The end of the event-loop turn: AOF step, replies "sent" (dropped), time moves on.
        state.run_unblocked_clients();
        state.before_sleep();
        for (auto& [id, c] : state.clients) {
            c->out.clear();
            c->write_pending = false;
        }
        state.pending_writes.clear();
        // Time moves in steps of 0..900 ms, with tick() every 8 commands: TTLs run out, blocked
        // clients time out and active expiry runs in the middle of what the input does.
        clock.advance_ms(static_cast<int64_t>(n % 7) * 150);
        if (n % 8 == 7) state.tick();
    }
    for (auto* c : clients) state.remove_client(*c);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    mb::log::set_level(mb::log::Level::error);  // a "closed with error" line per input is noise
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    ParseResult at_once = parse_at_once(input);
    ParseResult in_pieces = parse_in_pieces(input);
    FUZZ_CHECK(at_once.commands == in_pieces.commands);
    FUZZ_CHECK(at_once.error == in_pieces.error);
    for (const Command& command : at_once.commands)
        if (!command.empty()) check_round_trip(command);
    run_commands(input);
    return 0;
}
