// Every command handler, by family - the functions the command table points at.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace miniredis {

struct CommandContext;
class ServerState;
struct Client;

inline constexpr std::string_view kRedisVersion = "7.0.15";  // the Redis we behave like

// strings.cpp
void cmd_get(CommandContext&);
void cmd_set(CommandContext&);
void cmd_setnx(CommandContext&);
void cmd_setex(CommandContext&);
void cmd_psetex(CommandContext&);
void cmd_getset(CommandContext&);
void cmd_getdel(CommandContext&);
void cmd_getex(CommandContext&);
void cmd_mget(CommandContext&);
void cmd_mset(CommandContext&);
void cmd_msetnx(CommandContext&);
void cmd_incr(CommandContext&);
void cmd_decr(CommandContext&);
void cmd_incrby(CommandContext&);
void cmd_decrby(CommandContext&);
void cmd_incrbyfloat(CommandContext&);
void cmd_append(CommandContext&);
void cmd_strlen(CommandContext&);
void cmd_getrange(CommandContext&);
void cmd_setrange(CommandContext&);

// keys.cpp
void cmd_del(CommandContext&);
void cmd_exists(CommandContext&);
void cmd_touch(CommandContext&);
void cmd_type(CommandContext&);
void cmd_expire(CommandContext&);
void cmd_pexpire(CommandContext&);
void cmd_expireat(CommandContext&);
void cmd_pexpireat(CommandContext&);
void cmd_ttl(CommandContext&);
void cmd_pttl(CommandContext&);
void cmd_expiretime(CommandContext&);
void cmd_pexpiretime(CommandContext&);
void cmd_persist(CommandContext&);
void cmd_rename(CommandContext&);
void cmd_renamenx(CommandContext&);
void cmd_copy(CommandContext&);
void cmd_keys(CommandContext&);
void cmd_scan(CommandContext&);
void cmd_randomkey(CommandContext&);
void cmd_dbsize(CommandContext&);

// connection.cpp
void cmd_ping(CommandContext&);
void cmd_echo(CommandContext&);
void cmd_select(CommandContext&);
void cmd_quit(CommandContext&);
void cmd_auth(CommandContext&);
void cmd_hello(CommandContext&);
void cmd_reset(CommandContext&);
void cmd_client_id(CommandContext&);
void cmd_client_getname(CommandContext&);
void cmd_client_setname(CommandContext&);
void cmd_client_info(CommandContext&);
void cmd_client_list(CommandContext&);
void cmd_client_kill(CommandContext&);
void cmd_client_no_evict(CommandContext&);
void cmd_client_help(CommandContext&);
std::string client_info_line(ServerState& server, const Client& client);

// server_cmds.cpp
void cmd_flushdb(CommandContext&);
void cmd_flushall(CommandContext&);
void cmd_time(CommandContext&);
void cmd_lastsave(CommandContext&);
void cmd_command(CommandContext&);
void cmd_command_count(CommandContext&);
void cmd_command_list(CommandContext&);
void cmd_command_info(CommandContext&);
void cmd_command_docs(CommandContext&);
void cmd_command_getkeys(CommandContext&);
void cmd_config_get(CommandContext&);
void cmd_config_set(CommandContext&);
void cmd_config_resetstat(CommandContext&);
void cmd_config_rewrite(CommandContext&);
void cmd_config_help(CommandContext&);
void cmd_info(CommandContext&);
void cmd_shutdown(CommandContext&);
std::string info_text(ServerState& server, std::span<const std::string_view> sections);

}  // namespace miniredis
