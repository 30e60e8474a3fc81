// miniredis/model/value.cpp
//
// Value: the names of the types, as TYPE and error messages spell them.
//
// CONCEPT: see value.hpp. The type names are part of the protocol (TYPE's reply, and the WRONGTYPE
// errors clients match on), so they are spelled here once.
// READ NEXT: commands/context.cpp (WRONGTYPE).
#include "value.hpp"

namespace miniredis {

// TYPE's answers. "none" for a missing key comes from the caller; a switch over every Type (no
// default) makes the compiler warn - and -Werror stop the build - when a new type is added without
// a name here.
std::string_view type_name(Type type) {
    switch (type) {
        case Type::string:
            return "string";
        case Type::list:
            return "list";
        case Type::hash:
            return "hash";
        case Type::set:
            return "set";
        case Type::zset:
            return "zset";
        case Type::stream:
            return "stream";
    }
    return "none";
}

}  // namespace miniredis

namespace miniredis {

// A deep copy, for COPY: afterwards the two keys share nothing and change independently. Each type
// is rebuilt through its own insert path (not copied byte for byte) so the copy's internal links -
// the zset's dict pointing into its own skiplist, a stream group's consumers - point at the copy.
Value clone(Value& value) {
    switch (value.type()) {
        case Type::string:
            return Value::of_string(*value.string());
        case Type::list:
            return Value{std::make_unique<List>(*value.list())};
        case Type::hash: {
            auto copy = Value::of<Hash>();
            value.hash()->for_each([&](const Hash::Entry& e) { copy.hash()->insert(e.key).first->value = e.value; });
            return copy;
        }
        case Type::set: {
            auto copy = Value::of<Set>();
            value.set()->for_each([&](const Set::Entry& e) { copy.set()->insert(e.key); });
            return copy;
        }
        case Type::zset: {
            auto copy = Value::of<ZSet>();
            copy.zset()->set_listpack(value.zset()->listpack());  // same encoding, same -0 rule
            for (auto* n = value.zset()->first(); n; n = n->next()) copy.zset()->set(n->member, n->score);
            return copy;
        }
        case Type::stream:
            return Value{value.stream()->clone()};
    }
    return Value{};
}

}  // namespace miniredis
