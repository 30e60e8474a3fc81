// minirabbit/handlers/connection_class.cpp
//
// The connection class: the handshake and the goodbye (the diagram is in core/connection.hpp).
//
// Authentication. PLAIN carries "\0user\0password" (RFC 4616); AMQPLAIN, RabbitMQ's older mechanism,
// a field table {LOGIN, PASSWORD} without its length prefix. As RabbitMQ does by default, the user
// "guest" may log in only from the loopback interface. A failed login gets 403 ACCESS_REFUSED in a
// connection.close when the client announced authentication_failure_close, else just a closed socket.
//
// CONCEPT: the connection handshake negotiates limits before any work happens: channel_max,
// frame_max and the heartbeat interval are proposed by the broker in connection.tune and lowered by
// the client in tune-ok. Everything after relies on them - frame.cpp refuses larger frames, the
// heartbeat timer closes a silent peer. connection.open names the virtual host, the unit of
// isolation in the course notes: a user's permissions are checked per vhost.
// READ NEXT: core/connection.cpp, model/users.hpp (PLAIN passwords, permissions), model/vhost.hpp.
#include <algorithm>

#include "amqp_error.hpp"
#include "core/channel.hpp"
#include "core/connection.hpp"
#include "log.hpp"
#include "version.hpp"

