// minikafka/server.cpp
//
// CONCEPT: the session loop - two coroutines per connection, on the broker thread.
//
//   serve_connection ─► Session::start ─┬─ read_requests ─► next_frame ─► decode_request_header
//                                       │                 ─► dispatch (handlers/) ─► Reply queue
//                                       └─ write_replies ◄─ the ready replies at the queue's front:
//                                                           memory parts in one gather-write, record
//                                                           bytes straight from the segment file with
//                                                           sendfile()
// Reading and writing are two coroutines so that a reply that waits (a long-polling Fetch, a
// Produce waiting for its fsync) does not stop the connection from reading further requests,
// while replies still leave strictly in request order. Everything runs on the broker thread;
// the only other thread is the background worker (fsync, deletion). Starting the broker, the
// listener and the timers is run_server.cpp's job; this file only serves one connection.
//
// An idle connection should cost almost nothing. Most connections of a big deployment are idle
// most of the time (a consumer between polls, a producer between batches, a pool kept warm), so
// what a session keeps while it waits is what 10,000 connections cost. Two steps:
//   - buffers: when nothing is left to parse and the socket has nothing either, the session lets
//     go of its 64 KB read buffer and its spare replies; malloc gives a buffer back when bytes
//     arrive. A client that keeps sending never goes idle and keeps its buffers.
//   - coroutines: a suspended coroutine keeps its frame, and with the buffers gone an idle
//     connection still cost 6.7 KB (librdkafka's mock broker: 1.1 KB) - the frames of its two
//     coroutines and Asio's state for each. So an idle session with no reply pending
//     *hibernates*: both coroutines end, and all that is left is the Session object and one
//     readiness wait on its socket (a plain callback). When bytes arrive the callback starts the
//     two coroutines again. 10,000 idle connections: 1.0 KB each (benchmarks/minikafka/scaling.py).
//
//   busy:       read ─ dispatch ─ write ─ read ─ dispatch ─ write ...       (coroutines alive)
//   idle:       ... write ─ nothing buffered, nothing queued ─ hibernate    (Session + a wait)
//   woken:      the wait fires ─ start(): read_requests + write_replies again
//
// RabbitMQ does the same with its idle connection and channel processes (erlang:hibernate/3
// drops a process's stack and heap until its next message); Kafka's network layer keeps no
// per-connection buffer between requests (a request's buffer is allocated once its size prefix
// has arrived).
// READ NEXT: handlers/handler_table.cpp (dispatch), handlers/produce.cpp (one request's path).
#include "server.hpp"

#include <sys/sendfile.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <cerrno>
#include <exception>
#include <memory>
#include <utility>
#include <vector>

#include "handlers/handler_table.hpp"
#include "log.hpp"
#include "server_metrics.hpp"

namespace minikafka {

namespace asio = boost::asio;
using asio::awaitable;
using mb::net::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket socket, Broker& broker, SessionMetrics& metrics)
        : socket_(std::move(socket)),
          broker_(broker),
          metrics_(metrics),
          writer_wakeup_(socket_.get_executor()),
          reader_wakeup_(socket_.get_executor()) {
        writer_wakeup_.expires_at(asio::steady_timer::time_point::max());
        reader_wakeup_.expires_at(asio::steady_timer::time_point::max());
        boost::system::error_code ec;
        auto endpoint = socket_.remote_endpoint(ec);
        if (!ec) {
            peer_host_ = "/";  // Kafka's spelling: "/127.0.0.1"
            peer_host_ += endpoint.address().to_string();
        }
        socket_.native_non_blocking(true, ec);  // sendfile() must not block the broker thread
    }

    // Starts the reader and the writer: for a new connection, and again each time a hibernating
    // session's socket becomes readable (`woken`). Each coroutine holds the session (its `self`),
    // and each reports its end to ended(): the second one to end either hibernates or lets go.
    void start(bool woken = false) {
        running_ = 2;
        hibernating_ = stopping_ = false;
        auto executor = socket_.get_executor();
        auto self = shared_from_this();
        asio::co_spawn(executor, read_requests(self, woken), [self](std::exception_ptr e) { self->ended(e); });
        asio::co_spawn(executor, write_replies(self), [self](std::exception_ptr e) { self->ended(e); });
    }

