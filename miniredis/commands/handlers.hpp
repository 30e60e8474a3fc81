// miniredis/commands/handlers.hpp
//
// Every command handler, by family - the functions the command table points at.
//
// CONCEPT: the catalogue. One declaration per command, grouped by the file that implements it, so
// that from a line of command_table.cpp you find the file in one step. Families follow Redis' own
// source files (t_string.c -> strings.cpp, t_list.c -> lists.cpp, t_zset.c -> zsets.cpp, ...), so a
// reader who opens Redis next to this project finds the same split.
//
//   command_table.cpp {"get", 2, R|F, cmd_get} ──▶ handlers.hpp cmd_get ──▶ strings.cpp cmd_get
//
// The contract every handler below keeps (dispatch.cpp relies on it, and so do clients):
//   1. One reply per call - a value or an error. Pipelining and MULTI/EXEC match replies to
//      commands by position only, so a missing or a doubled reply shifts every later one. The
//      exceptions are Redis' own and part of the protocol: a blocking command that waits replies
//      later (blocking.cpp), (UN)SUBSCRIBE confirms each channel with its own push, and SHUTDOWN
//      or a repeated MONITOR answer nothing at all.
//   2. Check everything before changing anything: arguments, then types (WRONGTYPE), then write.
//      Redis has no rollback, so an error after half a change would be a visible half-change.
//   3. Every change goes through ctx.modified(key) (WATCH, the save counter, blocked clients), and
//      a call that changed nothing does not call it - then nothing reaches the AOF or replicas.
//   4. Randomness and the clock are logged as their results (ctx.rewrite_as): SPOP becomes SREM of
//      what was popped, SET EX becomes SET PXAT, so a replay reaches the same state.
//   5. Never block and never sleep (DEBUG SLEEP excepted): one thread serves every client. A
//      command that must wait registers the wait (blocking.cpp) and returns.
// Arity is checked by dispatch before the call, so ctx.arg(i) is safe for every i the table's arity
// guarantees; optional arguments past it are each handler's business.
// READ NEXT: strings.cpp (GET and SET), docs/miniredis/README.md (the concept map).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace miniredis {

struct CommandContext;
class Broker;
struct Client;

// The version INFO and HELLO report. Clients and tools read it to decide which commands and reply
// shapes to expect, so it names the Redis whose behaviour (error texts, RESP3 shapes) we copy.
inline constexpr std::string_view kRedisVersion = "7.0.15";  // the Redis we behave like
// HRANDFIELD/SRANDMEMBER/ZRANDMEMBER with a negative count repeat elements: cap the reply size.
inline constexpr int64_t kMaxRandomCount = 10'000'000;

// strings.cpp - the string: caches, counters, locks (SET NX PX). The course's first type, and the
// one docs/miniredis/01-follow-a-set.md follows from socket to AOF.
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

// keys.cpp - the keyspace as a whole: delete, rename, iterate (KEYS vs SCAN) and expiry (TTLs as
// absolute deadlines, removed lazily on access and actively by the tick).
void cmd_del(CommandContext&);
void cmd_unlink(CommandContext&);
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

// connection.cpp - one client's conversation: its protocol (HELLO 2|3), database, name, login.
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

// hashes.cpp - an object's fields under one key (user:42 name, email, visits).
void cmd_hset(CommandContext&);
void cmd_hsetnx(CommandContext&);
void cmd_hget(CommandContext&);
void cmd_hmget(CommandContext&);
void cmd_hdel(CommandContext&);
void cmd_hexists(CommandContext&);
void cmd_hlen(CommandContext&);
void cmd_hstrlen(CommandContext&);
void cmd_hgetall(CommandContext&);
void cmd_hkeys(CommandContext&);
void cmd_hvals(CommandContext&);
void cmd_hincrby(CommandContext&);
void cmd_hincrbyfloat(CommandContext&);
void cmd_hscan(CommandContext&);
void cmd_hrandfield(CommandContext&);

// lists.cpp - a sequence with O(1) ends: the simplest job queue (LPUSH + RPOP), no acks.
void cmd_lpush(CommandContext&);
void cmd_rpush(CommandContext&);
void cmd_lpushx(CommandContext&);
void cmd_rpushx(CommandContext&);
void cmd_lpop(CommandContext&);
void cmd_rpop(CommandContext&);
void cmd_llen(CommandContext&);
void cmd_lrange(CommandContext&);
void cmd_lindex(CommandContext&);
void cmd_lset(CommandContext&);
void cmd_lrem(CommandContext&);
void cmd_ltrim(CommandContext&);
void cmd_linsert(CommandContext&);
void cmd_lpos(CommandContext&);
void cmd_lmove(CommandContext&);
void cmd_rpoplpush(CommandContext&);

