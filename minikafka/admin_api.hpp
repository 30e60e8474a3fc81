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
// GET /: the live lecture page, HTML + CSS + JS in one string (admin_page.cpp).
extern const std::string_view kAdminPage;

}  // namespace minikafka
