// The message journal without sockets: what is recovered after acks, after compaction, and after a
// crash that cut the file at every possible byte (a torn tail must be dropped, never misread).
#include "storage/journal.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "model/broker.hpp"
#include "protocol/content_header.hpp"

using namespace minirabbit;
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
    std::string three_records(size_t& record_size);
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

// Three persistent messages on disk; returns the file and the size of one record (all equal).
std::string JournalTest::three_records(size_t& record_size) {
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
    record_size = (bytes.size() - 8) / 3;
    return bytes;
}

// A flipped byte anywhere in a record that valid records follow is corruption: recovery refuses,
// names the file and the record's first byte, and leaves the file exactly as it was.
TEST_F(JournalTest, AFlipInTheMiddleRefusesToStartAndChangesNothing) {
    size_t size = 0;
    const std::string good = three_records(size);
    struct Case {
        const char* where;
        size_t record, at;  // record index, byte within it
    };
    const Case cases[] = {{"length, high byte", 1, 0},  {"length, low byte", 1, 3}, {"checksum", 1, 5},
                          {"record type", 1, 8},        {"queue id", 1, 12},        {"body", 1, size - 1},
                          {"first record", 0, size / 2}};
    for (const Case& c : cases) {
        std::string bytes = good;
        size_t record_start = 8 + c.record * size;
        bytes[record_start + c.at] ^= 0x5A;
        std::ofstream(dir / "journal.log", std::ios::binary | std::ios::trunc) << bytes;
        auto broker = make_broker();
        Journal journal(dir.string());
        try {
            journal.recover(*broker);
            ADD_FAILURE() << c.where << ": recovered from a corrupt journal";
        } catch (const std::runtime_error& e) {
            std::string message = e.what();
            EXPECT_NE(message.find((dir / "journal.log").string()), std::string::npos) << message;
            EXPECT_NE(message.find("corrupt at byte " + std::to_string(record_start) + ":"), std::string::npos)
                << c.where << ": " << message;
            EXPECT_NE(message.find("--repair"), std::string::npos) << message;
        }
        EXPECT_EQ(journal_bytes(), bytes) << c.where << ": the evidence was rewritten";
    }
}

// The last record damaged, nothing valid after it: a crash cannot be told from a flip there, so it
// is a torn tail like any other (the same rule as Kafka's and Redis' recovery).
TEST_F(JournalTest, ABadLastRecordIsATornTail) {
    size_t size = 0;
    std::string bytes = three_records(size);
    bytes[8 + 2 * size + 20] ^= 0x5A;
    std::ofstream(dir / "journal.log", std::ios::binary | std::ios::trunc) << bytes;
    auto broker = make_broker();
    Journal journal(dir.string());
    auto stats = journal.recover(*broker);
    EXPECT_EQ(stats.torn_bytes, size);
    EXPECT_EQ(drain(jobs(*broker)), (std::vector<std::string>{"m0", "m1"}));
}

TEST_F(JournalTest, TrailingZerosAreATornTail) {
    size_t size = 0;
    std::string bytes = three_records(size) + std::string(4096, '\0');  // a crash extended the file
    std::ofstream(dir / "journal.log", std::ios::binary | std::ios::trunc) << bytes;
    auto broker = make_broker();
    Journal journal(dir.string());
    EXPECT_EQ(journal.recover(*broker).torn_bytes, 4096u);
    EXPECT_EQ(drain(jobs(*broker)).size(), 3u);
}

// --repair: backup first (never over an older backup), cut at the bad record, report the loss;
// the next start recovers everything before the damage.
TEST_F(JournalTest, RepairCutsAtTheBadRecordAndKeepsABackup) {
    size_t size = 0;
    std::string bytes = three_records(size);
    bytes[8 + size + size / 2] ^= 0x5A;
    std::ofstream(dir / "journal.log", std::ios::binary | std::ios::trunc) << bytes;
    std::ofstream(dir / "journal.log.corrupt") << "an older backup";

    RepairOutcome r = repair_journal(dir.string());
    EXPECT_TRUE(r.damaged);
    EXPECT_TRUE(r.repaired);
    EXPECT_EQ(r.offset, 8 + size);
    EXPECT_EQ(r.bytes_cut, 2 * size);
    EXPECT_EQ(r.records_cut, 1u);  // m2's record: m1's is the damaged one
    EXPECT_EQ(r.backup, (dir / "journal.log.corrupt.1").string());
    std::ifstream older(dir / "journal.log.corrupt");
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(older), {}), "an older backup");
    std::ifstream backup(r.backup, std::ios::binary);
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(backup), {}), bytes);
    EXPECT_EQ(journal_bytes(), bytes.substr(0, 8 + size));

    auto broker = make_broker();
    Journal journal(dir.string());
    EXPECT_EQ(journal.recover(*broker).torn_bytes, 0u);
    EXPECT_EQ(drain(jobs(*broker)), std::vector<std::string>{"m0"});
    journal.stop();
    EXPECT_FALSE(repair_journal(dir.string()).damaged);  // a clean journal is left alone
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

