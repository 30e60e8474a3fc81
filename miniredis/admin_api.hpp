// The admin port's miniredis side: /api (JSON for the live page and for curl), /healthz's alarms,
// and the page itself (admin_page.cpp). See admin_api.cpp.
#pragma once

#include <string>
#include <string_view>

#include "admin_http.hpp"

namespace miniredis {

class Broker;

mb::HttpResponse admin_api(Broker& state, const mb::HttpRequest& request);
// "" when healthy, else one line per alarm (maxmemory exceeded, data directory's disk nearly full).
std::string health_problems(Broker& state);
// GET / and /live: the live lecture page, HTML + CSS + JS in one string, made once (admin_page.cpp
// on the shared frame of common/live_page.cpp).
const std::string& admin_page();

}  // namespace miniredis
