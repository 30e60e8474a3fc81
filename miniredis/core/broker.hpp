// miniredis/core/broker.hpp
//
// Broker: everything the single server thread owns (Redis' global `server` struct), minus
// the sockets and timers, which stay in the wiring (server.cpp). The root object has the same
// name in all three servers (minirabbit/core/broker.hpp, minikafka/core/broker.hpp): the state
// every command or handler acts on, one per process, owned by one thread.
//
//   databases       16 keyspaces (SELECT n)
//   clients         by id; `pending_writes` lists those with replies waiting for the socket
//   watched_keys    per database: key -> clients WATCHing it (their EXEC fails if it changes)
//   blocked_keys    per database: key -> clients blocked in BLPOP, BZPOPMIN, XREAD & co, oldest first
//   pubsub          channel and pattern subscriptions
//   aof             the append-only file: write commands are buffered here during a batch and
//                   written + fsynced before the replies leave (see storage/aof.hpp)
//   dirty           changes since the last snapshot (the `save <seconds> <changes>` rules)
//
// CONCEPT: the root object - the one thing a command runs against. Redis keeps it in a global
// (`server`); we pass it (ctx.server), so a unit test can build two servers in one process and
// nothing hides a dependency. minirabbit (model/broker.hpp) and minikafka (core/broker.hpp) have
// the same root, holding vhosts or topics instead of databases. Socket-free by design: the wiring
// owns the sockets and timers and calls in (process_input, tick, before_sleep), so everything a
// request does below this line can be driven from a test without a network.
//
//   server.cpp ──▶ process_input(client) ──▶ execute ──▶ handler(ctx) ──▶ databases[ctx.db]
//              ──▶ tick()  (core/tick.cpp, hz times a second)
//              ──▶ before_sleep() (core/durability.cpp: AOF write, then replies)
//
// Its methods are spread over the files of their concept (named in the sections below): this
// header is the index.
// READ NEXT: core/client.hpp, commands/dispatch.cpp, core/durability.cpp, core/tick.cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/client.hpp"
#include "core/config.hpp"
#include "core/latency.hpp"
#include "core/lazy_free.hpp"
#include "core/rates.hpp"
#include "core/replication.hpp"
#include "core/slowlog.hpp"
#include "core/trace.hpp"
#include "model/clock.hpp"
#include "model/database.hpp"
#include "model/hashing.hpp"
#include "model/pubsub.hpp"
#include "storage/aof.hpp"
#include "storage/background_job.hpp"

namespace miniredis {

struct Stats {
    uint64_t commands_processed = 0;
    uint64_t connections_received = 0;
    uint64_t rejected_connections = 0;
    uint64_t keyspace_hits = 0;
    uint64_t keyspace_misses = 0;
    uint64_t expired_keys = 0;
    uint64_t evicted_keys = 0;
    uint64_t net_input_bytes = 0;
    uint64_t net_output_bytes = 0;
    uint64_t error_replies = 0;
    uint64_t pubsub_messages = 0;
    uint64_t rejected_calls = 0;  // refused before running (INFO stats total_..., per command in the table)
    // INFO errorstats: error replies by their first word ("ERR", "WRONGTYPE"). Touched only when
    // an error is replied, so the success path never pays for the map.
    std::map<std::string, uint64_t, std::less<>> errors_by_code;
};

// What the wiring does on the state's behalf (sockets, timers, process exit): commands/ stays
// free of Asio. server.cpp implements it; unit tests use a recording stub.
class ServerHooks {
public:
    virtual ~ServerHooks() = default;
    virtual void shutdown() = 0;  // stop accepting, flush, exit 0 (SHUTDOWN)
    // REPLICAOF: start a non-blocking connect to the master; the client that will carry the
    // link, or nullptr when it failed at once (the tick retries). master_connected() follows.
    virtual Client* connect_to_master(const std::string& /*host*/, int /*port*/) { return nullptr; }
    // A diskless full resync's snapshot pipe (core/replication_master.cpp): watch `fd` for bytes
    // (snapshot_pipe_readable() follows) while `readable`, not while false; fd -1: forget the
    // pipe, it is about to be closed.
    virtual void watch_snapshot_pipe(int /*fd*/, bool /*readable*/) {}
};

class Broker : public KeyspaceObserver {
public:
    Broker(const Clock& clock, Config config);
    ~Broker() override;

    // --- clients -------------------------------------------------------------------------
    Client& add_client(std::string peer, std::string local);
    void remove_client(Client& client);  // unsubscribe, unwatch, unblock, forget
    Client* find_client(uint64_t id);
    void want_write(Client& client);  // put it on pending_writes (once)
    // After a turn's send: true when the client's unsent replies broke its class's
    // client-output-buffer-limit (output_limits.cpp); the wiring closes it then.
    bool output_buffer_limit_reached(Client& client);