// Restart cost: a journal whose messages are all still queued is replayed and then appended to in
// place - not copied into a fresh file (which doubled the disk traffic of every restart). The
// same inode proves no rewrite happened; what is appended afterwards is recovered after the rest.
TEST_F(JournalTest, AnIntactJournalIsAppendedToNotRewritten) {
    size_t record_size = 0;
    const std::string before = three_records(record_size);
    struct stat st_before {};
    ASSERT_EQ(::stat((dir / "journal.log").c_str(), &st_before), 0);
    {
        auto broker = make_broker();
        Journal journal(dir.string());
        auto stats = journal.recover(*broker);
        EXPECT_EQ(stats.messages, 3u);
        EXPECT_FALSE(stats.rewritten);
        EXPECT_EQ(journal_bytes(), before);  // untouched by the recovery itself
        broker->set_store(&journal);
        journal.start(nullptr);
        jobs(*broker).publish(persistent("after restart"));
        journal.stop();
        broker->set_store(nullptr);
    }
    struct stat st_after {};
    ASSERT_EQ(::stat((dir / "journal.log").c_str(), &st_after), 0);
    EXPECT_EQ(st_after.st_ino, st_before.st_ino);  // the same file, grown
    auto broker = make_broker();
    Journal journal(dir.string());
    journal.recover(*broker);
    EXPECT_EQ(drain(jobs(*broker)), (std::vector<std::string>{"m0", "m1", "m2", "after restart"}));
}

// Without a rewrite, a torn tail must be cut off in place before anything is appended: a record
// written after the half one would make it corruption in the middle of the file, and the next
// start would refuse to run.
TEST_F(JournalTest, ATornTailIsCutInPlaceBeforeAppending) {
    size_t record_size = 0;
    const std::string bytes = three_records(record_size);
    {
        std::ofstream out(dir / "journal.log", std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size() - record_size / 2));
    }
    {
        auto broker = make_broker();
        Journal journal(dir.string());
        auto stats = journal.recover(*broker);
        EXPECT_EQ(stats.messages, 2u);
        EXPECT_GT(stats.torn_bytes, 0u);
        EXPECT_EQ(journal_bytes(), bytes.substr(0, bytes.size() - record_size));  // cut at the last whole record
        broker->set_store(&journal);
        journal.start(nullptr);
        jobs(*broker).publish(persistent("after the cut"));
        journal.stop();
        broker->set_store(nullptr);
    }
    auto broker = make_broker();
    Journal journal(dir.string());
    auto stats = journal.recover(*broker);  // throws if the half record were still in the middle
    EXPECT_EQ(stats.torn_bytes, 0u);
    EXPECT_EQ(drain(jobs(*broker)), (std::vector<std::string>{"m0", "m1", "after the cut"}));
}

// Messages of a queue that is gone (its definition lost, no queue-deleted record) force the
// rewrite: left in the file, they would come back in whatever queue is later given their store id.
TEST_F(JournalTest, MessagesOfAVanishedQueueAreRewrittenAway) {
    size_t record_size = 0;
    three_records(record_size);
    {
        Broker empty;  // no queue with store id 7 any more
        empty.add_vhost("/");
        Journal journal(dir.string());
        EXPECT_TRUE(journal.recover(empty).rewritten);
        journal.stop();
    }
    EXPECT_EQ(journal_bytes(), "MRJOURN1");
    auto broker = make_broker();  // a queue given store id 7 again
    Journal journal(dir.string());
    EXPECT_EQ(journal.recover(*broker).messages, 0u);
}

// ---- Bodies out of RAM (issue 24): a queue longer than its body budget --------------------------

