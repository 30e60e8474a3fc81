// The name index alone (model/name_index.hpp): the flat hash table the vhost finds queues and
// exchanges by name with. Collisions, deletions in the middle of a probe run, replacement, growth.
#include "model/name_index.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <set>
#include <string>

using namespace minirabbit;

namespace {

struct Named {
    std::string text;
    const std::string& name() const { return text; }
};

// A Named that counts how often anyone reads its name: reading the name is reading the object
// (and, for a name over 15 bytes, the heap block holding its characters).
int name_reads = 0;
struct Counted {
    std::string text;
    const std::string& name() const {
        ++name_reads;
        return text;
    }
};

}  // namespace

TEST(NameIndex, FindsWhatWasInsertedAndNothingElse) {
    NameIndex<Named> index;
    Named a{"orders"}, b{"invoices"};
    EXPECT_EQ(index.find("orders"), nullptr);
    index.insert(&a);
    index.insert(&b);
    EXPECT_EQ(index.find("orders"), &a);
    EXPECT_EQ(index.find("invoices"), &b);
    EXPECT_EQ(index.find("order"), nullptr);
    EXPECT_EQ(index.find(""), nullptr);
    EXPECT_EQ(index.size(), 2u);
}

TEST(NameIndex, InsertingTheSameNameReplaces) {
    NameIndex<Named> index;
    Named old_one{"q"}, new_one{"q"};
    index.insert(&old_one);
    index.insert(&new_one);
    EXPECT_EQ(index.find("q"), &new_one);
    EXPECT_EQ(index.size(), 1u);
}

// Random inserts and deletes against std::set as the reference: deleting from the middle of a
// probe run (backward shift) must leave every other name reachable. Thousands of names in a table
// that grows from 16 slots make long runs and wrap-arounds at the end of the array.
TEST(NameIndex, AgreesWithASetThroughRandomInsertsAndDeletes) {
    std::vector<std::unique_ptr<Named>> objects;
    for (int i = 0; i < 3000; ++i) objects.push_back(std::make_unique<Named>(Named{"queue-" + std::to_string(i)}));
    NameIndex<Named> index;
    std::set<int> present;
    std::mt19937 random(24);
    for (int step = 0; step < 40000; ++step) {
        int i = static_cast<int>(random() % objects.size());
        if (random() % 3 == 0) {
            index.erase(objects[static_cast<size_t>(i)]->name());
            present.erase(i);
        } else {
            index.insert(objects[static_cast<size_t>(i)].get());
            present.insert(i);
        }
    }
    EXPECT_EQ(index.size(), present.size());
    EXPECT_LE(index.size() * 2, index.capacity());  // at most half full: probe runs stay short
    for (size_t i = 0; i < objects.size(); ++i)
        EXPECT_EQ(index.find(objects[i]->name()), present.count(static_cast<int>(i)) ? objects[i].get() : nullptr)
            << objects[i]->name();
    for (int i : std::set<int>(present)) index.erase(objects[static_cast<size_t>(i)]->name());
    EXPECT_EQ(index.size(), 0u);
    EXPECT_EQ(index.find("queue-1"), nullptr);
}

// What a lookup reads, counted instead of timed: the slot, and an object's name only where the
// full 64-bit hashes agree - once per hit, never for a miss, however long the probe run. The names
// are the spread benchmark's ("bench-spread-0" ... "bench-spread-9999"); misses land on occupied
// slots often (the table is up to half full), so comparing names without the hash first fails here.
TEST(NameIndex, ALookupReadsOneObjectNameAndOnlyWhereTheHashesAgree) {
    std::vector<std::unique_ptr<Counted>> objects;
    for (int i = 0; i < 10000; ++i)
        objects.push_back(std::make_unique<Counted>(Counted{"bench-spread-" + std::to_string(i)}));
    NameIndex<Counted> index;
    for (const auto& object : objects) index.insert(object.get());
    name_reads = 0;
    for (const auto& object : objects) ASSERT_EQ(index.find(object->text), object.get()) << object->text;
    EXPECT_EQ(name_reads, 10000);
    name_reads = 0;
    for (int i = 0; i < 10000; ++i) ASSERT_EQ(index.find("bench-spread-x" + std::to_string(i)), nullptr);
    EXPECT_EQ(name_reads, 0);
}
