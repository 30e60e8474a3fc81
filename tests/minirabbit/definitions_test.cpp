// definitions.json on disk without sockets: the checksum catches a flipped byte anywhere (the
// broker refuses to start and names the byte), files from before the checksum still load, and
// --repair keeps what still parses after taking a backup.
#include "storage/definitions.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "model/broker.hpp"

using namespace minirabbit;
namespace fs = std::filesystem;

namespace {

struct DefinitionsTest : ::testing::Test {
    fs::path dir = fs::temp_directory_path() / ("minirabbit-defs-" + std::to_string(std::random_device{}()));
    fs::path file = dir / "definitions.json";
    void SetUp() override {
        fs::create_directories(dir);
        Broker broker;
        Vhost& vhost = broker.add_vhost("/");
        broker.users().put_user("guest", "guest", {"administrator"});
        std::string bad, error;
        auto q = std::make_shared<Queue>(vhost, "invoices", true, false, false, amqp::FieldTable{},
                                         *QueueArguments::parse({}, bad, error), 0);
        q->store_id = 7;
        vhost.add_queue(q);
        save_definitions(broker, dir.string());
    }
    void TearDown() override { fs::remove_all(dir); }
    std::string read() {
        std::ifstream in(file, std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), {});
    }
    void write(const std::string& bytes) { std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes; }
    // Loads into a fresh broker: "" when it worked, else the error.
    std::string load(Broker& broker) {
        try {
            EXPECT_TRUE(load_definitions(broker, dir.string()));
            return "";
        } catch (const std::runtime_error& e) {
            return e.what();
        }
    }
};

}  // namespace

TEST_F(DefinitionsTest, SavedFileIsChecksummedJsonAndLoads) {
    std::string text = read();
    EXPECT_TRUE(text.starts_with(R"({"minirabbit_checksum":"crc32c:)")) << text;
    Broker broker;
    EXPECT_EQ(load(broker), "");
    ASSERT_NE(broker.find_vhost("/"), nullptr);
    EXPECT_NE(broker.find_vhost("/")->find_queue("invoices"), nullptr);
}

// Every byte position, flipped: never loaded, always a message with the file and a byte offset
// no later than the flip (a checksum cannot point closer than the start of what it covers).
TEST_F(DefinitionsTest, AFlipAnywhereRefusesNamingFileAndOffset) {
    const std::string good = read();
    for (size_t pos = 0; pos < good.size(); ++pos) {
        std::string bytes = good;
        bytes[pos] ^= 0x01;
        write(bytes);
        Broker broker;
        std::string error = load(broker);
        ASSERT_NE(error, "") << "flip at " << pos << " was loaded";
        EXPECT_NE(error.find(file.string() + ": corrupt at byte "), std::string::npos) << error;
        size_t offset = std::stoul(error.substr(error.find("at byte ") + 8));
        EXPECT_LE(offset, std::max<size_t>(pos, 42)) << error;
    }
}

TEST_F(DefinitionsTest, AFileWithoutChecksumFromAnOlderVersionStillLoads) {
    std::string text = read();
    DefinitionsCheck check = check_definitions(text);
    ASSERT_TRUE(check.ok);
    write(check.json);  // what older versions wrote: the same JSON, no checksum member
    Broker broker;
    EXPECT_EQ(load(broker), "");
    EXPECT_NE(broker.find_vhost("/")->find_queue("invoices"), nullptr);
}

TEST_F(DefinitionsTest, RepairKeepsJsonThatStillParsesWithANewChecksum) {
    std::string bytes = read();
    size_t name = bytes.find("invoices");
    bytes[name] = 'X';  // the flip lands in a name: still JSON, but not what was saved
    write(bytes);
    RepairOutcome r = repair_definitions(dir.string());
    EXPECT_TRUE(r.damaged);
    EXPECT_TRUE(r.repaired);
    std::ifstream backup(dir / "definitions.json.corrupt", std::ios::binary);
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(backup), {}), bytes);
    Broker broker;
    EXPECT_EQ(load(broker), "");
    EXPECT_NE(broker.find_vhost("/")->find_queue("Xnvoices"), nullptr);
    EXPECT_FALSE(repair_definitions(dir.string()).damaged);
}

TEST_F(DefinitionsTest, RepairLeavesJsonThatDoesNotParseToAPerson) {
    std::string bytes = read();
    bytes[bytes.find('[')] = '#';
    write(bytes);
    RepairOutcome r = repair_definitions(dir.string());
    EXPECT_TRUE(r.damaged);
    EXPECT_FALSE(r.repaired);
    EXPECT_EQ(read(), bytes);  // untouched
    EXPECT_TRUE(fs::exists(dir / "definitions.json.corrupt"));
}