// blocking.cpp - waiting without polling (BLPOP), and the registry every blocking command uses.
void cmd_blpop(CommandContext&);
void cmd_brpop(CommandContext&);
void cmd_blmove(CommandContext&);
void cmd_brpoplpush(CommandContext&);

// mpop.cpp - popping from the first non-empty of several keys, lists or sorted sets, and waiting.
void cmd_lmpop(CommandContext&);
void cmd_blmpop(CommandContext&);
void cmd_zmpop(CommandContext&);
void cmd_bzmpop(CommandContext&);
void cmd_bzpopmin(CommandContext&);
void cmd_bzpopmax(CommandContext&);

// streams.cpp (XADD, XTRIM, XRANGE, XLEN, XDEL, XSETID), stream_read.cpp (XREAD, XREADGROUP),
// stream_groups.cpp (XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM), stream_info.cpp (XINFO) - the
// append-only log with consumer groups, Redis' answer to Kafka (docs/miniredis/04-streams.md).
void cmd_xadd(CommandContext&);
void cmd_xtrim(CommandContext&);
void cmd_xrange(CommandContext&);
void cmd_xrevrange(CommandContext&);
void cmd_xlen(CommandContext&);
void cmd_xdel(CommandContext&);
void cmd_xsetid(CommandContext&);
void cmd_xread(CommandContext&);
void cmd_xreadgroup(CommandContext&);
void cmd_xgroup(CommandContext&);
void cmd_xack(CommandContext&);
void cmd_xpending(CommandContext&);
void cmd_xclaim(CommandContext&);
void cmd_xautoclaim(CommandContext&);
void cmd_xinfo(CommandContext&);

// sets.cpp - unique members with O(1) membership and set algebra (tags, who is online).
void cmd_sadd(CommandContext&);
void cmd_srem(CommandContext&);
void cmd_smembers(CommandContext&);
void cmd_sismember(CommandContext&);
void cmd_smismember(CommandContext&);
void cmd_scard(CommandContext&);
void cmd_spop(CommandContext&);
void cmd_srandmember(CommandContext&);
void cmd_sinter(CommandContext&);
void cmd_sunion(CommandContext&);
void cmd_sdiff(CommandContext&);
void cmd_sinterstore(CommandContext&);
void cmd_sunionstore(CommandContext&);
void cmd_sdiffstore(CommandContext&);
void cmd_sintercard(CommandContext&);
void cmd_smove(CommandContext&);
void cmd_sscan(CommandContext&);

// zsets.cpp - members ordered by score: leaderboards, priority queues, time indexes.
void cmd_zadd(CommandContext&);
void cmd_zincrby(CommandContext&);
void cmd_zrem(CommandContext&);
void cmd_zscore(CommandContext&);
void cmd_zmscore(CommandContext&);
void cmd_zcard(CommandContext&);
void cmd_zrank(CommandContext&);
void cmd_zrevrank(CommandContext&);
void cmd_zpopmin(CommandContext&);
void cmd_zpopmax(CommandContext&);
void cmd_zscan(CommandContext&);
void cmd_zrandmember(CommandContext&);

// zset_ranges.cpp - the commands that name a range (by rank, score or member bytes): read it,
// count it, store it, remove it.
void cmd_zcount(CommandContext&);
void cmd_zlexcount(CommandContext&);
void cmd_zrange(CommandContext&);
void cmd_zrangestore(CommandContext&);
void cmd_zrevrange(CommandContext&);
void cmd_zrangebyscore(CommandContext&);
void cmd_zrevrangebyscore(CommandContext&);
void cmd_zrangebylex(CommandContext&);
void cmd_zrevrangebylex(CommandContext&);
void cmd_zremrangebyrank(CommandContext&);
void cmd_zremrangebyscore(CommandContext&);
void cmd_zremrangebylex(CommandContext&);

