"""Differential test: the same command scripts go to miniredis and to a real redis-server (started
here on its own port), and the replies must match - arrays of unordered things (SMEMBERS, HGETALL,
KEYS...) compared as multisets, error replies by their code (the first word), random picks by
shape only. Each script starts from an empty database on both servers."""
import random
import re
import time
import unittest

import tap
from real_brokers import RealRedis
from resp_client import Error, RespClient
from servers import Server

# Replies whose element order is not defined by Redis (hash/set iteration order).
UNORDERED = {"smembers", "sinter", "sunion", "sdiff", "hgetall", "hkeys", "hvals", "keys", "spop",
             "srandmember", "hrandfield", "zrandmember", "pubsub"}
# Replies that are random: compare the type and length only.
RANDOM = {"spop", "srandmember", "hrandfield", "zrandmember", "randomkey"}


# Stream replies that carry clocks: idle times and delivery/seen times differ between two servers
# by a few ms, and radix-tree-nodes counts Redis' inner tree nodes, which we do not have.
TIME_FIELDS = {b"idle", b"seen-time", b"radix-tree-nodes", b"inactive", b"active-time"}


def without_clocks(reply):
    if isinstance(reply, tuple) and reply[0] == "map":
        return without_clocks([x for pair in reply[1] for x in pair])
    if isinstance(reply, tuple) and reply[0] == "double":
        return reply
    if isinstance(reply, list):
        out = []
        for i, x in enumerate(reply):
            if i % 2 == 1 and isinstance(reply[i - 1], bytes) and reply[i - 1] in TIME_FIELDS:
                out.append("<time>")
            elif isinstance(x, int) and not isinstance(x, bool) and x > 10**12:
                out.append("<timestamp>")
            else:
                out.append(without_clocks(x))
        return out
    return reply


def normalize(command, reply, exact_errors=False):
    name = command[0].lower()
    if isinstance(reply, Error):
        return ("error", reply.text if exact_errors else reply.prefix())
    if name == "xadd" and "*" in command and isinstance(reply, bytes):
        return ("generated-id", bool(re.fullmatch(rb"[0-9]+-[0-9]+", reply)))
    if name == "xpending" and len(command) > 3 and isinstance(reply, list):
        return [[e[0], e[1], "<idle>", e[3]] for e in reply]
    if name in ("xinfo", "xpending"):
        return without_clocks(reply)
    if name in RANDOM:
        if isinstance(reply, list):
            return ("random-array", len(reply))
        return ("random", type(reply).__name__)
    if isinstance(reply, tuple) and reply[0] in ("set", "map"):
        reply = reply[1] if reply[0] == "set" else [x for pair in reply[1] for x in pair]
    if name in UNORDERED and isinstance(reply, list):
        return sorted(repr(x) for x in reply)
    if name in ("scan", "sscan", "hscan", "zscan") and isinstance(reply, list):
        return [reply[0], sorted(repr(x) for x in reply[1])]
    return reply


