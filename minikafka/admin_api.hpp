// The admin port's minikafka side: /api (JSON for the live page and for curl), /healthz's alarms,
// and the page itself (admin_page.cpp). See admin_api.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "admin_http.hpp"

namespace minikafka {

class Broker;
struct SessionMetrics;

struct AdminContext {
    Broker& broker;
    const SessionMetrics& session;
    std::string data_dir;
    uint64_t disk_free_limit;
};

mb::HttpResponse admin_api(AdminContext& admin, const mb::HttpRequest& request);
// "" when healthy, else why not (minikafka has no memory limit: only the data directory's disk).
std::string health_problems(const AdminContext& admin);
// GET / and /live: the live lecture page, HTML + CSS + JS in one string, made once (admin_page.cpp
// on the shared frame of common/live_page.cpp).
const std::string& admin_page();

}  // namespace minikafka