// bitmaps.cpp, geo.cpp, hyperloglog.cpp - types hidden in other types: a bitmap and a HyperLogLog
// are strings, a geo set is a sorted set (docs/miniredis/05-probabilistic-and-bits.md).
void cmd_setbit(CommandContext&);
void cmd_getbit(CommandContext&);
void cmd_bitcount(CommandContext&);
void cmd_bitpos(CommandContext&);
void cmd_bitop(CommandContext&);
void cmd_bitfield(CommandContext&);
void cmd_bitfield_ro(CommandContext&);

// geo.cpp
void cmd_geoadd(CommandContext&);
void cmd_geopos(CommandContext&);
void cmd_geodist(CommandContext&);
void cmd_geohash(CommandContext&);
void cmd_geosearch(CommandContext&);
void cmd_geosearchstore(CommandContext&);

// hyperloglog.cpp
void cmd_pfadd(CommandContext&);
void cmd_pfcount(CommandContext&);
void cmd_pfmerge(CommandContext&);

// zset_algebra.cpp - unions, intersections and differences of sorted sets, with weights.
void cmd_zunionstore(CommandContext&);
void cmd_zinterstore(CommandContext&);
void cmd_zdiffstore(CommandContext&);
void cmd_zunion(CommandContext&);
void cmd_zinter(CommandContext&);
void cmd_zdiff(CommandContext&);
void cmd_zintercard(CommandContext&);

// pubsub_cmds.cpp - fire-and-forget fan-out to whoever is connected now; nothing is stored.
void cmd_subscribe(CommandContext&);
void cmd_psubscribe(CommandContext&);
void cmd_unsubscribe(CommandContext&);
void cmd_punsubscribe(CommandContext&);
void cmd_publish(CommandContext&);
void cmd_pubsub_channels(CommandContext&);
void cmd_pubsub_numsub(CommandContext&);
void cmd_pubsub_numpat(CommandContext&);

// transactions.cpp - MULTI/EXEC batches (atomic, no rollback) and WATCH (optimistic locking).
void cmd_multi(CommandContext&);
void cmd_exec(CommandContext&);
void cmd_discard(CommandContext&);
void cmd_watch(CommandContext&);
void cmd_unwatch(CommandContext&);

// persistence_cmds.cpp - snapshots on demand; the durability of every write is in core/.
void cmd_save(CommandContext&);
void cmd_bgsave(CommandContext&);
void cmd_bgrewriteaof(CommandContext&);

// server_cmds.cpp (and info.cpp for INFO) - the server as a whole: FLUSH*, TIME, COMMAND, CONFIG.
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
std::string info_text(Broker& server, std::span<const std::string_view> sections);  // info.cpp

// introspection.cpp - how one key is stored and what it costs (docs/miniredis/06-looking-inside.md).
void cmd_object_encoding(CommandContext&);
void cmd_object_freq(CommandContext&);
void cmd_object_idletime(CommandContext&);
void cmd_object_refcount(CommandContext&);
void cmd_object_help(CommandContext&);
void cmd_memory_usage(CommandContext&);
void cmd_memory_stats(CommandContext&);
void cmd_memory_doctor(CommandContext&);
void cmd_memory_malloc_stats(CommandContext&);
void cmd_memory_purge(CommandContext&);
void cmd_memory_help(CommandContext&);
void cmd_debug(CommandContext&);

// diagnostics.cpp - SLOWLOG and LATENCY: what the dispatcher recorded about slow commands.
void cmd_slowlog_get(CommandContext&);
void cmd_slowlog_len(CommandContext&);
void cmd_slowlog_reset(CommandContext&);
void cmd_slowlog_help(CommandContext&);
void cmd_latency_latest(CommandContext&);
void cmd_latency_history(CommandContext&);
void cmd_latency_reset(CommandContext&);
void cmd_latency_doctor(CommandContext&);
void cmd_latency_graph(CommandContext&);
void cmd_latency_help(CommandContext&);

// monitor.cpp - every command, live, to an audience connection.
void cmd_monitor(CommandContext&);

// replication_cmds.cpp - REPLICAOF, ROLE, WAIT and the replica's handshake (docs/miniredis/07-replication.md).
void cmd_replicaof(CommandContext&);
void cmd_replconf(CommandContext&);
void cmd_psync(CommandContext&);
void cmd_sync(CommandContext&);
void cmd_wait(CommandContext&);
void cmd_role(CommandContext&);
std::string replication_info(Broker& server);  // INFO replication

}  // namespace miniredis