    // The session loop's core, without sockets: parse every complete command in client.in, run
    // each, append the replies to client.out. Stops early when the client blocks (BLPOP) or must
    // be closed (protocol error, QUIT).
    void process_input(Client& client);
    // Runs one command (argv[0] is its name) for `client`, replying into client.out.
    void execute(Client& client, std::span<const std::string_view> argv);
    // Whether argv names a command (with its subcommand) in the command table: AOF replay refuses
    // a file with an unknown one. process_input, execute and is_command are defined with the
    // command table in commands/dispatch.cpp - the one place the core reaches the commands, by
    // declaration only, so no core file includes commands/.
    bool is_command(std::span<const std::string_view> argv) const;

    // --- the keyspace ----------------------------------------------------------------------
    Database& db(int index) { return databases[static_cast<size_t>(index)]; }
    void key_expired(Database& db, std::string_view key) override;
    void key_modified(int db, std::string_view key);  // WATCH notices; dirty++
    void all_keys_modified(int db);                   // FLUSHDB/FLUSHALL (-1 = every database)

    // --- blocking list operations (commands/blocking.cpp) ---------------------------------
    void signal_key_ready(int db, std::string_view key);  // a list got elements
    void serve_ready_keys();                              // hand them to blocked clients
    void block_client(Client& client);                    // client.blocked is filled in
    void unblock_client(Client& client);                  // forget it (no reply)
    void expire_blocked_clients();                        // reply nil to those past their deadline
    int64_t next_block_deadline() const;                  // earliest deadline (Unix ms), 0 = none
    void run_unblocked_clients();                         // their buffered commands (before_sleep)
    bool serve_list_waiter(int db, const std::string& key, Client& client);
    bool serve_zset_waiter(int db, const std::string& key, Client& client);

    // --- periodic work (core/tick.cpp; before_sleep: core/durability.cpp) -----------------
    void tick();          // hz times per second: active expiry, snapshots, AOF rewrite, child jobs
    void before_sleep();  // once per event-loop turn, before replies go out: AOF write (+fsync)
    void active_expire_cycle();
    void active_rehash();
    void close_idle_clients();

    KeyspaceEnv env;
    const Clock& clock;
    Config config;
    Stats stats;
    std::vector<Database> databases;
    Random random{0};

    std::unordered_map<uint64_t, Client*> clients;
    uint64_t next_client_id = 1;
    std::vector<Client*> pending_writes;

    std::vector<std::unordered_map<std::string, std::vector<Client*>>> watched_keys;

    std::vector<std::unordered_map<std::string, std::deque<Client*>>> blocked_keys;
    std::vector<std::pair<int, std::string>> ready_keys;
    std::multimap<int64_t, Client*> block_deadlines;
    std::vector<Client*> unblocked_clients;

    PubSub pubsub;
    ServerHooks* hooks = nullptr;

    // --- looking inside (core/slowlog.hpp, core/latency.hpp, core/monitor.cpp) ---------------
    Slowlog slowlog;
    LatencyMonitor latency;
    std::vector<Client*> monitors;  // clients in MONITOR mode
    // Sends `argv`, as `from` ran it in database `db`, to every MONITOR client (redacted).
    void feed_monitors(const Client& from, int db, std::span<const std::string_view> argv);
    void count_error_reply(std::string_view message);  // INFO errorstats / total_error_replies
    void sample_instantaneous_metrics();               // from the tick: ops/s, net kbps, peak memory
    RateMeter ops_rate, input_rate, output_rate;
    // The monotonic time (µs) the running command's duration is measured from (dispatch.cpp).
    int64_t command_clock_us = monotonic_us();
    static int64_t monotonic_us() {
        return std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::steady_clock::now().time_since_epoch())
            .count();
    }
    size_t peak_memory = 0;

    // Eviction (eviction.cpp): the best victims sampled so far, kept across calls.
    struct EvictionCandidate {
        int db;
        std::string key;
        uint64_t score;
    };
    std::vector<EvictionCandidate> eviction_pool;
    size_t next_eviction_db = 0;

