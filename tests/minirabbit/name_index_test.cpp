// The name index alone (model/name_index.hpp): the flat hash table the vhost finds queues and
// exchanges by name with. Collisions, deletions in the middle of a probe run, replacement, growth,
// and what a lookup reads: one slot (one cache line), not the object, unless the name is too long.
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

// A Named that counts how often anyone reads its name: a read of the object's name is a read of
// the object (and, for a name over 15 bytes, of the heap block holding its characters).
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
    Named unnamed{""};  // the default exchange's name
    index.insert(&unnamed);
    EXPECT_EQ(index.find(""), &unnamed);
    EXPECT_EQ(index.find("orders"), &a);
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
    // Every seventh name is too long for its slot (compared through the object), so replacing,
    // shifting back and finding work the same for both kinds.
    for (int i = 0; i < 3000; ++i)
        objects.push_back(std::make_unique<Named>(
            Named{(i % 7 ? "queue-" : "a-queue-whose-name-is-longer-than-any-slot-holds-") + std::to_string(i)}));
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

// A slot is exactly one cache line and starts on one, so reading a slot is one line from RAM.
TEST(NameIndex, ASlotIsOneCacheLine) {
    EXPECT_EQ(NameIndex<Named>::slot_bytes(), 64u);
    EXPECT_EQ(NameIndex<Named>::slot_alignment(), 64u);
    EXPECT_EQ(NameIndex<Named>::kInlineName, 47u);  // what is left after hash, pointer and length
}

// The property the benchmark's curve depends on, counted instead of timed: finding a name that
// fits its slot reads the slot and nothing of the object. The names are the spread benchmark's
// ("bench-spread-0" ... "bench-spread-9999": 14 to 17 bytes, so most of them live in a heap block
// of their own inside std::string) plus ones of exactly 47 bytes. Only a name over 47 bytes is
// compared through the object, once per hit, and a miss never reads an object.
TEST(NameIndex, FindingANameThatFitsItsSlotDoesNotReadTheObject) {
    std::vector<std::unique_ptr<Counted>> objects;
    for (int i = 0; i < 10000; ++i)
        objects.push_back(std::make_unique<Counted>(Counted{"bench-spread-" + std::to_string(i)}));
    const std::string longest = std::string(47 - 5, 'x');
    for (int i = 0; i < 100; ++i)
        objects.push_back(std::make_unique<Counted>(Counted{longest + std::to_string(10000 + i)}));
    ASSERT_EQ(objects.back()->text.size(), 47u);
    NameIndex<Counted> index;
    for (const auto& object : objects) index.insert(object.get());

    name_reads = 0;
    for (const auto& object : objects) ASSERT_EQ(index.find(object->text), object.get()) << object->text;
    EXPECT_EQ(name_reads, 0);
    EXPECT_EQ(index.out_of_slot_compares(), 0u);
    for (int i = 0; i < 1000; ++i) EXPECT_EQ(index.find("bench-spread-x" + std::to_string(i)), nullptr);
    EXPECT_EQ(name_reads, 0);

    // 48 bytes: one more than a slot holds. Found through one comparison with the object's name.
    Counted too_long{std::string(48, 'y')};
    index.insert(&too_long);
    name_reads = 0;
    EXPECT_EQ(index.find(too_long.text), &too_long);
    EXPECT_EQ(index.find(std::string(48, 'z')), nullptr);
    EXPECT_EQ(name_reads, 1);
    EXPECT_EQ(index.out_of_slot_compares(), 1u);
    index.erase(objects[1234]->text);
    EXPECT_EQ(index.find(objects[1234]->text), nullptr);
    EXPECT_EQ(index.find(too_long.text), &too_long);
}
