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
