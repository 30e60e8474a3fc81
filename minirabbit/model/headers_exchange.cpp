// minirabbit/model/headers_exchange.cpp
//
// CONCEPT: the headers exchange - routing on message headers instead of the routing key.
// A binding's arguments list the headers it wants; "x-match" says how many must agree:
//   x-match=all (default)  every listed header is present with an equal value
//   x-match=any            at least one is
//   all-with-x / any-with-x  the same, but headers starting with "x-" count too (RabbitMQ 3.10+)
// A binding argument of type void ('V') asks only that the header be present.
// Integers compare by value whatever their wire width (a client may send 5 as int8 or int64).
//
//   headers {format: pdf, type: report}  x-match=all {format: pdf}            ──▶ match
//                                        x-match=all {format: pdf, lang: en}  ──▶ no match
//                                        x-match=any {format: pdf, lang: en}  ──▶ match
// READ NEXT: protocol/field_table.hpp (how header values are typed), exchange.hpp.
#include "exchange.hpp"

namespace minirabbit {
namespace {

// Header values compare by meaning, not by wire type: integers by value (5 as int8 equals 5 as
// int64), long strings and byte arrays by bytes. Clients encode the same header differently, and a
// binding must not silently stop matching when a publisher switches client library.
bool values_equal(const amqp::FieldValue& a, const amqp::FieldValue& b) {
    auto ia = a.integer(), ib = b.integer();
    if (ia && ib) return *ia == *ib;
    const std::string *sa = a.string(), *sb = b.string();
    if (sa && sb) return *sa == *sb;
    return a == b;
}

// The one exchange type without an index: whether a binding matches depends on the message's
// headers, so every publish checks every binding - the cost the course notes hint at when they call
// headers routing "flexible": it is also the slowest. Few bindings per headers exchange keep it cheap.
class HeadersExchange final : public Exchange {
public:
    using Exchange::Exchange;
    std::string_view type() const override { return "headers"; }

    void route(const RoutingInput& input, std::vector<const Binding*>& out) const override {
        if (bindings().empty()) return;
        const amqp::FieldTable& headers = input.headers();
        for (const auto& binding : bindings())
            if (binding_matches(binding->arguments, headers)) out.push_back(binding.get());
    }

    static bool binding_matches(const amqp::FieldTable& args, const amqp::FieldTable& headers) {
        std::string_view mode = "all";
        if (const auto* x_match = args.find("x-match"))
            if (const std::string* text = x_match->string()) mode = *text;
        const bool any = mode == "any" || mode == "any-with-x";
        const bool with_x = mode.ends_with("-with-x");
        for (const auto& [name, wanted] : args.entries) {
            if (name == "x-match" || (!with_x && name.starts_with("x-"))) continue;
            const amqp::FieldValue* actual = headers.find(name);
            bool match = actual && (std::holds_alternative<amqp::Void>(wanted.value) || values_equal(wanted, *actual));
            if (any && match) return true;
            if (!any && !match) return false;
        }
        // all: nothing failed (so a binding listing no headers matches everything); any: nothing matched.
        return !any;
    }

protected:
    void index(const Binding&) override {}  // matching needs the message's headers: scan the list
    void unindex(const Binding&) override {}
};

}  // namespace

std::unique_ptr<Exchange> make_headers_exchange(std::string name, bool durable, bool auto_delete, bool internal,
                                                amqp::FieldTable arguments) {
    return std::make_unique<HeadersExchange>(std::move(name), durable, auto_delete, internal, std::move(arguments));
}

}  // namespace minirabbit