    // --- persistence (core/persistence.cpp; propagate: core/durability.cpp) --------------
    void remove_stale_temp_files();  // start-up: temp files of a killed rewrite or save
    std::string load_data();         // start-up: AOF or snapshot; "" or the reason to refuse starting
    std::string start_aof();
    bool aof_enabled() const;
    // Whether propagate() goes anywhere (the AOF or replicas): commands that must build a
    // replayable form first (XADD * -> the concrete ID) skip that work otherwise.
    bool propagating() const;
    bool start_background_save();
    bool start_aof_rewrite();
    // A BGSAVE child whose picture must never become dump.rdb (FLUSHALL, a replica loading its
    // master's data, SHUTDOWN): killed, reaped, its temp file removed. False if none ran.
    bool kill_snapshot_child();
    void kill_aof_rewrite_child();
    std::string save_in_foreground();  // SAVE: "" or the reason it failed
    void snapshot_after_flushall();    // FLUSHALL: no stale BGSAVE; the empty dataset saved if rules
    void check_background_job();
    void persistence_tick();
    void finish_on_signal();  // SIGTERM: save if save rules exist, flush the AOF
    void reconfigure_aof(const Config& old);
    std::string snapshot_path() const;
    std::string aof_path() const;
    Aof aof;
    BackgroundJob job;
    LazyFree lazy_free;  // UNLINK, FLUSHALL ASYNC: big frees off this thread
    std::string rewrite_temp_path;
    std::string snapshot_child_path;  // where the running snapshot child renames its file to
    bool rewrite_scheduled = false;
    bool last_rewrite_ok = true;
    std::string aof_write_error;
    uint64_t dirty_at_fork = 0;
    int64_t last_bgsave_try_ms = 0;

    uint64_t dirty = 0;        // changes since the last successful snapshot
    int64_t last_save_ms = 0;  // LASTSAVE
    bool last_bgsave_ok = true;
    int64_t start_ms = 0;
    bool shutting_down = false;
    // Where --trace lines go (the log; tests capture them). Called only when config.trace.
    std::function<void(std::string_view line)> trace = [](std::string_view) {};
    TraceTurn trace_turn;  // what the end-of-turn AOF write covers, for the trace (core/trace.hpp)

    // EXEC wraps the writes of a transaction in MULTI ... EXEC in the AOF.
    bool in_exec = false;
    bool exec_multi_propagated = false;

    // Propagation: writes `argv` (run in database `db`) to the AOF and to the replicas.
    void propagate(int db, std::span<const std::string_view> argv);

    // --- replication (core/replication*.cpp) ----------------------------------------------
    Replication repl;
    // master side (replication_master.cpp)
    void feed_replicas(int db, std::span<const std::string_view> argv);
    void write_replication_stream(std::string_view bytes);
    void replica_sync(Client& client, std::string_view replid, std::string_view offset, bool sync);
    void attach_replica(Client& client);
    bool diskless_transfer_due() const;  // repl-diskless-sync-delay / -max-replicas
    void start_diskless_transfer();
    // The snapshot pipe (the wiring calls these): bytes arrived; and, after each turn's sends,
    // whether to read it again (every receiving replica's buffer drained below its bound).
    void snapshot_pipe_readable();
    void snapshot_pipe_flow();
    void finish_snapshot_pipe(bool complete);
    // disk-based full resync (replication_disk_sync.cpp)
    void disk_sync(Client& client);
    void start_disk_sync_bgsave();
    void disk_sync_saved(bool ok);  // the BGSAVE ended (check_background_job, or killed)
    // The wiring's flush: the next piece of the snapshot file into the replica's output buffer;
    // true while some is left (keep the socket's writability watched).
    bool feed_snapshot_file(Client& client);
    bool receiving_snapshot(const Client& client) const;  // its stream must stay held
    void keep_waiting_replicas_alive();                   // the tick: a newline a second
    void forget_replica(Client& client);
    void replica_ack(Client& client, uint64_t offset);
    size_t replicas_acked(uint64_t offset) const;
    size_t good_replicas() const;       // ACKed within min-replicas-max-lag
    bool enough_good_replicas() const;  // min-replicas-to-write is met (or off, or we are a replica)
    bool wait_for_replicas(Client& client, int64_t replicas, int64_t deadline_ms);  // WAIT
    void serve_waiters();
    void wait_timed_out(Client& client);
    // replica side (replication_replica.cpp)
    void replication_start();  // start-up: replication ID, `replicaof`
    void replicaof(std::string host, int port);
    void replicaof_no_one();
    void update_replica_env();
    void master_connected(Client& master);
    void master_link_lost(Client& master);
    void master_input(Client& master);  // the wiring's on_readable for the master link
    void start_diskless_load();         // repl-diskless-load: a loader for this transfer, or none
    std::string finish_diskless_load(std::vector<std::pair<std::string, std::string>>& aux);
    void master_command_done(Client& master, size_t reply_mark, std::string_view bytes);
    void send_ack(Client& master);
    void replication_tick();

    void kill_client(Client& client);  // CLIENT KILL: drop pending output, close
    void unwatch_all(Client& client) { remove_watches(client); }
    void unsubscribe_all(Client& client);  // RESET / disconnect: leave every channel and pattern
    void apply_config(Config updated);     // CONFIG SET: switch to the new values
    void apply_lfu_config();               // the keyspace's LFU settings from config
    std::string persistence_info();        // INFO persistence
    bool prepare_shutdown(bool save);      // SHUTDOWN: snapshot if asked, flush the AOF, stop

private:
    void remove_watches(Client& client);
};

}  // namespace miniredis