private:
    // A client may pipeline this many requests, or queue this many bytes of replies, before we
    // stop reading from it until the replies have gone out (backpressure: a client that does
    // not read its responses cannot make the broker buffer without limit). Record bytes do not
    // count - they stay in the segment files until sendfile() - but a Metadata reply listing
    // thousands of topics does. Kafka goes further: one request in flight per connection. Each
    // queued reply costs at least ~4.3 KB (see handle_request), so 256 of them are ~1.1 MB: a
    // few hundred connections that pipeline and never read cannot add up to gigabytes.
    static constexpr size_t kMaxQueuedReplies = 256;
    static constexpr size_t kMaxQueuedReplyBytes = 16 << 20;
    static constexpr size_t kReadChunk = 64 * 1024;
    static constexpr size_t kMaxReadAhead = 1024 * 1024;
    static constexpr size_t kShrinkAbove = 1 << 20;

    // `self` keeps the session alive while the coroutine runs (see start()). `woken`: the socket
    // was readable - read at once, even if it has no bytes: a client's FIN makes a socket readable
    // with nothing to read, and only the read sees the end (asking available() would hibernate
    // again, and the wait would fire again, forever).
    awaitable<void> read_requests([[maybe_unused]] std::shared_ptr<Session> self, bool woken) {
        size_t want = kReadChunk;
        for (;;) {
            if (in_.empty() && !std::exchange(woken, false)) {
                Idle idle = co_await wait_for_bytes();
                if (idle == Idle::hibernate) {
                    hibernating_ = true;  // the writer sees it, ends, and hibernate() runs
                    co_return;
                }
                if (idle == Idle::closed || stopping_) co_return;
            }
            std::span<char> space = in_.prepare(want);
            account_buffers();
            auto [ec, n] = co_await socket_.async_read_some(asio::buffer(space.data(), space.size()), use_tuple);
            if (ec) co_return;  // the client closed the connection (or reset it)
            in_.commit(n);
            metrics_.bytes_in.inc(n);
            // Handle every complete request already buffered: a pipelining client gets all
            // of their replies in the next write.
            want = kReadChunk;
            for (;;) {
                if (queue_is_full() && !co_await wait_for_queue_room()) co_return;
                Frame frame = next_frame(in_.readable(), broker_.config.max_request_bytes);
                if (frame.status == Frame::Status::need_more) {
                    if (in_.size() >= 4) {  // read the rest of a big request in few syscalls
                        // ... but make room for at most 1 MB more than has arrived: the size
                        // field is the client's word, and 4 bytes claiming 100 MB on each of a
                        // few connections would otherwise reserve gigabytes before a byte of it
                        // came (the buffer doubles as bytes arrive, so big requests stay cheap).
                        size_t total = 4 + mb::load_big_endian<uint32_t>(in_.data());
                        want = std::clamp(total - in_.size(), kReadChunk, kMaxReadAhead);
                    }
                    break;
                }
                if (frame.status != Frame::Status::complete) {
                    mb::log::warn("{}: request size {} is invalid or above socket.request.max.bytes ({}); closing",
                                  peer(), mb::load_big_endian<int32_t>(in_.data()), broker_.config.max_request_bytes);
                    co_return;
                }
                if (!handle_request(frame.bytes)) co_return;
                in_.consume(frame.consumed);
            }
            shrink_input_buffer();
            if (queue_is_full() && !co_await wait_for_queue_room()) co_return;
        }
    }

    // Backpressure (kMaxQueuedReplies): wait until the writer has sent some replies. False when
    // the connection ends meanwhile. Called only when the queue is full: a coroutine call costs
    // a frame, and the busy path should not pay one per request.
    awaitable<bool> wait_for_queue_room() {
        while (queue_is_full() && !stopping_) co_await reader_wakeup_.async_wait(use_tuple);
        co_return !stopping_;
    }

    // Between requests (nothing buffered): if the socket has bytes, read them at once. If not,
    // the client is idle (see the top of the file): with no reply queued either, the session
    // hibernates. With replies still queued (the one just handled, which the writer has not sent
    // yet; a long-polling Fetch; a Produce waiting for its fsync) the writer must stay: the
    // reader gives back its buffers and waits for readability here, and the writer, when it has
    // sent the last queued reply, cancels that wait so that the reader looks again - and hibernates.
    enum class Idle { bytes, hibernate, closed };
    awaitable<Idle> wait_for_bytes() {
        for (;;) {
            boost::system::error_code ec;
            if (socket_.available(ec) > 0 || ec) co_return Idle::bytes;  // an error: the read reports it
            if (queue_.empty()) co_return Idle::hibernate;
            in_ = mb::ByteBuffer();
            spare_.clear();
            reader_idle_ = true;
            account_buffers();
            auto [wait_ec] = co_await socket_.async_wait(tcp::socket::wait_read, use_tuple);
            reader_idle_ = false;
            if (stopping_) co_return Idle::closed;
            if (wait_ec == asio::error::operation_aborted) continue;  // the writer emptied the queue
            co_return wait_ec ? Idle::closed : Idle::bytes;
        }
    }

    // The buffers this session holds, for the minikafka_connection_buffer_bytes gauge.
    void account_buffers() {
        size_t held = in_.capacity();
        for (const auto& reply : spare_) held += reply->bytes().capacity();
        metrics_.buffer_bytes += static_cast<int64_t>(held) - static_cast<int64_t>(accounted_bytes_);
        accounted_bytes_ = held;
    }

    // After a large request the buffer keeps its size while a pipelining client always leaves
    // the start of its next request in it (ByteBuffer gives memory back only when drained). A
    // client announcing big requests now and then would pin megabytes per connection for good:
    // the junk-request probe grew the broker past 100 MB that way. Move the few leftover bytes
    // to a small buffer instead.
    void shrink_input_buffer() {
        if (in_.capacity() <= kShrinkAbove || in_.size() > kReadChunk) return;
        mb::ByteBuffer smaller(kReadChunk);
        smaller.append(in_.readable());
        in_ = std::move(smaller);
        account_buffers();
    }

    bool queue_is_full() const {
        return queue_.size() >= kMaxQueuedReplies || queued_reply_bytes_ >= kMaxQueuedReplyBytes;
    }

    // One request off the socket. Normally its handler runs at once - also while earlier replies
    // still wait (a parked Fetch, an acks=all Produce), so a pipelining producer's appends do not
    // wait for each other's replication. Two exceptions keep answers honest (see "answered at its
    // turn" below): the handler may postpone itself, and behind a postponed request every request
    // is postponed too, so that requests still run in the order they came.
    bool handle_request(std::string_view frame) {
        KafkaReader in(frame);
        RequestHeader header = decode_request_header(in);
        if (!in.ok()) {
            mb::log::warn("{}: malformed request header; closing", peer());
            return false;
        }
        metrics_.request(static_cast<int16_t>(header.api_key));  // counted as it arrives, run or not
        std::shared_ptr<Reply> reply = take_reply();
        if (postponed_ > 0) {
            reply->hold_for_turn();
        } else if (!run_request(*reply, header, in, every_reply_ready())) {
            return false;
        }
        if (reply->postponed()) {
            reply->request_frame.assign(frame);  // the input buffer moves on; the bytes must stay
            ++postponed_;
        }
        // What the reply really costs while it waits: its buffer's capacity (at least 4 KiB, even
        // for a 20-byte answer) and the Reply itself, not just the bytes it will send. Counting
        // only those, 1,024 tiny replies looked like 20 KB and cost 4.5 MB, per connection.
        reply->queued_bytes =
            reply->bytes().capacity() + sizeof(Reply) + reply->held_bytes + reply->request_frame.capacity();
        queued_reply_bytes_ += reply->queued_bytes;
        queue_.push_back(std::move(reply));
        wake_writer();
        return true;
    }

    // Run the handler on the request's body (`in`, just past the header). False = close the
    // connection.
    bool run_request(Reply& reply, RequestHeader& header, KafkaReader& in, bool at_turn) {
        header.client_host = peer_host_;
        reply.start(header);
        reply.set_at_turn(at_turn);
        bool decoded = false;
        try {
            decoded = dispatch(broker_, header, in, reply);
        } catch (const std::exception& e) {
            // Handlers answer the errors a client can act on with Kafka error codes; what is
            // left (the disk refusing a write, no file descriptors left) ends this connection
            // with a log line. The client reconnects and retries; everyone else goes on.
            mb::log::error("{}: {} v{} failed: {}; closing the connection", peer(), api_name(header.api_key),
                           header.api_version, e.what());
            return false;
        }
        if (!decoded) {
            mb::log::warn("{}: could not decode {} v{} (correlation id {}); closing", peer(), api_name(header.api_key),
                          header.api_version, header.correlation_id);
            return false;
        }
        if (reply.postponed())
            broker_.trace(
                "{} v{} correlation={}: postponed, runs at its turn (an earlier answer on this "
                "connection waits)",
                api_name(header.api_key), header.api_version, header.correlation_id);
        else if (!reply.deferred())
            reply.finish();
        return true;
    }

    // Answered at its turn. Replies leave in request order, so a reply queued behind one that
    // waits - an acks=all Produce parked until a dead follower leaves the ISR - cannot leave
    // before it; built at once, it would describe the broker as it was when the request came,
    // not when the answer goes. That is how a client asking Metadata during a failover got,
    // seconds later, an answer naming the leader that had died meanwhile, and how a new leader
    // refused a Produce it already led when the refusal finally left. Kafka never has the
    // problem because it reads one request per connection at a time: the next request runs
    // only after the previous answer went out. We keep pipelining (Produces overlap their
    // replication), and a handler whose answer only reads state (Metadata; a Produce to a
    // partition this node does not lead) postpones itself: it runs here, when it reaches the
    // front, i.e. when every earlier reply has gone. It costs it nothing - its answer could not
    // have left sooner.
    bool run_postponed(Reply& reply) {
        const std::string frame = std::move(reply.request_frame);
        reply.request_frame.clear();
        --postponed_;
        KafkaReader in(frame);
        RequestHeader header = decode_request_header(in);  // it decoded when it came: it does again
        if (!run_request(reply, header, in, true)) return false;
        // At its turn a handler answers (now or deferred); the check keeps a handler that
        // postponed anyway from stalling the connection for good.
        if (reply.postponed()) {
            mb::log::error("{}: a handler postponed a request at its turn; closing", peer());
            return false;
        }
        return true;
    }

    // No earlier reply is still waiting: whatever we answer now is the next thing to leave.
    // From the back, because a waiting reply is usually the newest (a pipelining producer).
    bool every_reply_ready() const {
        return std::none_of(queue_.rbegin(), queue_.rend(), [](const auto& reply) { return !reply->ready(); });
    }

    awaitable<void> write_replies([[maybe_unused]] std::shared_ptr<Session> self) {
        std::vector<asio::const_buffer> buffers;
        for (;;) {
            if (stopping_ || (hibernating_ && queue_.empty())) co_return;
            // Every earlier reply has gone: a postponed request runs now (see run_postponed).
            if (!queue_.empty() && queue_.front()->postponed() && !run_postponed(*queue_.front())) co_return;
            if (queue_.empty() || !queue_.front()->ready()) {
                co_await writer_wakeup_.async_wait(use_tuple);
                continue;
            }
            // Send the ready replies at the front, in order, as few system calls as possible.
            size_t sent = 0;
            buffers.clear();
            // By index: the reader may append to the queue while we wait for the socket.
            for (size_t i = 0; i < queue_.size(); ++i) {
                const Reply* reply = queue_[i].get();
                if (!reply->ready() || sent == 64) break;
                ++sent;
                if (reply->omitted()) continue;  // acks=0: the client expects nothing
                std::string_view bytes = reply->bytes().readable();
                size_t done = 0;
                for (const FileSlice& slice : reply->slices()) {
                    buffers.push_back(asio::buffer(bytes.substr(done, slice.at - done)));
                    done = slice.at;
                    if (!co_await write(buffers, MSG_MORE) || !co_await send_file(slice)) co_return;
                }
                buffers.push_back(asio::buffer(bytes.substr(done)));
            }
            if (!co_await write(buffers)) co_return;
            for (size_t i = 0; i < sent; ++i) {
                queued_reply_bytes_ -= queue_[i]->queued_bytes;
                recycle(std::move(queue_[i]));
            }
            queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(sent));
            account_buffers();
            reader_wakeup_.cancel();
            // The reader waits for a silent client while we sent the last queued reply: make it
            // look again, so that the session can hibernate (wait_for_bytes). Nothing of ours is
            // pending on the socket now, so cancel() stops only the reader's wait.
            if (queue_.empty() && reader_idle_) {
                boost::system::error_code ignored;
                socket_.cancel(ignored);
            }
        }
    }

    // `more` = MSG_MORE when record bytes from a file follow: the kernel holds these bytes back
    // and sends them in the same segments as the file's, instead of a small packet of their own
    // that would wake the client for a few dozen bytes of response header.
    awaitable<bool> write(std::vector<asio::const_buffer>& buffers, int more = 0) {
        size_t left = asio::buffer_size(buffers);
        while (left > 0) {
            auto [ec, n] = co_await socket_.async_send(buffers, more, use_tuple);
            if (ec) co_return false;
            metrics_.bytes_out.inc(n);
            left -= n;
            // A short send (the socket buffer was full): drop what went out, send the rest.
            auto part = buffers.begin();
            for (; n > 0 && n >= part->size(); ++part) n -= part->size();
            buffers.erase(buffers.begin(), part);
            if (n > 0) buffers.front() += n;
        }
        buffers.clear();
        co_return true;
    }

    // Kafka's zero-copy read path: the kernel copies from the page cache to the socket.
    awaitable<bool> send_file(const FileSlice& slice) {
        off_t offset = slice.position;
        size_t left = slice.size;
        while (left > 0) {
            ssize_t n = ::sendfile(socket_.native_handle(), slice.file->fd(), &offset, left);
            if (n > 0) {
                left -= static_cast<size_t>(n);
                metrics_.bytes_out.inc(static_cast<uint64_t>(n));
            } else if (n < 0 && errno == EINTR) {
                continue;
            } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                auto [ec] = co_await socket_.async_wait(tcp::socket::wait_write, use_tuple);
                if (ec) co_return false;
            } else {
                co_return false;  // the peer went away (or the file is shorter than promised)
            }
        }
        co_return true;
    }

    std::shared_ptr<Reply> take_reply() {
        if (!spare_.empty()) {
            auto reply = std::move(spare_.back());
            spare_.pop_back();
            return reply;
        }
        auto reply = std::make_shared<Reply>();
        reply->on_ready = [weak = weak_from_this()] {
            if (auto self = weak.lock()) self->wake_writer();
        };
        return reply;
    }
    void recycle(std::shared_ptr<Reply> reply) {
        // Reuse reply buffers (no allocation per request), unless someone else still holds it -
        // or the client has gone quiet: an idle connection keeps no spares (wait_for_bytes).
        if (!reader_idle_ && reply.use_count() == 1 && spare_.size() < 64) spare_.push_back(std::move(reply));
    }

    void wake_writer() { writer_wakeup_.cancel(); }

    // A coroutine has ended (`e`: with an exception). The first to end for any reason but
    // hibernation stops the other: its socket wait or send is cancelled, its timer woken. The
    // second to end decides: both ended for hibernation - hibernate; else the connection is over
    // (the last shared_ptr goes with the completion handlers, and the socket closes).
    void ended(const std::exception_ptr& e) {
        if (e) {
            stopping_ = true;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& error) {
                mb::log::warn("{}: connection ended by an error: {}", peer(), error.what());
            }
        }
        if (--running_ > 0) {
            if (!hibernating_) stopping_ = true;
            boost::system::error_code ignored;
            if (stopping_) socket_.cancel(ignored);
            writer_wakeup_.cancel();
            reader_wakeup_.cancel();
            return;
        }
        release_buffers();
        if (hibernating_ && !stopping_) hibernate();
    }

    // Both coroutines have ended with nothing buffered and nothing queued: what stays is this
    // object and one readiness wait on the socket, whose callback holds the only reference.
    // Readable means bytes, or the client's FIN or reset: start() again, and the read tells.
    void hibernate() {
        ++metrics_.hibernating_connections;
        socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](const boost::system::error_code& ec) {
            --self->metrics_.hibernating_connections;
            if (!ec) self->start(true);
        });
    }

    void release_buffers() {
        in_ = mb::ByteBuffer();
        spare_ = {};  // the vectors' capacity too: an idle session keeps no arrays
        queue_ = {};
        queued_reply_bytes_ = 0;
        postponed_ = 0;
        account_buffers();
    }

    std::string peer() const {
        boost::system::error_code ec;
        auto endpoint = socket_.remote_endpoint(ec);
        return ec ? std::string("client") : endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
    }

    tcp::socket socket_;
    Broker& broker_;
    SessionMetrics& metrics_;
    std::string peer_host_;
    mb::ByteBuffer in_;
    std::vector<std::shared_ptr<Reply>> queue_;  // replies in request order (a deque keeps 576 bytes)
    size_t queued_reply_bytes_ = 0;              // their bytes() when queued (see kMaxQueuedReplyBytes)
    size_t postponed_ = 0;                       // requests in the queue waiting for their turn
    std::vector<std::shared_ptr<Reply>> spare_;
    bool reader_idle_ = false;          // waiting for a silent client: wait_for_bytes
    int running_ = 0;                   // coroutines running: 2, 1 while one ends, 0
    bool hibernating_ = false;          // the reader ended to hibernate (see the top of the file)
    bool stopping_ = false;             // the connection is over: the other coroutine must end
    size_t accounted_bytes_ = 0;        // this session's share of metrics_.buffer_bytes
    asio::steady_timer writer_wakeup_;  // cancelled = "a reply may be ready"
    asio::steady_timer reader_wakeup_;  // cancelled = "the queue shrank"
};

}  // namespace

// A plain function, not a capturing coroutine lambda (see docs/architecture.md, GCC 12).
// The session runs on its own from here (start() spawns its coroutines), so this returns at once.
awaitable<void> serve_connection(tcp::socket socket, Broker& broker, SessionMetrics& metrics) {
    metrics.connections.inc();
    auto session = std::make_shared<Session>(std::move(socket), broker, metrics);
    session->start();
    co_return;
}

}  // namespace minikafka
