// CONCEPT: pages of a list - how RabbitMQ's management API lets a UI show 100 000 queues:
// the client asks for one page, filtered and sorted, and gets the page with the counts around it.
//
//   GET /api/queues?page=2&page_size=100&name=order&use_regex=false&sort=messages&sort_reverse=true
//
//   all items ──name filter──▶ filtered ──sort──▶ sorted ──slice page 2──▶ items
//   {"total_count": 5120, "filtered_count": 230, "item_count": 100,
//    "page": 2, "page_size": 100, "page_count": 3, "items": [...]}
//
// Without `page` the list comes back as a plain array, as before (rabbitmqadmin asks that way).
// The name filter is a substring match, or a regular expression with use_regex=true (a bad one
// is a 400, as in RabbitMQ); `sort` names a field, dotted for nested ones (message_stats.publish).
// Sorting and filtering run over the JSON the handler already built, so every list gets them
// without each handler knowing about pages.
// READ NEXT: admin_api.cpp (handle_admin_request applies this, then ?columns=).
#include <boost/json.hpp>
#include <regex>

#include "admin_api.hpp"
#include "admin_json.hpp"

namespace minirabbit {

namespace json = boost::json;

namespace {

// The value of `key` in a query string ("" when absent).
std::string query_param(std::string_view target, std::string_view key) {
    size_t q = target.find('?');
    if (q == std::string_view::npos) return "";
    std::string_view query = target.substr(q + 1);
    while (!query.empty()) {
        std::string_view pair = query.substr(0, query.find('&'));
        if (pair.substr(0, pair.find('=')) == key)
            return pair.find('=') == std::string_view::npos ? "" : percent_decode(pair.substr(pair.find('=') + 1));
        if (pair.size() == query.size()) break;
        query.remove_prefix(pair.size() + 1);
    }
    return "";
}

const json::value* field(const json::value& item, std::string_view dotted) {
    const json::value* v = &item;
    while (v) {
        size_t dot = dotted.find('.');
        v = v->is_object() ? v->as_object().if_contains(dotted.substr(0, dot)) : nullptr;
        if (dot == std::string_view::npos) break;
        dotted.remove_prefix(dot + 1);
    }
    return v;
}

// Numbers before strings before anything else; absent fields last, as they sort in RabbitMQ.
bool less(const json::value* a, const json::value* b) {
    auto rank = [](const json::value* v) { return !v ? 3 : v->is_number() ? 0 : v->is_string() ? 1 : 2; };
    if (rank(a) != rank(b)) return rank(a) < rank(b);
    if (!a) return false;
    if (a->is_number()) return a->to_number<double>() < b->to_number<double>();
    if (a->is_string()) return a->as_string() < b->as_string();
    return false;
}

}  // namespace

mb::HttpResponse paginate(mb::HttpResponse response, std::string_view target) {
    std::string page_text = query_param(target, "page");
    if (page_text.empty() || response.status != 200) return response;
    boost::system::error_code ec;
    json::value doc = json::parse(response.body, ec);
    if (ec || !doc.is_array()) return response;
    json::array& all = doc.as_array();
    const size_t total = all.size();

    // Filter by name.
    std::string name = query_param(target, "name");
    if (!name.empty()) {
        std::optional<std::regex> pattern;
        if (query_param(target, "use_regex") == "true") {
            try {
                pattern.emplace(name);
            } catch (const std::regex_error&) {
                return {400, "application/json", R"({"error":"bad_request","reason":"invalid regular expression"})"};
            }
        }
        json::array kept;
        for (auto& item : all) {
            const json::value* n = field(item, "name");
            std::string text = n && n->is_string() ? std::string(n->as_string()) : "";
            if (pattern ? std::regex_search(text, *pattern) : text.find(name) != std::string::npos)
                kept.push_back(std::move(item));
        }
        all = std::move(kept);
    }
    // Sort (stable: equal items keep the handler's order, which is by name).
    std::string sort = query_param(target, "sort");
    if (!sort.empty()) {
        std::stable_sort(all.begin(), all.end(), [&](const json::value& a, const json::value& b) {
            return less(field(a, sort), field(b, sort));
        });
        if (query_param(target, "sort_reverse") == "true") std::reverse(all.begin(), all.end());
    }
    // Slice one page. RabbitMQ caps page_size at 500 and refuses a page past the end.
    size_t page_size = 100;
    size_t page = 1;
    try {
        page = std::max<long>(1, std::stol(page_text));
        std::string size_text = query_param(target, "page_size");
        if (!size_text.empty()) page_size = std::clamp<long>(std::stol(size_text), 1, 500);
    } catch (const std::exception&) {
        return {400, "application/json", R"({"error":"bad_request","reason":"page and page_size are numbers"})"};
    }
    const size_t filtered = all.size();
    const size_t page_count = std::max<size_t>(1, (filtered + page_size - 1) / page_size);
    if (page > page_count) return {400, "application/json", R"({"error":"bad_request","reason":"page out of range"})"};
    json::array items;
    for (size_t i = (page - 1) * page_size; i < std::min(filtered, page * page_size); ++i) items.push_back(all[i]);
    const size_t item_count = items.size();
    response.body = serialize_as_valid_utf8(json::object{{"filtered_count", filtered},
                                                         {"item_count", item_count},
                                                         {"items", std::move(items)},
                                                         {"page", page},
                                                         {"page_count", page_count},
                                                         {"page_size", page_size},
                                                         {"total_count", total}});
    return response;
}

}  // namespace minirabbit