namespace minirabbit {

using namespace amqp;

// connection.start, the broker's first words: its version, what it is (properties, shown by
// clients and in RabbitMQ's management UI), which login mechanisms it accepts, and - most
// important - the capabilities table. A client switches features on only when the broker announces
// them: pika, for instance, asks for publisher confirms only if "publisher_confirms" is true here.
void Connection::send_start() {
    FieldTable capabilities;
    for (const char* name : {"publisher_confirms", "exchange_exchange_bindings", "basic.nack", "consumer_cancel_notify",
                             "connection.blocked", "authentication_failure_close", "per_consumer_qos"})
        capabilities.set(name, FieldValue{true});
    FieldTable properties;
    properties.set("capabilities", FieldValue{std::move(capabilities)});
    properties.set("product", FieldValue{"minirabbit"});
    properties.set("version", FieldValue{std::string(mb::kVersion)});
    properties.set("platform", FieldValue{"C++20 / Boost.Asio"});
    properties.set("information", FieldValue{"A teaching AMQP 0-9-1 broker; see docs/minirabbit/"});
    properties.set("cluster_name", FieldValue{"minirabbit"});
    MethodWriter(out_, 0, connection_start)
        .octet(0)  // version-major
        .octet(9)  // version-minor
        .table(properties)
        .longstr("PLAIN AMQPLAIN")
        .longstr("en_US")
        .end();
    state_ = State::awaiting_start_ok;
}

// Both mechanisms send the password in clear text, as RabbitMQ's defaults do: AMQP leaves
// confidentiality to TLS (not implemented here - see docs/minirabbit/03-left-out-and-exercises.md).
// The loopback rule runs before the password check, so "guest" from another machine is refused even
// with the right password - the reason a fresh RabbitMQ cannot be reached remotely as guest/guest.
bool Connection::authenticate(std::string_view mechanism, std::string_view response) {
    std::string_view user, password;
    std::optional<FieldTable> amqplain;
    if (mechanism == "PLAIN") {
        // [authzid] \0 authcid \0 password
        size_t first = response.find('\0');
        size_t second = first == std::string_view::npos ? first : response.find('\0', first + 1);
        if (second == std::string_view::npos) return false;
        user = response.substr(first + 1, second - first - 1);
        password = response.substr(second + 1);
    } else if (mechanism == "AMQPLAIN") {
        amqplain = decode_field_table_entries(response);
        if (!amqplain) return false;
        const auto* login = amqplain->find("LOGIN");
        const auto* pass = amqplain->find("PASSWORD");
        if (!login || !pass || !login->string() || !pass->string()) return false;
        user = *login->string();
        password = *pass->string();
    } else {
        throw hard_error(command_invalid, "unknown authentication mechanism '{}'", mechanism);
    }
    const auto& loopback_only = broker_.loopback_users;
    if (!peer_is_loopback_ && std::find(loopback_only.begin(), loopback_only.end(), user) != loopback_only.end()) {
        mb::log::warn("user '{}' may only connect via localhost (connection from {})", user, peer_);
        return false;
    }
    if (!broker_.users().check_password(user, password)) return false;
    user_ = user;
    return true;
}

// A failed login is answered in the least informative way that still lets a client report it:
// 403 with a generic text to clients that understand it, a closed socket to the others (the spec's
// original behaviour). Which of user or password was wrong stays in the broker's log.
void Connection::handle_start_ok(MethodReader& in) {
    ConnectionStartOk m;
    if (!decode(in, m)) throw hard_error(syntax_error, "malformed connection.start-ok");
    client_properties_ = std::move(m.client_properties);
    if (!authenticate(m.mechanism, m.response)) {
        mb::log::warn("login refused for connection from {} using {}", peer_, m.mechanism);
        if (client_supports("authentication_failure_close")) {
            throw hard_error(access_refused,
                             "Login was refused using authentication mechanism {}. For details see the broker "
                             "logfile.",
                             m.mechanism);
        }
        state_ = State::closed;
        transport_.close_after_writing();
        return;
    }
    MethodWriter(out_, 0, connection_tune)
        .short_(kDefaultChannelMax)
        .long_(kDefaultFrameMax)
        .short_(60)  // RabbitMQ's default heartbeat, seconds
        .end();
    state_ = State::awaiting_tune_ok;
}

// The client may lower our proposals, never raise them: a frame_max above what we offered would
// let a client make us buffer bigger frames than we planned for, so it is a connection error.
void Connection::handle_tune_ok(MethodReader& in) {
    ConnectionTuneOk m;
    if (!decode(in, m)) throw hard_error(syntax_error, "malformed connection.tune-ok");
    uint32_t frame_max = m.frame_max == 0 ? kDefaultFrameMax : m.frame_max;
    if (frame_max < kFrameMinSize || frame_max > kDefaultFrameMax)
        throw hard_error(not_allowed, "frame_max={} outside the allowed range {}..{}", m.frame_max, kFrameMinSize,
                         kDefaultFrameMax);
    frame_max_ = frame_max;
    channel_max_ = m.channel_max == 0 || m.channel_max > kDefaultChannelMax ? kDefaultChannelMax : m.channel_max;
    heartbeat_ = m.heartbeat;
    state_ = State::awaiting_open;
}

// The last handshake step checks authorisation (may this user use this vhost at all?) - the
// per-object configure/write/read checks come later, per method, in the handlers.
void Connection::handle_open(MethodReader& in) {
    ConnectionOpen m;
    if (!decode(in, m)) throw hard_error(syntax_error, "malformed connection.open");
    Vhost* vhost = broker_.find_vhost(m.virtual_host);
    if (vhost == nullptr) throw hard_error(not_allowed, "vhost {} not found", m.virtual_host);
    if (broker_.users().permission(m.virtual_host, user_) == nullptr)
        throw hard_error(not_allowed, "access to vhost '{}' refused for user '{}'", m.virtual_host, user_);
    vhost_ = vhost;
    vhost_name_ = m.virtual_host;
    MethodWriter(out_, 0, connection_open_ok).shortstr("").end();
    state_ = State::open;
    if (memory_alarm_) update_blocked();
}

// The client says goodbye: every channel is released (its unacked messages requeued, its consumers
// cancelled), close-ok is sent, and the socket is closed only after that reply is written.
void Connection::handle_close(MethodReader& in) {
    CloseArgs m;
    decode(in, m);  // a malformed close is still a close
    for (auto& ch : channels_)
        if (ch) ch->release();
    channels_.clear();
    write_empty_method(out_, 0, connection_close_ok);
    state_ = State::closed;
    transport_.close_after_writing();
}

void Connection::handle_close_ok(MethodReader&) {
    // The answer to our own connection.close: now the socket can go.
    state_ = State::closed;
    transport_.close_after_writing();
}

void Connection::handle_update_secret(MethodReader&) {
    // RabbitMQ uses this to refresh OAuth tokens; passwords do not expire here, so just agree.
    write_empty_method(out_, 0, connection_update_secret_ok);
}

// Channel 0's dispatcher. The handshake is a strict sequence (start-ok, tune-ok, open), so the
// expected method follows from the state; anything out of order is a 503 connection error. While
// we are closing (we sent connection.close), only the close handshake is still answered: the spec
// says to discard everything else until close-ok.
void Connection::handle_connection_method(const Frame& frame) {
    MethodReader in(frame.payload);
    uint16_t class_id = in.u16();
    uint16_t method_index = in.u16();
    if (!in.ok()) throw hard_error(frame_error, "method frame too short");
    uint32_t method = method_id(class_id, method_index);
    if (state_ == State::closing) {
        if (method == connection_close_ok) {
            handle_close_ok(in);
        } else if (method == connection_close) {
            write_empty_method(out_, 0, connection_close_ok);
            state_ = State::closed;
            transport_.close_after_writing();
        }
        return;
    }
    // Each step of the handshake accepts exactly one method; after it, only close and secrets.
    State expected_state = method == connection_start_ok  ? State::awaiting_start_ok
                           : method == connection_tune_ok ? State::awaiting_tune_ok
                           : method == connection_open    ? State::awaiting_open
                                                          : State::open;
    bool anytime = method == connection_close || method == connection_close_ok;
    if (!anytime && state_ != expected_state)
        throw hard_error(command_invalid, "unexpected {} in the connection handshake", method_name(method));
    switch (method) {
        case connection_start_ok:
            return handle_start_ok(in);
        case connection_tune_ok:
            return handle_tune_ok(in);
        case connection_open:
            return handle_open(in);
        case connection_close:
            return handle_close(in);
        case connection_close_ok:
            return handle_close_ok(in);
        case connection_update_secret:
            return handle_update_secret(in);
        default:
            throw hard_error(command_invalid, "{} is not valid on channel 0", method_name(method));
    }
}

}  // namespace minirabbit
