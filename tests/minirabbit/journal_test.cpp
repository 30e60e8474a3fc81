// The message journal without sockets: what is recovered after acks, after compaction, and after a
// crash that cut the file at every possible byte (a torn tail must be dropped, never misread).
#include "storage/journal.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "model/broker.hpp"
#include "protocol/content_header.hpp"

using namespace rabbit;
namespace fs = std::filesystem;

namespace {

struct JournalTest : ::testing::Test {
    fs::path dir = fs::temp_directory_path() / ("minirabbit-journal-" + std::to_string(std::random_device{}()));
    void SetUp() override { fs::create_directories(dir); }
    void TearDown() override { fs::remove_all(dir); }

    // A broker with one durable queue (store id 7), as definitions.json would recreate it.
    std::unique_ptr<Broker> make_broker() {
        auto broker = std::make_unique<Broker>();
        Vhost& vhost = broker->add_vhost("/");
        std::string bad, error;
        auto q = std::make_shared<Queue>(vhost, "jobs", true, false, false, amqp::FieldTable{},
                                         *QueueArguments::parse({}, bad, error), 0);
        q->store_id = 7;
        vhost.add_queue(q);
        return broker;
    }
    static Queue& jobs(Broker& broker) { return *broker.find_vhost("/")->find_queue("jobs"); }
    static MessageRef persistent(const std::string& body) {
        amqp::BasicProperties p;
        p.flags = amqp::prop::delivery_mode;
        p.delivery_mode = 2;
        mb::ByteBuffer props;
        amqp::encode_properties(props, p);
        return Message::make(Message::Fields{"", "jobs", props.readable(), body, true, 0, -1});
    }
    static std::vector<std::string> drain(Queue& q) {
        std::vector<std::string> out;
        while (auto m = q.get()) out.emplace_back(m->message->body());
        return out;
    }
    // (Not numbered("m", i): GCC 12 warns falsely about that expression at -O3.)
    static std::string numbered(std::string prefix, int i) {
        prefix += std::to_string(i);
        return prefix;
    }
    std::string journal_bytes() {
        std::ifstream in(dir / "journal.log", std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), {});
    }
};

}  // namespace

TEST_F(JournalTest, RecoversWhatWasNotAcked) {
    {
        auto broker = make_broker();
        Journal journal(dir.string());
        journal.recover(*broker);
        broker->set_store(&journal);
        journal.start(nullptr);
        Queue& q = jobs(*broker);
        for (int i = 0; i < 5; ++i) q.publish(persistent(numbered("m", i)));
        auto first = q.get();
        q.ack(*first);          // acked: gone for good
        auto second = q.get();  // delivered, never acked: must come back
        journal.stop();
        broker->set_store(nullptr);
    }
    auto broker = make_broker();
    Journal journal(dir.string());
    auto stats = journal.recover(*broker);
    EXPECT_EQ(stats.messages, 4u);
    EXPECT_EQ(stats.torn_bytes, 0u);
    EXPECT_EQ(drain(jobs(*broker)), (std::vector<std::string>{"m1", "m2", "m3", "m4"}));
}

TEST_F(JournalTest, EveryTruncationRecoversAPrefixAndNeverGarbage) {
    std::string full;
    {
        auto broker = make_broker();
        Journal journal(dir.string());
        journal.recover(*broker);
        broker->set_store(&journal);
        Queue& q = jobs(*broker);
        for (int i = 0; i < 6; ++i) q.publish(persistent(numbered("body-", i)));
        journal.stop();  // never started: writes what is buffered
        broker->set_store(nullptr);
        full = journal_bytes();
    }
    size_t previous = 0;
    for (size_t cut = 0; cut <= full.size(); ++cut) {
        {
            std::ofstream out(dir / "journal.log", std::ios::binary | std::ios::trunc);
            out.write(full.data(), static_cast<std::streamsize>(cut));
        }
        auto broker = make_broker();
        Journal journal(dir.string());
        auto stats = journal.recover(*broker);
        std::vector<std::string> got = drain(jobs(*broker));
        // A prefix of the published messages, growing with the cut, each one intact.
        ASSERT_GE(got.size(), previous) << "cut at " << cut;
        for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], numbered("body-", i)) << "cut at " << cut;
        if (cut == full.size()) {
            EXPECT_EQ(got.size(), 6u);
            EXPECT_EQ(stats.torn_bytes, 0u);
        }
        previous = got.size();
        journal.stop();
    }
}

TEST_F(JournalTest, CorruptionInTheMiddleDropsEverythingAfterIt) {
    {
        auto broker = make_broker();
        Journal journal(dir.string());
        journal.recover(*broker);
        broker->set_store(&journal);
        for (int i = 0; i < 3; ++i) jobs(*broker).publish(persistent(numbered("m", i)));
        journal.stop();
        broker->set_store(nullptr);
    }
    std::string bytes = journal_bytes();
    bytes[bytes.size() / 2] ^= 0x5A;  // flip bits inside the second record: its CRC no longer matches
    std::ofstream(dir / "journal.log", std::ios::binary | std::ios::trunc) << bytes;
    auto broker = make_broker();
    Journal journal(dir.string());
    auto stats = journal.recover(*broker);
    EXPECT_GT(stats.torn_bytes, 0u);
    EXPECT_EQ(drain(jobs(*broker)), std::vector<std::string>{"m0"});
}

TEST_F(JournalTest, CompactionKeepsOnlyLiveMessagesAndRecoveryStillWorks) {
    {
        auto broker = make_broker();
        Journal journal(dir.string(), 4096);  // compact early for the test
        journal.recover(*broker);
        broker->set_store(&journal);
        journal.start(nullptr);
        Queue& q = jobs(*broker);
        std::string big(1000, 'x');
        for (int i = 0; i < 100; ++i) {
            q.publish(persistent(numbered(big, i)));
            if (i < 95) q.ack(*q.get());  // most of the file becomes garbage
        }
        journal.flush();
        uint64_t before = journal.file_bytes();
        journal.compact_if_needed();
        EXPECT_LT(journal.file_bytes(), before / 10);
        q.publish(persistent("after compaction"));
        journal.stop();
        broker->set_store(nullptr);
        EXPECT_LT(journal_bytes().size(), 8000u);
    }
    auto broker = make_broker();
    Journal journal(dir.string());
    journal.recover(*broker);
    auto got = drain(jobs(*broker));
    ASSERT_EQ(got.size(), 6u);
    EXPECT_EQ(got.back(), "after compaction");
    EXPECT_EQ(got.front(), numbered(std::string(1000, 'x'), 95));
}

TEST_F(JournalTest, ADeletedQueuesMessagesAreNotRecovered) {
    {
        auto broker = make_broker();
        Journal journal(dir.string());
        journal.recover(*broker);
        broker->set_store(&journal);
        jobs(*broker).publish(persistent("doomed"));
        broker->find_vhost("/")->delete_queue(jobs(*broker));
        journal.stop();
        broker->set_store(nullptr);
    }
    auto broker = make_broker();  // a new queue with the same store id (as if redeclared)
    Journal journal(dir.string());
    EXPECT_EQ(journal.recover(*broker).messages, 0u);
}