namespace {

// 4 KB bodies, each different (its number first), so a body read back from the wrong record shows.
std::string body_of(int i) {
    std::string body = std::to_string(i) + ":";
    body.resize(4096, static_cast<char>('a' + i % 26));
    return body;
}

// The sync thread's fsync covers what was appended: then every record can be read back.
void wait_until_synced(Journal& journal) {
    journal.flush();
    while (journal.synced() < journal.appended()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

}  // namespace

// 2,000 persistent 4 KB messages (8 MB of bodies) into a queue that may keep 64 KB of bodies in RAM:
// once their records are on disk, the bodies past the budget leave memory (the message bytes the
// memory alarm and the API count stay near the budget plus a small header per message), and a
// consumer still gets every body, in order, read back from the journal. Without paging the queue
// holds all 8 MB.
TEST_F(JournalTest, AQueueOverItsBodyBudgetKeepsBodiesOnDiskAndDeliversThemInOrder) {
    auto broker = make_broker();
    broker->queue_body_budget = 64 << 10;
    Journal journal(dir.string());
    journal.recover(*broker);
    broker->set_store(&journal);
    journal.start(nullptr);
    Queue& q = jobs(*broker);
    const size_t before = Message::live_bytes();
    constexpr int kMessages = 2000;
    for (int i = 0; i < kMessages; ++i) q.publish(persistent(body_of(i)));
    wait_until_synced(journal);
    broker->page_out(journal);                    // what the server does after each fsync
    EXPECT_GE(q.paged_count(), kMessages - 17u);  // all but the first 64 KB worth
    EXPECT_EQ(q.ready_count(), size_t{kMessages});
    EXPECT_EQ(q.ready_bytes(), uint64_t{kMessages} * 4096);  // limits still count every body
    const size_t held = Message::live_bytes() - before;
    EXPECT_LT(held, (64u << 10) + 4096u + kMessages * 128u) << "bytes of messages in RAM";  // not 8 MB
    for (int i = 0; i < kMessages; ++i) {
        auto m = q.get();
        ASSERT_TRUE(m);
        ASSERT_EQ(m->message->body(), body_of(i)) << "message " << i;
        q.ack(*m);
    }
    EXPECT_FALSE(q.get().has_value());
    EXPECT_EQ(q.paged_count(), 0u);
    journal.stop();
    broker->set_store(nullptr);
}

// Paged bodies survive what moves records around: a compaction (their records are copied from the
// old file into the new one and their offsets follow) and a restart (recovery pages the queue out
// past its budget again, so a deep durable queue does not come back into RAM).
TEST_F(JournalTest, PagedBodiesSurviveCompactionAndRestart) {
    constexpr int kMessages = 600;
    {
        auto broker = make_broker();
        broker->queue_body_budget = 16 << 10;
        Journal journal(dir.string(), 4096);  // compact early for the test
        journal.recover(*broker);
        broker->set_store(&journal);
        journal.start(nullptr);
        Queue& q = jobs(*broker);
        for (int i = 0; i < kMessages; ++i) q.publish(persistent(body_of(i)));
        wait_until_synced(journal);
        broker->page_out(journal);
        ASSERT_GT(q.paged_count(), size_t{kMessages} / 2);
        for (int i = 0; i < kMessages * 4 / 5; ++i) q.ack(*q.get());  // 80 % garbage: compaction is due
        wait_until_synced(journal);
        const uint64_t before = journal.file_bytes();
        journal.compact_if_needed();
        ASSERT_LT(journal.file_bytes(), before / 3);
        EXPECT_GT(journal.paged_messages(), 0u);
        for (int i = kMessages * 4 / 5; i < kMessages * 9 / 10; ++i) {  // read back from the new file
            auto m = q.get();
            ASSERT_TRUE(m);
            ASSERT_EQ(m->message->body(), body_of(i));
            q.ack(*m);
        }
        journal.stop();
        broker->set_store(nullptr);
    }
    auto broker = make_broker();
    broker->queue_body_budget = 16 << 10;
    Journal journal(dir.string());
    const size_t before = Message::live_bytes();
    EXPECT_EQ(journal.recover(*broker).messages, size_t{kMessages} / 10);
    Queue& q = jobs(*broker);
    EXPECT_GE(q.paged_count(), size_t{kMessages} / 10 - 5);  // paged again past 16 KB
    EXPECT_LT(Message::live_bytes() - before, (16u << 10) + 4096u + kMessages * 128u);
    broker->set_store(&journal);
    journal.start(nullptr);
    for (int i = kMessages * 9 / 10; i < kMessages; ++i) {
        auto m = q.get();
        ASSERT_TRUE(m);
        EXPECT_EQ(m->message->body(), body_of(i));
        q.ack(*m);
    }
    journal.stop();
    broker->set_store(nullptr);
}
