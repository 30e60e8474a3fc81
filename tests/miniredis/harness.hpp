// A whole server without sockets, for unit tests: a Broker with a ManualClock, and clients
// whose commands go in as RESP bytes and whose replies come out as RESP bytes - the same path as
// the session loop (process_input), minus the socket (dragonfly's Run({"set","k","v"}) style).
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "core/broker.hpp"

namespace miniredis::test {

inline std::string encode(std::initializer_list<std::string_view> args) {
    std::string out = "*";
    out.append(std::to_string(args.size())).append("\r\n");
    for (auto a : args) out.append("$").append(std::to_string(a.size())).append("\r\n").append(a).append("\r\n");
    return out;
}

// "key:" + i, spelled so that GCC 12's -Wrestrict false positive on operator+ does not fire.
inline std::string numbered(std::string_view prefix, long i) { return std::string(prefix).append(std::to_string(i)); }

inline Config test_config(std::initializer_list<std::pair<std::string_view, std::string_view>> overrides = {}) {
    Config config;
    const char* argv[] = {"miniredis"};
    config.options.parse(config_options(), 1, argv, "miniredis", "");
    config.options.set("save", "");
    for (auto [name, value] : overrides) config.options.set(name, value);
    config.refresh();
    return config;
}

class Harness {
public:
    explicit Harness(Config config = test_config()) : state(clock, std::move(config)) {}
    ~Harness() {
        for (Client* c : clients_) state.remove_client(*c);
    }

    Client& connect() {
        Client& c = state.add_client(numbered("127.0.0.1:5000", static_cast<long>(clients_.size())), "127.0.0.1:6379");
        clients_.push_back(&c);
        return c;
    }
    void disconnect(Client& client) {
        std::erase(clients_, &client);
        state.remove_client(client);
    }
    Client& default_client() {
        if (clients_.empty()) connect();
        return *clients_.front();
    }

    // Sends raw bytes as `client`, returns what it received (and clears its output).
    std::string send_raw(Client& client, std::string_view bytes) {
        client.in.append(bytes);
        state.process_input(client);
        state.before_sleep();
        std::string out(client.out.readable());
        client.out.clear();
        state.pending_writes.clear();
        for (auto& [id, c] : state.clients) c->write_pending = false;
        return out;
    }
    std::string run(Client& client, std::initializer_list<std::string_view> args) {
        return send_raw(client, encode(args));
    }
    std::string run(std::initializer_list<std::string_view> args) { return run(default_client(), args); }
    // Output a client got without sending anything (pub/sub pushes, unblocked BLPOP replies).
    std::string take_output(Client& client) {
        std::string out(client.out.readable());
        client.out.clear();
        return out;
    }

    ManualClock clock;
    Broker state;

private:
    std::vector<Client*> clients_;
};

}  // namespace miniredis::test