SCRIPTS = {
    "strings": [
        ["SET", "k", "v"], ["GET", "k"], ["GET", "missing"], ["SET", "k", "v2", "NX"], ["SET", "k", "v3", "XX"],
        ["SET", "k", "v4", "GET"], ["SET", "n", "10"], ["INCR", "n"], ["INCRBY", "n", "-5"], ["DECR", "n"],
        ["DECRBY", "n", "3"], ["INCRBY", "n", "abc"], ["INCR", "k"], ["SET", "big", "9223372036854775807"],
        ["INCR", "big"], ["INCRBYFLOAT", "f", "1.5"], ["INCRBYFLOAT", "f", "0.1"], ["INCRBYFLOAT", "f", "-3"],
        ["INCRBYFLOAT", "f", "1e3"], ["APPEND", "a", "Hello"], ["APPEND", "a", " World"], ["STRLEN", "a"],
        ["GETRANGE", "a", "0", "4"], ["GETRANGE", "a", "-5", "-1"], ["GETRANGE", "a", "100", "200"],
        ["SETRANGE", "a", "6", "Redis"], ["GET", "a"], ["SETRANGE", "pad", "5", "x"], ["GET", "pad"],
        ["MSET", "m1", "1", "m2", "2"], ["MGET", "m1", "m2", "nope", "n"], ["MSETNX", "m2", "x", "m3", "y"],
        ["MSETNX", "m4", "x", "m5", "y"], ["GETSET", "m1", "new"], ["GETDEL", "m1"], ["GETDEL", "m1"],
        ["SETNX", "m2", "z"], ["SETNX", "m9", "z"], ["SETEX", "ex", "100", "v"], ["TTL", "ex"],
        ["PSETEX", "px", "100000", "v"], ["TTL", "px"], ["SETEX", "ex", "0", "v"], ["SETEX", "ex", "abc", "v"],
        ["SET", "k", "v", "EX", "100", "KEEPTTL"], ["SET", "k", "v", "PX", "-1"], ["SET", "k", "v", "FOO"],
        ["GETEX", "ex", "PERSIST"], ["TTL", "ex"], ["GETEX", "ex", "EX", "50"], ["TTL", "ex"],
        ["GET"], ["SET", "k"], ["STRLEN", "nope"], ["LPUSH", "list", "a"], ["GET", "list"], ["APPEND", "list", "x"],
        ["MGET", "list", "k"], ["SET", "k", "v", "EXAT", "9999999999"], ["TTL", "k"], ["DECRBY", "n", "-9223372036854775808"],
    ],
    "keys": [
        ["SET", "a", "1"], ["SET", "b", "2"], ["RPUSH", "l", "x"], ["EXISTS", "a", "b", "c", "a"],
        ["TYPE", "a"], ["TYPE", "l"], ["TYPE", "zz"], ["KEYS", "*"], ["KEYS", "?"], ["KEYS", "[ab]"],
        ["DEL", "a", "zz"], ["UNLINK", "b"], ["EXPIRE", "l", "100"], ["TTL", "l"], ["EXPIRE", "l", "200", "NX"],
        ["EXPIRE", "l", "200", "XX"], ["EXPIRE", "l", "50", "GT"], ["EXPIRE", "l", "50", "LT"], ["TTL", "l"],
        ["EXPIRE", "l", "10", "NX", "XX"], ["EXPIRE", "l", "10", "GT", "LT"], ["EXPIRE", "l", "10", "BAD"],
        ["PERSIST", "l"], ["PERSIST", "l"], ["TTL", "l"], ["TTL", "none"], ["PEXPIRE", "l", "100000"],
        ["EXPIREAT", "l", "9999999999"], ["EXPIRETIME", "l"], ["PEXPIRETIME", "l"], ["EXPIRETIME", "none"],
        ["PEXPIREAT", "l", "1"], ["EXISTS", "l"], ["SET", "s", "v"], ["RENAME", "s", "t"], ["GET", "t"],
        ["RENAME", "nope", "x"], ["RENAMENX", "t", "t2"], ["SET", "u", "1"], ["RENAMENX", "t2", "u"],
        ["COPY", "u", "u2"], ["GET", "u2"], ["COPY", "u", "u2"], ["COPY", "u", "u2", "REPLACE"],
        ["COPY", "u", "u"], ["DBSIZE"], ["SELECT", "1"], ["DBSIZE"], ["SET", "x", "1"], ["SELECT", "0"],
        ["COPY", "u", "x", "DB", "1"], ["SELECT", "1"], ["GET", "x"], ["SELECT", "0"], ["SELECT", "99"],
        ["SELECT", "x"], ["EXPIRE", "u", "abc"], ["FLUSHDB"], ["DBSIZE"], ["RENAME", "a"],
    ],
    "hashes": [
        ["HSET", "h", "f1", "v1", "f2", "v2"], ["HSET", "h", "f1", "x"], ["HGET", "h", "f1"], ["HGET", "h", "no"],
        ["HMGET", "h", "f1", "no", "f2"], ["HGETALL", "h"], ["HKEYS", "h"], ["HVALS", "h"], ["HLEN", "h"],
        ["HEXISTS", "h", "f2"], ["HSTRLEN", "h", "f2"], ["HSETNX", "h", "f1", "y"], ["HSETNX", "h", "f3", "y"],
        ["HINCRBY", "h", "n", "5"], ["HINCRBY", "h", "n", "-10"], ["HINCRBY", "h", "f1", "1"],
        ["HINCRBYFLOAT", "h", "fl", "2.5"], ["HINCRBYFLOAT", "h", "fl", "0.25"], ["HDEL", "h", "f1", "no"],
        ["HMSET", "h", "a", "1"], ["HSET", "h", "odd"], ["HGETALL", "nohash"], ["SET", "str", "v"],
        ["HGET", "str", "f"], ["HSET", "str", "f", "v"], ["HDEL", "h", "f2", "f3", "n", "fl", "a"], ["EXISTS", "h"],
        ["HLEN", "h"], ["HRANDFIELD", "nohash"], ["HSET", "r", "a", "1", "b", "2"], ["HRANDFIELD", "r", "5"],
        ["HRANDFIELD", "r", "-5"], ["HRANDFIELD", "r", "0"], ["HSCAN", "r", "0"], ["HSCAN", "r", "0", "MATCH", "a*"],
    ],
    "lists": [
        ["RPUSH", "l", "a", "b", "c"], ["LPUSH", "l", "z"], ["LRANGE", "l", "0", "-1"], ["LRANGE", "l", "-2", "100"],
        ["LRANGE", "l", "5", "1"], ["LLEN", "l"], ["LINDEX", "l", "0"], ["LINDEX", "l", "-1"], ["LINDEX", "l", "9"],
        ["LSET", "l", "1", "A"], ["LSET", "l", "9", "x"], ["LSET", "nolist", "0", "x"], ["LINSERT", "l", "BEFORE", "b", "ins"],
        ["LINSERT", "l", "AFTER", "nope", "x"], ["LINSERT", "l", "MIDDLE", "b", "x"], ["LRANGE", "l", "0", "-1"],
        ["RPUSH", "l", "b", "b"], ["LPOS", "l", "b"], ["LPOS", "l", "b", "RANK", "2"], ["LPOS", "l", "b", "RANK", "-1"],
        ["LPOS", "l", "b", "COUNT", "0"], ["LPOS", "l", "b", "COUNT", "2", "MAXLEN", "3"], ["LPOS", "l", "b", "RANK", "0"],
        ["LREM", "l", "1", "b"], ["LREM", "l", "-1", "b"], ["LRANGE", "l", "0", "-1"], ["LREM", "l", "0", "b"],
        ["LPOP", "l"], ["RPOP", "l"], ["LPOP", "l", "2"], ["LPOP", "l", "0"], ["LPOP", "nolist", "2"], ["LPOP", "nolist"],
        ["RPUSH", "t", "1", "2", "3", "4", "5"], ["LTRIM", "t", "1", "-2"], ["LRANGE", "t", "0", "-1"],
        ["LTRIM", "t", "5", "10"], ["EXISTS", "t"], ["RPUSH", "src", "a", "b"], ["LMOVE", "src", "dst", "LEFT", "RIGHT"],
        ["LMOVE", "src", "dst", "RIGHT", "LEFT"], ["LRANGE", "dst", "0", "-1"], ["EXISTS", "src"],
        ["RPOPLPUSH", "dst", "dst"], ["LRANGE", "dst", "0", "-1"], ["LPUSHX", "none", "a"], ["RPUSHX", "dst", "c"],
        ["SET", "s", "v"], ["LPUSH", "s", "x"], ["LMOVE", "dst", "s", "LEFT", "LEFT"], ["LRANGE", "dst", "0", "-1"],
        ["LPOP", "l", "-1"], ["BLPOP", "dst", "0"], ["BRPOP", "nothing", "dst", "0"], ["BLPOP", "x", "-1"],
        ["BLPOP", "x", "abc"], ["RPUSH", "q", "1"], ["BLMOVE", "q", "q2", "LEFT", "LEFT", "0"], ["LRANGE", "q2", "0", "-1"],
    ],
    "sets": [
        ["SADD", "s", "a", "b", "c"], ["SADD", "s", "a", "d"], ["SMEMBERS", "s"], ["SCARD", "s"], ["SISMEMBER", "s", "a"],
        ["SISMEMBER", "s", "z"], ["SMISMEMBER", "s", "a", "z"], ["SREM", "s", "a", "z"], ["SADD", "t", "c", "d", "e"],
        ["SINTER", "s", "t"], ["SUNION", "s", "t"], ["SDIFF", "s", "t"], ["SDIFF", "t", "s"], ["SINTER", "s", "nope"],
        ["SINTERSTORE", "i", "s", "t"], ["SMEMBERS", "i"], ["SUNIONSTORE", "u", "s", "t"], ["SCARD", "u"],
        ["SDIFFSTORE", "d", "s", "t"], ["SMEMBERS", "d"], ["SINTERSTORE", "d", "s", "nope"], ["EXISTS", "d"],
        ["SINTERCARD", "2", "s", "t"], ["SINTERCARD", "2", "u", "t", "LIMIT", "1"], ["SINTERCARD", "0", "s"],
        ["SMOVE", "s", "t", "b"], ["SMOVE", "s", "t", "zz"], ["SMEMBERS", "t"], ["SPOP", "nope"], ["SPOP", "u", "0"],
        ["SRANDMEMBER", "t"], ["SRANDMEMBER", "t", "2"], ["SRANDMEMBER", "t", "-6"], ["SRANDMEMBER", "nope", "3"],
        ["SET", "str", "x"], ["SADD", "str", "a"], ["SINTER", "s", "str"], ["SUNION", "nope", "str"],
        ["SPOP", "t", "10"], ["EXISTS", "t"], ["SSCAN", "u", "0", "COUNT", "100"],
    ],
    "zsets": [
        ["ZADD", "z", "1", "a", "2", "b", "3", "c"], ["ZADD", "z", "1.5", "a"], ["ZADD", "z", "CH", "10", "a", "20", "d"],
        ["ZADD", "z", "NX", "100", "a"], ["ZADD", "z", "XX", "100", "new"], ["ZADD", "z", "GT", "5", "a"],
        ["ZADD", "z", "LT", "5", "a"], ["ZADD", "z", "NX", "XX", "1", "a"], ["ZADD", "z", "GT", "LT", "1", "a"],
        ["ZADD", "z", "INCR", "1", "a", "2", "b"], ["ZADD", "z", "INCR", "2.5", "a"], ["ZADD", "z", "abc", "x"],
        ["ZADD", "z", "1"], ["ZSCORE", "z", "a"], ["ZSCORE", "z", "no"], ["ZMSCORE", "z", "a", "no", "b"],
        ["ZINCRBY", "z", "0.1", "b"], ["ZCARD", "z"], ["ZRANK", "z", "a"], ["ZREVRANK", "z", "a"], ["ZRANK", "z", "no"],
        ["ZRANGE", "z", "0", "-1"], ["ZRANGE", "z", "0", "-1", "WITHSCORES"], ["ZRANGE", "z", "-2", "-1", "REV"],
        ["ZRANGE", "z", "(2", "+inf", "BYSCORE"], ["ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "1", "2"],
        ["ZRANGE", "z", "0", "1", "LIMIT", "0", "1"], ["ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES"],
        ["ZRANGEBYSCORE", "z", "2", "3.1"], ["ZRANGEBYSCORE", "z", "x", "3"], ["ZREVRANGEBYSCORE", "z", "+inf", "(3"],
        ["ZREVRANGE", "z", "0", "1", "WITHSCORES"], ["ZCOUNT", "z", "-inf", "+inf"], ["ZCOUNT", "z", "(2", "3"],
        ["ZCOUNT", "z", "5", "1"], ["ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d"],
        ["ZRANGEBYLEX", "lex", "-", "+"], ["ZRANGEBYLEX", "lex", "[b", "(d"], ["ZREVRANGEBYLEX", "lex", "+", "[b"],
        ["ZRANGE", "lex", "[a", "[c", "BYLEX", "LIMIT", "1", "5"], ["ZLEXCOUNT", "lex", "-", "+"],
        ["ZRANGEBYLEX", "lex", "a", "c"], ["ZRANGE", "lex", "-", "+", "BYLEX", "WITHSCORES"],
        ["ZREMRANGEBYLEX", "lex", "[a", "[b"], ["ZRANGE", "lex", "0", "-1"], ["ZPOPMIN", "z"], ["ZPOPMAX", "z", "2"],
        ["ZPOPMIN", "nope"], ["ZPOPMIN", "z", "-1"], ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
        ["ZADD", "r", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"], ["ZREMRANGEBYRANK", "r", "0", "1"],
        ["ZREMRANGEBYSCORE", "r", "(4", "5"], ["ZRANGE", "r", "0", "-1"], ["ZREM", "r", "c", "zz"], ["ZREM", "r", "d"],
        ["EXISTS", "r"], ["ZADD", "inf", "-inf", "lo", "+inf", "hi", "0", "mid"], ["ZRANGE", "inf", "0", "-1", "WITHSCORES"],
        ["ZRANGESTORE", "dst", "inf", "0", "1"], ["ZRANGE", "dst", "0", "-1"], ["ZSCAN", "inf", "0"],
        ["SET", "s", "x"], ["ZADD", "s", "1", "a"], ["ZRANGE", "s", "0", "1"], ["ZINCRBY", "inf", "1", "hi"],
        ["ZADD", "f", "1.1", "x"], ["ZSCORE", "f", "x"], ["ZRANDMEMBER", "f"], ["ZRANDMEMBER", "nope", "3"],
    ],
    "transactions": [
        ["MULTI"], ["SET", "a", "1"], ["INCR", "a"], ["LPUSH", "a", "x"], ["GET", "a"], ["EXEC"], ["EXEC"],
        ["DISCARD"], ["MULTI"], ["MULTI"], ["SET", "b"], ["SET", "c", "3"], ["EXEC"], ["GET", "c"],
        ["MULTI"], ["NOSUCHCOMMAND"], ["EXEC"], ["MULTI"], ["SET", "d", "1"], ["DISCARD"], ["GET", "d"],
        ["WATCH", "w"], ["SET", "w", "changed"], ["MULTI"], ["SET", "w", "mine"], ["EXEC"], ["GET", "w"],
        ["WATCH", "w"], ["MULTI"], ["SET", "w", "mine"], ["EXEC"], ["GET", "w"], ["MULTI"], ["WATCH", "x"],
        ["EXEC"], ["UNWATCH"], ["MULTI"], ["EXEC"],
    ],
    "wrongtype": [
        ["SET", "s", "x"], ["RPUSH", "l", "a"], ["HSET", "h", "f", "v"], ["SADD", "st", "m"], ["ZADD", "z", "1", "m"],
        ["HGET", "s", "f"], ["LLEN", "s"], ["SCARD", "s"], ["ZCARD", "s"], ["LRANGE", "h", "0", "1"], ["GET", "l"],
        ["INCR", "h"], ["APPEND", "z", "x"], ["SADD", "l", "x"], ["ZADD", "st", "1", "x"], ["HSET", "z", "a", "b"],
        ["LPOP", "st"], ["SPOP", "h"], ["ZPOPMIN", "l"], ["SMEMBERS", "z"], ["ZRANGE", "h", "0", "1"], ["HGETALL", "l"],
        ["SINTERSTORE", "dst", "s"], ["ZSCORE", "l", "a"], ["LINDEX", "z", "0"], ["GETRANGE", "l", "0", "1"],
        ["LINDEX", "nokey", "01"], ["LINDEX", "l", "01"], ["SMOVE", "nokey", "s", "m"], ["SMOVE", "st", "s", "m"],
        ["SETRANGE", "h", "0", "x"], ["STRLEN", "z"], ["HINCRBY", "s", "f", "1"], ["RPOPLPUSH", "l", "s"],
        ["LRANGE", "l", "0", "-1"], ["TYPE", "s"], ["TYPE", "l"], ["TYPE", "h"], ["TYPE", "st"], ["TYPE", "z"],
    ],
    "numbers": [
        ["SET", "n", "007"], ["INCR", "n"], ["SET", "n", "-0"], ["INCR", "n"], ["SET", "n", "+1"], ["INCR", "n"],
        ["SET", "n", "-9223372036854775808"], ["DECR", "n"], ["INCRBY", "x", "9223372036854775807"], ["INCR", "x"],
        ["INCRBYFLOAT", "f", "3.0e3"], ["INCRBYFLOAT", "f", "1.1"], ["INCRBYFLOAT", "f", "-0.1"],
        ["INCRBYFLOAT", "f", "abc"], ["INCRBYFLOAT", "f", "inf"], ["INCRBYFLOAT", "g", "5.0000000001"],
        ["ZADD", "z", "0.1", "a", "1e100", "b", "-1.5e-10", "c", "3", "d"], ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
        ["ZINCRBY", "z", "0.2", "a"], ["ZSCORE", "z", "a"], ["ZADD", "z", "nan", "e"], ["ZADD", "z", "inf", "e"],
        ["ZINCRBY", "z", "-inf", "e"], ["ZRANGEBYSCORE", "z", "(0", "(3"], ["ZCOUNT", "z", "-inf", "(1e100"],
        ["HINCRBYFLOAT", "h", "f", "2.5e-3"], ["HINCRBYFLOAT", "h", "f", "1"], ["HINCRBY", "h", "i", "-3"],
        ["SETRANGE", "r", "-1", "x"], ["GETRANGE", "r", "-1", "-5"], ["LPUSH", "l", "a"], ["LRANGE", "l", "x", "1"],
        ["EXPIRE", "n", "9223372036854775807"], ["PEXPIRE", "n", "-9223372036854775808"], ["SET", "k", "v", "EX", "9223372036854775807"],
    ],
    "hyperloglog": [
        ["PFADD", "h", "a", "b", "c"], ["PFCOUNT", "h"], ["GET", "h"], ["PFADD", "h", "a"], ["PFADD", "h"],
        ["PFADD", "new"], ["GET", "new"], ["PFCOUNT", "h", "new", "none"], ["PFMERGE", "m", "h", "new"],
        ["GET", "m"], ["PFCOUNT", "m"], ["SET", "s", "abc"], ["PFADD", "s", "x"], ["PFCOUNT", "s"],
        ["LPUSH", "l", "x"], ["PFADD", "l", "x"], ["PFCOUNT", "h", "l"], ["PFMERGE", "l", "h"], ["PFCOUNT"],
        ["PFADD"],
        # promotion to dense follows hll-sparse-max-bytes, also when changed at run time
        ["CONFIG", "SET", "hll-sparse-max-bytes", "100"], ["CONFIG", "GET", "hll-sparse-max-bytes"],
        ["PFADD", "small", *[str(i) for i in range(40)]], ["STRLEN", "small"], ["GET", "small"],
        ["CONFIG", "SET", "hll-sparse-max-bytes", "3000"],
    ],
    "bitmaps": [
        ["SETBIT", "b", "7", "1"], ["GET", "b"], ["SETBIT", "b", "7", "1"], ["SETBIT", "b", "100", "0"],
        ["STRLEN", "b"], ["GETBIT", "b", "7"], ["GETBIT", "b", "1000"], ["SETBIT", "b", "-1", "1"],
        ["SETBIT", "b", "x", "1"], ["SETBIT", "b", "1", "2"], ["SETBIT", "b", "1", "-1"],
        ["SETBIT", "b", "4294967296", "1"], ["GETBIT", "b", "4294967296"], ["SETBIT", "l", "1", "1"],
        ["GETBIT", "l", "1"], ["GETBIT", "nokey", "3"], ["SET", "f", "foobar"], ["BITCOUNT", "f"],
        ["BITCOUNT", "f", "0", "0"], ["BITCOUNT", "f", "1", "1"], ["BITCOUNT", "f", "1", "1", "BYTE"],
        ["BITCOUNT", "f", "5", "30", "BIT"], ["BITCOUNT", "f", "-1", "-2"], ["BITCOUNT", "f", "-3", "-1", "BIT"],
        ["BITCOUNT", "f", "0"], ["BITCOUNT", "f", "0", "1", "BAD"], ["BITCOUNT", "f", "a", "1"],
        ["BITCOUNT", "nokey", "a", "b"], ["BITCOUNT", "l"], ["BITCOUNT", "f", "0", "-1", "BIT"],
        ["BITCOUNT", "f", "100", "200"], ["SET", "e", ""], ["BITCOUNT", "e", "0", "-1"],
        ["SET", "p", "\u00ff\u00f0\u0000"], ["BITPOS", "p", "0"], ["BITPOS", "p", "1"],
        ["SET", "q", "\u0000\u00ff\u00f0"], ["BITPOS", "q", "1", "0"], ["BITPOS", "q", "1", "2"],
        ["BITPOS", "q", "1", "2", "-1", "BYTE"], ["BITPOS", "q", "1", "7", "15", "BIT"],
        ["BITPOS", "q", "0", "8", "15", "BIT"], ["BITPOS", "q", "0", "9", "10", "BIT"],
        ["SET", "ones", "\u00ff\u00ff"], ["BITPOS", "ones", "0"], ["BITPOS", "ones", "0", "0", "-1"],
        ["BITPOS", "ones", "0", "1"], ["BITPOS", "nokey", "0"], ["BITPOS", "nokey", "1"], ["BITPOS", "q", "2"],
        ["BITPOS", "q", "1", "0", "1", "x"], ["BITPOS", "e", "0"], ["BITPOS", "e", "1"], ["BITPOS", "q", "1", "a"],
        ["BITPOS", "l", "1"], ["SET", "k1", "foobar"], ["SET", "k2", "abcdef"], ["BITOP", "AND", "d", "k1", "k2"],
        ["GET", "d"], ["BITOP", "OR", "d", "k1", "k2", "nokey"], ["GET", "d"], ["BITOP", "XOR", "d", "k1", "k2"],
        ["GET", "d"], ["BITOP", "NOT", "d", "k1"], ["GET", "d"], ["BITOP", "NOT", "d", "k1", "k2"],
        ["BITOP", "NAND", "d", "k1"], ["BITOP", "AND", "d", "nokey"], ["EXISTS", "d"],
        ["BITOP", "AND", "d", "k1", "l"], ["SET", "short", "a"], ["BITOP", "AND", "d", "k1", "short"], ["GET", "d"],
        ["BITFIELD", "bf", "SET", "i8", "0", "100", "GET", "i8", "0"],
        ["BITFIELD", "bf", "INCRBY", "i5", "100", "1", "GET", "u4", "0"],
        ["BITFIELD", "bf", "INCRBY", "u2", "100", "1", "OVERFLOW", "SAT", "INCRBY", "i8", "#1", "300"],
        ["BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "u2", "102", "5"],
        ["BITFIELD", "bf", "OVERFLOW", "WRAP", "INCRBY", "i64", "0", "9223372036854775807", "INCRBY", "i64", "0", "9223372036854775807"],
        ["BITFIELD", "bf", "SET", "u63", "3", "-1", "GET", "u63", "3"],
        ["BITFIELD", "bf", "OVERFLOW", "SAT", "SET", "u8", "0", "-5", "SET", "i4", "0", "100", "GET", "i4", "0"],
        ["BITFIELD", "bf", "GET", "u64", "0"], ["BITFIELD", "bf", "GET", "i65", "0"],
        ["BITFIELD", "bf", "GET", "x8", "0"], ["BITFIELD", "bf", "OVERFLOW", "BAD"], ["BITFIELD", "bf", "FOO"],
        ["BITFIELD", "bf", "GET", "i8"], ["BITFIELD", "bf", "GET", "i8", "#-1"],
        ["BITFIELD", "bf", "GET", "i8", "#x"], ["BITFIELD", "bf"], ["BITFIELD_RO", "bf", "GET", "i8", "0"],
        ["BITFIELD_RO", "bf", "SET", "i8", "0", "1"], ["BITFIELD", "l", "GET", "i8", "0"],
        ["BITFIELD", "nokey", "GET", "i8", "0"], ["GET", "bf"], ["BITFIELD", "bf", "SET", "i8", "0", "abc"],
        ["BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "i64", "0", "-9223372036854775808", "INCRBY", "i64", "0", "-1"],
        ["BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "u63", "0", "9223372036854775807"],
        ["BITFIELD", "bf", "OVERFLOW", "WRAP", "INCRBY", "i3", "0", "3", "INCRBY", "i3", "0", "-9", "INCRBY", "u3", "0", "-20"],
        ["GET", "bf"], ["BITFIELD", "big", "SET", "u8", "#536870911", "1"], ["STRLEN", "big"],
        ["BITFIELD", "big2", "SET", "u8", "#536870912", "1"], ["SUBSTR", "f", "1", "3"], ["SUBSTR", "f"],
        ["SUBSTR", "l", "0", "1"],
    ],
    "zset_algebra": [
        ["ZADD", "a", "1", "x", "2", "y", "3", "z"], ["ZADD", "b", "10", "y", "3", "w", "0.1", "x"],
        ["SADD", "s", "x", "w", "q"], ["ZUNIONSTORE", "d", "2", "a", "b"], ["ZRANGE", "d", "0", "-1", "WITHSCORES"],
        ["ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2", "AGGREGATE", "MAX"],
        ["ZRANGE", "d", "0", "-1", "WITHSCORES"], ["ZINTERSTORE", "d", "3", "a", "b", "s"],
        ["ZRANGE", "d", "0", "-1", "WITHSCORES"], ["ZINTERSTORE", "d", "2", "a", "b", "AGGREGATE", "MIN"],
        ["ZRANGE", "d", "0", "-1", "WITHSCORES"], ["ZUNION", "3", "a", "b", "s", "WITHSCORES"],
        ["ZUNION", "2", "a", "s", "WEIGHTS", "0.1", "0.2", "WITHSCORES"], ["ZINTER", "2", "a", "b", "WITHSCORES"],
        ["ZINTER", "2", "a", "b"], ["ZDIFF", "2", "a", "b", "WITHSCORES"], ["ZDIFF", "1", "a"],
        ["ZDIFFSTORE", "dd", "2", "a", "s"], ["ZRANGE", "dd", "0", "-1", "WITHSCORES"],
        ["ZDIFFSTORE", "dd", "2", "a", "a"], ["EXISTS", "dd"], ["ZINTERCARD", "2", "a", "b"],
        ["ZINTERCARD", "2", "a", "b", "LIMIT", "1"], ["ZINTERCARD", "2", "a", "b", "LIMIT", "-1"],
        ["ZINTERCARD", "2", "a", "b", "LIMIT", "x"], ["ZINTERCARD", "0", "a"], ["ZUNIONSTORE", "d", "0", "a"],
        ["ZUNION", "0", "a"], ["ZUNION", "3", "a", "b"], ["ZUNION", "-1", "a"], ["ZUNION", "x", "a"],
        ["ZUNION", "2", "a", "b", "WEIGHTS", "1"], ["ZUNION", "2", "a", "b", "WEIGHTS", "1", "x"],
        ["ZUNION", "2", "a", "b", "AGGREGATE", "AVG"], ["ZUNION", "2", "a", "b", "AGGREGATE"],
        ["ZUNIONSTORE", "d", "2", "a", "b", "WITHSCORES"], ["ZDIFF", "2", "a", "b", "WEIGHTS", "1", "2"],
        ["ZINTERCARD", "2", "a", "b", "WITHSCORES"], ["SET", "str", "v"], ["ZUNION", "2", "a", "str"],
        ["ZUNION", "2", "str", "a", "BADOPT"], ["ZINTERSTORE", "str", "1", "a"], ["TYPE", "str"],
        ["ZINTER", "2", "a", "nokey"], ["ZUNION", "2", "nokey", "nokey2"], ["ZADD", "inf", "inf", "p", "-inf", "n"],
        ["ZADD", "inf2", "-inf", "p", "inf", "n", "0", "zz"], ["ZUNION", "2", "inf", "inf2", "WITHSCORES"],
        ["ZUNION", "2", "inf", "inf2", "WEIGHTS", "0", "1", "WITHSCORES"],
        ["ZINTER", "2", "inf", "inf2", "AGGREGATE", "MAX", "WITHSCORES"], ["ZADD", "f1", "0.1", "m"],
        ["ZADD", "f2", "0.2", "m", "1", "o"], ["ZADD", "f3", "0.3", "m", "1", "o", "2", "p"],
        ["ZUNION", "3", "f3", "f2", "f1", "WITHSCORES"], ["ZUNION", "3", "f1", "f2", "f3", "WITHSCORES"],
        ["ZINTER", "3", "f3", "f1", "f2", "WITHSCORES"], ["ZADD", "neg", "-0", "m"],
        ["ZUNION", "1", "neg", "WITHSCORES"], ["ZUNION", "1", "neg", "WEIGHTS", "-1", "WITHSCORES"],
        ["ZUNION", "1", "a", "WEIGHTS", "1e300", "WITHSCORES"],
        ["ZUNION", "2", "a", "a", "WEIGHTS", "1e308", "1e308", "WITHSCORES"],
        ["ZINTER", "2", "a", "a", "WITHSCORES"], ["ZUNION", "1", "s", "WITHSCORES"],
        ["ZRANGESTORE", "rs", "a", "0", "1"], ["ZRANGE", "rs", "0", "-1", "WITHSCORES"], ["SINTERCARD", "1", "s"],
        ["ZUNION", "2", "a", "b", "WITHSCORES"], ["ZINTER", "1", "a", "WITHSCORES"],
        ["ZDIFF", "1", "a", "WITHSCORES"], ["ZUNION", "1", "a"],
        # -0: a small (listpack) sorted set stores it as 0, a large one keeps it - also in results
        ["ZADD", "big", *[x for i in range(200) for x in (str(i), "m%03d" % i)]], ["ZADD", "big", "-0", "a-neg"],
        ["ZRANGESTORE", "rs", "big", "0", "-1"], ["ZSCORE", "rs", "a-neg"], ["ZRANGESTORE", "rs2", "big", "(-1", "1", "BYSCORE"],
        ["ZRANGE", "rs2", "0", "-1", "WITHSCORES"], ["ZUNIONSTORE", "u", "1", "big"], ["ZSCORE", "u", "a-neg"],
        ["ZINTERSTORE", "u2", "2", "big", "big", "WEIGHTS", "1", "0"], ["ZSCORE", "u2", "a-neg"],
        ["COPY", "big", "big2"], ["ZSCORE", "big2", "a-neg"], ["ZADD", "tiny", "-0", "x"], ["ZSCORE", "tiny", "x"],
        ["ZINCRBY", "tiny", "-0", "x"], ["ZUNION", "1", "tiny", "WEIGHTS", "-1", "WITHSCORES"],
    ],
    "geo": [
        ["GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"],
        ["GEOADD", "Sicily", "NX", "CH", "13.361389", "38.115556", "Palermo", "15.1", "37.5", "Other"],
        ["GEOADD", "Sicily", "XX", "CH", "13.4", "38.1", "Palermo"],
        ["GEOADD", "Sicily", "NX", "XX", "1", "1", "a"], ["GEOADD", "Sicily", "200", "10", "bad"],
        ["GEOADD", "Sicily", "10", "86", "bad"], ["GEOADD", "Sicily", "x", "10", "bad"],
        ["GEOADD", "Sicily", "10", "10"], ["GEOADD", "Sicily", "GT", "10", "10", "m"],
        ["ZRANGE", "Sicily", "0", "-1", "WITHSCORES"], ["GEOPOS", "Sicily", "Palermo", "Catania", "NonExisting"],
        ["GEOPOS", "nokey", "a"], ["GEODIST", "Sicily", "Palermo", "Catania"],
        ["GEODIST", "Sicily", "Palermo", "Catania", "km"], ["GEODIST", "Sicily", "Palermo", "Catania", "mi"],
        ["GEODIST", "Sicily", "Palermo", "Catania", "ft"], ["GEODIST", "Sicily", "Palermo", "Catania", "yd"],
        ["GEODIST", "Sicily", "Palermo", "Foo"], ["GEODIST", "nokey", "a", "b"],
        ["GEODIST", "Sicily", "a", "b", "km", "x"], ["GEOHASH", "Sicily", "Palermo", "Catania", "nope"],
        ["GEOHASH", "nokey", "a"],
        ["GEOADD", "Sicily", "12.758489", "38.788135", "edge1", "17.241510", "38.788135", "edge2"],
        ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC"],
        ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"],
        ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "ASC", "WITHCOORD", "WITHDIST", "WITHHASH"],
        ["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "100", "km", "DESC", "WITHDIST"],
        ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "500", "km", "COUNT", "2"],
        ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "500", "km", "COUNT", "2", "ANY"],
        ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "500", "km", "ANY"],
        ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "500", "km", "COUNT", "0"],
        ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "-1", "km"],
        ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "x", "km"],
        ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "x", "1", "km"],
        ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "1", "-1", "km"],
        ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "parsec"],
        ["GEOSEARCH", "Sicily", "FROMMEMBER", "nope", "BYRADIUS", "1", "km"],
        ["GEOSEARCH", "Sicily", "BYRADIUS", "1", "km"], ["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "WITHDIST"],
        ["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km"],
        ["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "BYBOX", "1", "1", "km"],
        ["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "STOREDIST"],
        ["GEOSEARCH", "nokey", "FROMMEMBER", "x", "BYRADIUS", "1", "km"],
        ["GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "foo"],
        ["GEOSEARCH", "Sicily", "FROMLONLAT", "181", "2", "BYRADIUS", "1", "km"],
        ["GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"],
        ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
        ["GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STOREDIST", "ASC", "COUNT", "1"],
        ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
        ["GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "WITHDIST"],
        ["GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"], ["EXISTS", "dst"],
        ["GEOSEARCHSTORE", "dst", "nokey", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"], ["SET", "str", "x"],
        ["GEOADD", "str", "1", "1", "a"], ["GEOPOS", "str", "a"],
        ["GEOSEARCH", "str", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km"], ["GEODIST", "str", "a", "b"],
        ["GEOHASH", "str", "a"],
        ["GEOADD", "poles", "0", "85.05112878", "n", "0", "-85.05112878", "s", "180", "0", "e", "-180", "0", "w", "0", "0", "z"],
        ["GEOPOS", "poles", "n", "s", "e", "w", "z"], ["GEOHASH", "poles", "n", "s", "e", "w", "z"],
        ["GEOSEARCH", "poles", "FROMLONLAT", "179", "0", "BYRADIUS", "500", "km", "ASC", "WITHDIST"],
        ["GEOSEARCH", "poles", "FROMLONLAT", "0", "0", "BYRADIUS", "20000", "km", "WITHDIST"],
        ["GEOSEARCH", "poles", "FROMLONLAT", "0", "80", "BYBOX", "5000", "3000", "km", "WITHDIST"],
        ["GEOSEARCH", "poles", "FROMLONLAT", "0", "-80", "BYBOX", "5000", "3000", "km"],
        ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "0", "km"],
        ["GEOSEARCH", "poles", "FROMLONLAT", "0", "0", "BYRADIUS", "0", "m", "WITHDIST"],
        ["GEOADD", "Sicily", "CH", "CH", "CH"],
        # scores no GEOADD wrote (negative, huge, fractional) decode as redis-server decodes them
        ["ZADD", "odd", "-1", "neg", "1e300", "huge", "-1e300", "nhuge", "4503599627370496", "two52", "3.5", "frac"],
        ["GEOPOS", "odd", "neg", "huge", "nhuge", "two52", "frac"], ["GEOHASH", "odd", "neg", "huge", "nhuge", "frac"],
        ["GEODIST", "odd", "neg", "huge"], ["GEOSEARCH", "odd", "FROMMEMBER", "neg", "BYRADIUS", "100", "km", "WITHDIST"],
    ],
    "streams": [
        ["XADD", "s", "1-1", "f", "v"], ["XADD", "s", "1-1", "f", "v"], ["XADD", "s", "1-0", "f", "v"],
        ["XADD", "s", "0-0", "f", "v"], ["XADD", "s", "1-*", "a", "b", "c", "d"], ["XADD", "s", "5", "x", "y"],
        ["XADD", "s", "4-*", "x", "y"], ["XADD", "s", "abc", "f", "v"], ["XADD", "s", "1-2-3", "f", "v"],
        ["XADD", "s", "-", "f", "v"], ["XADD", "s", "6-0", "f"], ["XADD", "s", "6-0"], ["XADD", "s", "*", "odd"],
        ["XADD", "gen", "*", "f", "v"], ["XLEN", "gen"], ["XADD", "none", "NOMKSTREAM", "*", "f", "v"],
        ["EXISTS", "none"], ["XLEN", "s"], ["XLEN", "nokey"], ["TYPE", "s"],
        ["XRANGE", "s", "-", "+"], ["XRANGE", "s", "1", "1"], ["XRANGE", "s", "(1-1", "+"],
        ["XRANGE", "s", "-", "(5-0"], ["XRANGE", "s", "-", "+", "COUNT", "2"], ["XRANGE", "s", "-", "+", "COUNT", "0"],
        ["XRANGE", "s", "-", "+", "COUNT", "-1"], ["XRANGE", "s", "-", "+", "COUNT"], ["XRANGE", "s", "-", "+", "FOO", "1"],
        ["XRANGE", "s", "x", "+"], ["XRANGE", "s", "(-", "+"], ["XRANGE", "s", "-", "(+"],
        ["XRANGE", "s", "(18446744073709551615-18446744073709551615", "+"], ["XRANGE", "s", "-", "(0-0"],
        ["XRANGE", "s", "5", "1"], ["XRANGE", "nokey", "-", "+"], ["XREVRANGE", "s", "+", "-"],
        ["XREVRANGE", "s", "+", "-", "COUNT", "1"], ["XREVRANGE", "s", "(5-0", "(1-1"],
        ["XDEL", "s", "1-2"], ["XDEL", "s", "1-2", "9-9"], ["XDEL", "s", "bad"], ["XDEL", "nokey", "bad"],
        ["XRANGE", "s", "-", "+"], ["XSETID", "s", "1-0"], ["XSETID", "s", "99-0"], ["XADD", "s", "50-0", "f", "v"],
        ["XSETID", "s", "100-0", "ENTRIESADDED", "1"], ["XSETID", "s", "100-0", "ENTRIESADDED", "-1"],
        ["XSETID", "s", "100-0", "MAXDELETEDID", "200-0"], ["XSETID", "s", "100-0", "ENTRIESADDED", "10", "MAXDELETEDID", "3-0"],
        ["XSETID", "nokey", "1-0"], ["XSETID", "s", "100-0", "BOGUS"], ["XSETID", "s", "x"],
        ["XINFO", "STREAM", "s"], ["XINFO", "STREAM", "nokey"], ["XINFO", "STREAM", "s", "FULL"],
        ["XINFO", "STREAM", "s", "FULL", "COUNT", "1"], ["XINFO", "STREAM", "s", "BAD"], ["XINFO", "NOPE", "s"],
        ["SET", "str", "x"], ["XADD", "str", "*", "f", "v"], ["XRANGE", "str", "-", "+"], ["XLEN", "str"],
        ["XDEL", "str", "1-1"], ["XINFO", "STREAM", "str"], ["XTRIM", "str", "MAXLEN", "1"],
        ["XREAD", "STREAMS", "str", "0"], ["XGROUP", "CREATE", "str", "g", "$"],
        ["RPUSH", "list", "a"], ["XADD", "list", "1-1", "f", "v"],
    ],
    "stream_trim": [
        *[["XADD", "t", f"{i}-0", "field", f"value{i}"] for i in range(1, 251)],
        ["XTRIM", "t", "MAXLEN", "~", "120"], ["XLEN", "t"], ["XTRIM", "t", "MAXLEN", "=", "120"], ["XLEN", "t"],
        ["XRANGE", "t", "-", "+", "COUNT", "1"], ["XTRIM", "t", "MINID", "~", "200"], ["XLEN", "t"],
        ["XTRIM", "t", "MINID", "200"], ["XRANGE", "t", "-", "+", "COUNT", "1"], ["XTRIM", "t", "MAXLEN", "-1"],
        ["XTRIM", "t", "MAXLEN", "1", "LIMIT", "10"], ["XTRIM", "t", "MAXLEN", "~", "1", "LIMIT", "10"],
        ["XTRIM", "t", "MAXLEN", "~", "1", "LIMIT", "-1"], ["XTRIM", "t", "LIMIT", "10"],
        ["XTRIM", "t", "MAXLEN", "1", "MINID", "1"], ["XTRIM", "t", "FOO"], ["XTRIM", "nokey", "MAXLEN", "0"],
        ["XTRIM", "t", "MINID", "bad"], ["XTRIM", "t", "MAXLEN", "x"],
        ["XADD", "t", "MAXLEN", "2", "300-0", "f", "v"], ["XLEN", "t"], ["XRANGE", "t", "-", "+"],
        ["XADD", "t", "MINID", "=", "300", "301-0", "f", "v"], ["XRANGE", "t", "-", "+"],
        ["XADD", "t", "MAXLEN", "~", "0", "LIMIT", "5", "302-0", "f", "v"], ["XLEN", "t"],
        ["XADD", "t", "MAXLEN", "0", "LIMIT", "5", "303-0", "f", "v"], ["XADD", "t", "LIMIT", "5", "303-0", "f", "v"],
        ["XADD", "t", "MAXLEN", "0", "303-0", "f", "v"], ["XLEN", "t"], ["EXISTS", "t"], ["XINFO", "STREAM", "t"],
        ["XADD", "t", "303-0", "f", "v"], ["XADD", "t", "304-0", "f", "v"],
        ["XADD", "m", "MINID", "5", "1-0", "f", "v"], ["XLEN", "m"],
    ],
    "stream_groups": [
        ["XGROUP", "CREATE", "s", "g", "$"], ["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"],
        ["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"], ["XADD", "s", "1-0", "a", "1"], ["XADD", "s", "2-0", "b", "2"],
        ["XADD", "s", "3-0", "c", "3"], ["XGROUP", "CREATE", "s", "early", "0", "ENTRIESREAD", "0"],
        ["XGROUP", "CREATE", "s", "bad", "0", "ENTRIESREAD", "-5"], ["XGROUP", "CREATE", "s", "bad", "x"],
        ["XGROUP", "CREATE", "s", "bad", "0", "FOO"], ["XINFO", "GROUPS", "s"],
        ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"],
        ["XGROUP", "SETID", "s", "g", "0"], ["XINFO", "GROUPS", "s"],
        ["XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">"],
        ["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"], ["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"],
        ["XINFO", "GROUPS", "s"], ["XINFO", "CONSUMERS", "s", "g"], ["XPENDING", "s", "g"],
        ["XPENDING", "s", "g", "-", "+", "10"], ["XPENDING", "s", "g", "-", "+", "10", "alice"],
        ["XPENDING", "s", "g", "-", "+", "10", "nobody"], ["XPENDING", "s", "g", "IDLE", "0", "-", "+", "1"],
        ["XPENDING", "s", "g", "(1-0", "+", "10"], ["XPENDING", "s", "g", "-", "+"], ["XPENDING", "s", "g", "IDLE", "x", "-", "+", "1"],
        ["XPENDING", "s", "nogroup"], ["XPENDING", "nokey", "g"],
        ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"], ["XPENDING", "s", "g", "-", "+", "10"],
        ["XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", "1-0"],
        ["XACK", "s", "g", "1-0", "9-0"], ["XACK", "s", "g", "1-0"], ["XACK", "s", "g", "bad"], ["XACK", "s", "nogroup", "1-0"],
        ["XACK", "nokey", "g", "1-0"], ["XPENDING", "s", "g"],
        ["XCLAIM", "s", "g", "carol", "0", "2-0"], ["XCLAIM", "s", "g", "carol", "0", "2-0", "JUSTID"],
        ["XCLAIM", "s", "g", "carol", "3600000", "2-0"], ["XCLAIM", "s", "g", "carol", "0", "9-0", "FORCE"],
        ["XCLAIM", "s", "g", "carol", "0", "3-0", "RETRYCOUNT", "7", "IDLE", "5000"],
        ["XCLAIM", "s", "g", "carol", "0", "3-0", "BOGUS"], ["XCLAIM", "s", "g", "carol", "x", "3-0"],
        ["XCLAIM", "s", "g", "carol", "0", "3-0", "TIME", "x"], ["XCLAIM", "s", "nogroup", "c", "0", "3-0"],
        ["XPENDING", "s", "g", "-", "+", "10"], ["XINFO", "CONSUMERS", "s", "g"],
        ["XGROUP", "CREATE", "s", "other", "0"], ["XCLAIM", "s", "other", "dan", "0", "1-0", "FORCE", "JUSTID"],
        ["XCLAIM", "s", "other", "dan", "0", "2-0", "FORCE"], ["XPENDING", "s", "other", "-", "+", "10"],
        ["XDEL", "s", "2-0"], ["XAUTOCLAIM", "s", "g", "erin", "0", "0"], ["XPENDING", "s", "g", "-", "+", "10"],
        ["XAUTOCLAIM", "s", "g", "erin", "0", "0", "COUNT", "1", "JUSTID"], ["XAUTOCLAIM", "s", "g", "erin", "0", "0", "COUNT", "0"],
        ["XAUTOCLAIM", "s", "g", "erin", "x", "0"], ["XAUTOCLAIM", "s", "nogroup", "erin", "0", "0"],
        ["XAUTOCLAIM", "s", "g", "erin", "0", "(0-0", "FOO"], ["XREADGROUP", "GROUP", "other", "dan", "STREAMS", "s", "0"],
        ["XINFO", "GROUPS", "s"], ["XINFO", "STREAM", "s"], ["XINFO", "STREAM", "s", "FULL"],
        ["XGROUP", "CREATECONSUMER", "s", "g", "frank"], ["XGROUP", "CREATECONSUMER", "s", "g", "frank"],
        ["XGROUP", "DELCONSUMER", "s", "g", "erin"], ["XGROUP", "DELCONSUMER", "s", "g", "nobody"],
        ["XGROUP", "CREATECONSUMER", "s", "nogroup", "x"], ["XINFO", "CONSUMERS", "s", "g"], ["XINFO", "CONSUMERS", "s", "zz"],
        ["XGROUP", "DESTROY", "s", "early"], ["XGROUP", "DESTROY", "s", "early"], ["XGROUP", "SETID", "s", "nogroup", "0"],
        ["XGROUP", "SETID", "s", "g", "$", "ENTRIESREAD", "3"], ["XINFO", "GROUPS", "s"], ["XGROUP", "FOO", "s", "g"],
        ["XGROUP", "CREATE", "s"], ["XGROUP", "DESTROY", "s", "g", "x"], ["XGROUP", "CREATE", "nokey", "g", "$"],
        ["XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", "$"], ["XREADGROUP", "GROUP", "zz", "a", "STREAMS", "s", ">"],
        ["XREADGROUP", "GROUP", "g", "a", "STREAMS", "nokey", ">"], ["XREADGROUP", "STREAMS", "s", ">"],
        ["XREADGROUP", "GROUP", "g", "a", "STREAMS", "s"], ["XREADGROUP", "GROUP", "g", "a", "NOACK", "STREAMS", "s", ">"],
        ["XADD", "s", "4-0", "d", "4"], ["XREADGROUP", "GROUP", "g", "a", "NOACK", "STREAMS", "s", ">"],
        ["XPENDING", "s", "g"], ["XINFO", "GROUPS", "s"], ["XDEL", "s", "3-0"], ["XINFO", "GROUPS", "s"],
        ["XGROUP", "HELP"], ["XINFO", "HELP"],
        # Group state is not the key's value for WATCH (Redis 7.0): only entries abort a transaction.
        ["WATCH", "s"], ["XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", "0"], ["XACK", "s", "g", "4-0"],
        ["XGROUP", "CREATECONSUMER", "s", "g", "w"], ["XGROUP", "DESTROY", "s", "other"], ["MULTI"], ["PING"],
        ["EXEC"], ["WATCH", "s"], ["XADD", "s", "9-0", "f", "v"], ["MULTI"], ["PING"], ["EXEC"],
    ],
    "stream_reads": [
        ["XADD", "a", "1-0", "f", "1"], ["XADD", "a", "2-0", "f", "2"], ["XADD", "b", "5-0", "g", "5"],
        ["XREAD", "STREAMS", "a", "b", "0", "0"], ["XREAD", "COUNT", "1", "STREAMS", "a", "b", "1-0", "0"],
        ["XREAD", "STREAMS", "a", "$"], ["XREAD", "STREAMS", "a", "2-0"], ["XREAD", "STREAMS", "nokey", "0"],
        ["XREAD", "STREAMS", "a"], ["XREAD", "STREAMS", "a", "b", "0"], ["XREAD", "STREAMS", "a", ">"],
        ["XREAD", "STREAMS", "a", "bad"], ["XREAD", "COUNT", "x", "STREAMS", "a", "0"], ["XREAD", "FOO", "STREAMS", "a", "0"],
        ["XREAD", "GROUP", "g", "c", "STREAMS", "a", "0"], ["XREAD", "NOACK", "STREAMS", "a", "0"],
        ["XREAD", "BLOCK", "-1", "STREAMS", "a", "$"], ["XREAD", "BLOCK", "x", "STREAMS", "a", "$"],
        ["XREAD", "BLOCK", "10", "STREAMS", "a", "$"], ["XREAD", "BLOCK", "10", "STREAMS", "a", "0"],
        ["MULTI"], ["XREAD", "BLOCK", "0", "STREAMS", "a", "$"], ["EXEC"],
        ["LMPOP", "2", "l1", "l2", "LEFT"], ["RPUSH", "l2", "a", "b", "c"], ["LMPOP", "2", "l1", "l2", "LEFT"],
        ["LMPOP", "2", "l1", "l2", "RIGHT", "COUNT", "5"], ["EXISTS", "l2"], ["LMPOP", "0", "l1", "LEFT"],
        ["LMPOP", "5", "l1", "LEFT"], ["LMPOP", "1", "l1", "MIDDLE"], ["LMPOP", "1", "l1", "LEFT", "COUNT", "0"],
        ["LMPOP", "1", "l1", "LEFT", "COUNT", "1", "COUNT", "1"], ["LMPOP", "x", "l1", "LEFT"],
        ["ZADD", "z", "1", "a", "2", "b", "3", "c"], ["ZMPOP", "2", "nz", "z", "MIN"], ["ZMPOP", "1", "z", "MAX", "COUNT", "10"],
        ["ZMPOP", "1", "z", "MIN"], ["ZMPOP", "1", "z", "BAD"], ["ZADD", "z", "1.5", "a", "2", "b"],
        ["BZPOPMIN", "nz", "z", "0"], ["BZPOPMAX", "z", "0"], ["BZPOPMIN", "z", "0.01"], ["BZPOPMIN", "z", "-1"],
        ["BZPOPMIN", "z", "x"], ["ZADD", "z", "1", "a", "2", "b", "3", "c"], ["BZMPOP", "0", "1", "z", "MAX", "COUNT", "2"],
        ["BZMPOP", "0.01", "1", "nz", "MIN"], ["BZMPOP", "x", "1", "z", "MIN"], ["BLMPOP", "0.01", "1", "nl", "LEFT"],
        ["RPUSH", "l3", "x", "y"], ["BLMPOP", "0", "1", "l3", "RIGHT", "COUNT", "3"], ["SET", "str", "v"],
        ["BZPOPMIN", "str", "0"], ["BLMPOP", "0", "1", "str", "LEFT"], ["ZMPOP", "1", "str", "MIN"], ["LMPOP", "1", "str", "LEFT"],
        ["MULTI"], ["BZPOPMIN", "nz", "0"], ["BLMPOP", "0", "1", "nl", "LEFT"], ["EXEC"],
    ],
    "connection": [
        ["PING"], ["PING", "hello"], ["PING", "a", "b"], ["ECHO", "hi"], ["ECHO"], ["NOSUCH", "x", "y"],
        ["CLIENT", "SETNAME", "tester"], ["CLIENT", "GETNAME"], ["CLIENT", "SETNAME", "bad name"],
        ["CLIENT", "NOSUCH"], ["CONFIG", "GET", "maxmemory"], ["CONFIG", "GET", "appendonly"],
        ["CONFIG", "SET", "nosuch", "x"], ["CONFIG"], ["AUTH", "x"], ["HELLO", "4"], ["HELLO", "x"],
        ["DBSIZE"], ["TIME", "x"], ["COMMAND", "COUNT", "x"], ["PUBLISH", "ch", "nobody"],
        ["PUBSUB", "NUMSUB", "ch"], ["PUBSUB", "NUMPAT"], ["PUBSUB", "CHANNELS"], ["CLIENT|ID", "x"],
        ["CONFIG|GET", "maxmemory"],
        ["CONFIG", "GET", "client-output-buffer-limit"],
        ["CONFIG", "SET", "client-output-buffer-limit", "replica 1mb 512kb 5"],
        ["CONFIG", "GET", "client-output-buffer-limit"],
        ["CONFIG", "SET", "client-output-buffer-limit", "bogus 1 1 1"],
        ["CONFIG", "SET", "client-output-buffer-limit", "normal 1 1"],
        ["CONFIG", "SET", "client-output-buffer-limit", "normal 1 x 1"],
        ["CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0 slave 256mb 64mb 60 pubsub 32mb 8mb 60"],
        ["CONFIG", "GET", "client-output-buffer-limit"],
    ],
}

RESP3_GEO = [["GEOPOS", "Sicily", "Palermo", "nope"],
             ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC", "WITHCOORD", "WITHDIST", "WITHHASH"],
             ["GEODIST", "Sicily", "Palermo", "Catania"]]


class Differential(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.real = RealRedis()
        cls.mini = Server("MINIREDIS_BIN", "--save", "")

    @classmethod
    def tearDownClass(cls):
        cls.mini.close()
        cls.real.close()

    def run_script(self, name, script, protocol=2, exact_errors=False):
        mini, real = RespClient(self.mini.port), RespClient(self.real.port)
        try:
            for c in (mini, real):
                c.call("FLUSHALL")
                if protocol == 3:
                    c.call("HELLO", "3")
            for command in script:
                got, want = mini.call(*command), real.call(*command)
                self.assertEqual(normalize(command, got, exact_errors), normalize(command, want, exact_errors),
                                 f"{name}: {' '.join(command)}\n  miniredis: {got!r}\n  redis:     {want!r}")
        finally:
            mini.close()
            real.close()

    def test_strings(self):
        self.run_script("strings", SCRIPTS["strings"])

    def test_keys(self):
        self.run_script("keys", SCRIPTS["keys"])

    def test_hashes(self):
        self.run_script("hashes", SCRIPTS["hashes"])

    def test_lists(self):
        self.run_script("lists", SCRIPTS["lists"])

    def test_sets(self):
        self.run_script("sets", SCRIPTS["sets"])

    def test_sorted_sets(self):
        self.run_script("zsets", SCRIPTS["zsets"])

    def test_transactions(self):
        self.run_script("transactions", SCRIPTS["transactions"])

    def test_wrong_types(self):
        self.run_script("wrongtype", SCRIPTS["wrongtype"])

    def test_number_formats_and_limits(self):
        self.run_script("numbers", SCRIPTS["numbers"])

    def test_streams(self):
        self.run_script("streams", SCRIPTS["streams"])

    def test_stream_trimming(self):
        self.run_script("stream_trim", SCRIPTS["stream_trim"])

    def test_stream_consumer_groups(self):
        self.run_script("stream_groups", SCRIPTS["stream_groups"])

    def test_stream_reads_and_multi_pops(self):
        self.run_script("stream_reads", SCRIPTS["stream_reads"])

    def test_stream_resp3(self):
        self.run_script("stream_resp3", SCRIPTS["streams"][:30] + SCRIPTS["stream_groups"] +
                        SCRIPTS["stream_reads"], protocol=3)

    def test_connection_and_server(self):
        self.run_script("connection", SCRIPTS["connection"])

    # The families added for issue 20 compare error texts in full, not just their first word.
    def test_hyperloglog(self):
        self.run_script("hyperloglog", SCRIPTS["hyperloglog"], exact_errors=True)

    def test_bitmaps(self):
        self.run_script("bitmaps", SCRIPTS["bitmaps"], exact_errors=True)

    def test_zset_algebra(self):
        self.run_script("zset_algebra", SCRIPTS["zset_algebra"], exact_errors=True)
        self.run_script("zset_algebra_resp3", SCRIPTS["zset_algebra"], protocol=3, exact_errors=True)

    def test_geo(self):
        self.run_script("geo", SCRIPTS["geo"], exact_errors=True)
        # Many points, searches of every shape and option (seeded): same members, same order,
        # same distances and hashes - also without ASC/DESC, where the order is the scan order.
        rng = random.Random(5)
        points = []
        for i in range(300):
            points += ["%.6f" % rng.uniform(-20, 20), "%.6f" % rng.uniform(30, 60), "p%d" % i]
        script = [["GEOADD", "many"] + points]
        for _ in range(40):
            lon, lat = "%.4f" % rng.uniform(-25, 25), "%.4f" % rng.uniform(25, 65)
            if rng.random() < 0.5:
                shape = ["BYRADIUS", str(rng.choice([1, 50, 300, 1000, 3000])), rng.choice(["km", "mi"])]
            else:
                shape = ["BYBOX", str(rng.choice([10, 400, 2000])), str(rng.choice([10, 400, 2000])), "km"]
            script.append(["GEOSEARCH", "many", "FROMLONLAT", lon, lat] + shape + ["WITHDIST", "WITHHASH"])
            script.append(["GEOSEARCH", "many", "FROMMEMBER", "p%d" % rng.randrange(300)] + shape +
                          rng.choice([["ASC"], ["DESC", "COUNT", "7"], ["COUNT", "3", "ANY"], []]))
        self.run_script("geo_many", script)
        self.run_script("geo_resp3", SCRIPTS["geo"][:3] + RESP3_GEO, protocol=3)

    def test_command_info_of_new_commands(self):
        """Arity, flags and key positions (the first six fields) as redis-server reports them."""
        names = ["pfadd", "pfcount", "pfmerge", "setbit", "getbit", "bitcount", "bitpos", "bitop", "bitfield",
                 "bitfield_ro", "substr", "zunionstore", "zinterstore", "zdiffstore", "zunion", "zinter", "zdiff",
                 "zintercard", "sintercard", "zrangestore", "zrandmember", "geoadd", "geopos", "geodist", "geohash",
                 "geosearch", "geosearchstore"]
        mini, real = RespClient(self.mini.port), RespClient(self.real.port)
        try:
            for name in names:
                got, want = mini.call("COMMAND", "INFO", name)[0], real.call("COMMAND", "INFO", name)[0]
                self.assertEqual(got[:6], want[:6], name)
        finally:
            mini.close()
            real.close()

    def test_command_info_flags_are_redis_flags(self):
        """Every flag COMMAND INFO reports is one redis-server reports for that command too: our own
        internal flags (such as "runs at once inside MULTI") must not leak out under a Redis name."""
        mini, real = RespClient(self.mini.port), RespClient(self.real.port)
        try:
            for name in ["exec", "discard", "multi", "watch", "unwatch", "quit", "reset", "get", "set", "blpop"]:
                got, want = mini.call("COMMAND", "INFO", name)[0], real.call("COMMAND", "INFO", name)[0]
                self.assertLessEqual(set(got[2]), set(want[2]), name)
        finally:
            mini.close()
            real.close()

    def test_resp3_replies(self):
        script = SCRIPTS["hashes"][:12] + SCRIPTS["zsets"][:30] + SCRIPTS["sets"][:12] + [
            ["GET", "nope"], ["HGETALL", "h"], ["ZSCORE", "z", "a"], ["CONFIG", "GET", "maxmemory"],
            ["LPOP", "nolist", "2"], ["ZPOPMIN", "z", "1"], ["ZRANDMEMBER", "z", "2", "WITHSCORES"],
            ["PUBSUB", "NUMSUB", "a", "b"]]
        self.run_script("resp3", script, protocol=3)

    def test_blocked_reads_and_pops(self):
        """Clients blocked in XREAD, XREADGROUP, BLMPOP, BZPOPMAX are served by another client's
        write, oldest waiter first; a destroyed group wakes its readers with NOGROUP, a deleted key
        with UNBLOCKED."""
        results = []
        for port in (self.mini.port, self.real.port):
            a, b, c = RespClient(port), RespClient(port), RespClient(port)
            try:
                got = [c.call("FLUSHALL")]
                a.send("XREAD", "BLOCK", "0", "STREAMS", "s", "$")
                b.send("XREAD", "COUNT", "1", "BLOCK", "0", "STREAMS", "other", "s", "0", "$")
                time.sleep(0.1)
                got += [c.call("XADD", "s", "1-0", "f", "v"), a.read(), b.read()]
                got.append(c.call("XGROUP", "CREATE", "s", "g", "$"))
                a.send("XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">")
                b.send("XREADGROUP", "GROUP", "g", "bob", "BLOCK", "0", "STREAMS", "s", ">")
                time.sleep(0.1)
                got += [c.call("XADD", "s", "2-0", "f", "w"), a.read(), c.call("XPENDING", "s", "g")]
                got += [c.call("XGROUP", "DESTROY", "s", "g"), b.read()]
                a.send("BLMPOP", "0", "2", "l1", "l2", "RIGHT", "COUNT", "2")
                b.send("BLMPOP", "0", "1", "l2", "LEFT")
                time.sleep(0.1)
                got += [c.call("RPUSH", "l2", "x", "y", "z"), a.read(), b.read()]
                a.send("BZPOPMAX", "z1", "z2", "0")
                b.send("BZMPOP", "0", "1", "z2", "MIN", "COUNT", "5")
                time.sleep(0.1)
                got += [c.call("ZADD", "z2", "1", "m1", "2", "m2", "3", "m3"), a.read(), b.read()]
                got += [a.call("XREAD", "BLOCK", "50", "STREAMS", "s", "$"), a.call("BZPOPMIN", "z2", "0.05")]
                # Deleting the key ends a group reader's wait; a plain reader waits for the key to return.
                got.append(c.call("XGROUP", "CREATE", "s2", "g", "$", "MKSTREAM"))
                a.send("XREADGROUP", "GROUP", "g", "x", "BLOCK", "0", "STREAMS", "s2", ">")
                b.send("XREAD", "BLOCK", "0", "STREAMS", "s2", "$")
                time.sleep(0.1)
                got += [c.call("DEL", "s2"), a.read(), c.call("XADD", "s2", "5-0", "f", "v"), b.read()]
                results.append(got)
            finally:
                for x in (a, b, c):
                    x.close()
        mini, real = results
        self.assertEqual(repr(mini), repr(real))

    def test_pubsub_messages(self):
        pairs, clients = [], []
        try:
            for port in (self.mini.port, self.real.port):
                sub, pub = RespClient(port), RespClient(port)
                clients += [sub, pub]
                pairs.append(None)
                sub.send("SUBSCRIBE", "news", "sport")
                first = [sub.read(), sub.read()]
                sub.send("PSUBSCRIBE", "n*")
                first.append(sub.read())
                got = [first, pub.call("PUBLISH", "news", "hello"), sub.read(), sub.read()]
                got.append(sub.call("PING"))
                got.append(sub.call("GET", "x"))
                sub.send("UNSUBSCRIBE")
                # Unsubscribing from all leaves channels in hash order: compare names and counts apart.
                leaving = [sub.read() for _ in range(2)]
                got.append(sorted(repr(r[:2]) for r in leaving))
                got.append(sorted(r[2] for r in leaving))
                got.append(sub.call("PUNSUBSCRIBE"))
                got.append(sub.call("PUNSUBSCRIBE"))
                pairs[-1] = got
            mini, real = pairs
            self.assertEqual(repr(mini), repr(real))
        finally:
            for c in clients:
                c.close()


if __name__ == "__main__":
    tap.main()
