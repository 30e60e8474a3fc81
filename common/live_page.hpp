// The live lecture page every admin port serves on GET / (and /live): one HTML document put
// together from a shared frame and the server's own parts. See live_page.cpp.
#pragma once

#include <string>
#include <string_view>

namespace mb {

struct LivePage {
    std::string_view server;  // "miniredis": the title, and which of the three the page is
    std::string_view style;   // this page's CSS (the shared rules come first)
    std::string_view body;    // this page's sections: HTML without data, its script fills them
    std::string_view script;  // this page's JavaScript, run after the shared helpers (live.*)
};

// The whole document: head, shared CSS, the header (title, health, links to the other two
// servers' pages), the page's body, the --trace panel, the shared script, then the page's script.
std::string live_page(const LivePage& page);

}  // namespace mb
