// miniredis/core/monitor.hpp
//
// MONITOR: watching every command the server runs, live (the lecture tool).
//
// CONCEPT: a client that sends MONITOR stops being a normal client and becomes an audience:
// after each command any client runs, the server pushes one line describing it to every monitor,
//
//   +1701234567.123456 [0 127.0.0.1:51234] "SET" "k" "v"
//    ^ when (Unix s.us) ^ db and who         ^ the arguments as sent, quoted and escaped
//
// which `redis-cli monitor` prints as it arrives. Three rules come from Redis:
//   - the line is built once and appended to each monitor's *output buffer*, like a pub/sub
//     message: a monitor that stops reading does not slow anyone down, its buffer grows until
//     the output limits (output_limits.cpp, pub/sub class) close it;
//   - secrets are redacted with the rule --trace uses (trace.hpp: AUTH, HELLO AUTH, CONFIG SET
//     requirepass), and admin commands (CONFIG, CLIENT, SLOWLOG, DEBUG...) are not shown at all;
//   - commands are shown after they ran and only if they got past the checks (unknown commands
//     and wrong arities are not), and a MULTI's commands when EXEC runs them, not when queued.
// The monitor itself may only PING, QUIT, RESET and the like: commands touching keys are refused
// ("Replica can't interact with the keyspace": Redis implements monitors as a kind of replica).
//
// Cost when nobody monitors: one test of an empty vector per command.
//
// READ NEXT: commands/monitor.cpp (the MONITOR command), commands/dispatch.cpp (where it is fed).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace miniredis {

// One MONITOR line, "\r\n" included. `unix_us`: microseconds since the epoch; `origin`: the
// client's address ("127.0.0.1:51234"); secrets in argv are replaced by "(redacted)".
std::string monitor_line(int64_t unix_us, int db, std::string_view origin, std::span<const std::string_view> argv);

// An argument as Redis' sdscatrepr quotes it: "a\n\"\x01" (printable bytes as they are).
void append_quoted(std::string& out, std::string_view arg);

}  // namespace miniredis
