// Options: defaults, --name value / --name=value, config files, validation, and name folding.
#include "options.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <vector>

using mb::OptionError;
using mb::OptionKind;
using mb::Options;
using mb::OptionSpec;

namespace {
constexpr OptionSpec kSpecs[] = {
    {"port", "6379", "port", OptionKind::integer, 0, 65535},
    {"appendfsync", "everysec", "fsync policy", OptionKind::choice, 0, 0, "always|everysec|no"},
    {"appendonly", "no", "AOF on/off", OptionKind::boolean},
    {"maxmemory", "0", "memory limit", OptionKind::bytes},
    {"log.segment.bytes", "1073741824", "segment size", OptionKind::integer, 1},
    {"dir", ".", "data directory"},
};

bool parse(Options& o, std::vector<const char*> args) {
    args.insert(args.begin(), "prog");
    return o.parse(kSpecs, static_cast<int>(args.size()), args.data(), "prog", "[options]");
}
}  // namespace

TEST(Options, DefaultsApplyWhenNothingIsGiven) {
    Options o;
    ASSERT_TRUE(parse(o, {}));
    EXPECT_EQ(o.integer("port"), 6379);
    EXPECT_EQ(o.text("appendfsync"), "everysec");
    EXPECT_FALSE(o.boolean("appendonly"));
    EXPECT_FALSE(o.is_set_explicitly("port"));
}

TEST(Options, BothSpellingsOfAValue) {
    Options o;
    ASSERT_TRUE(parse(o, {"--port", "0", "--appendonly=yes", "--maxmemory", "64mb"}));
    EXPECT_EQ(o.integer("port"), 0);
    EXPECT_TRUE(o.boolean("appendonly"));
    EXPECT_EQ(o.integer("maxmemory"), 64 << 20);
    EXPECT_TRUE(o.is_set_explicitly("port"));
}

TEST(Options, DashesDotsAndUnderscoresAreTheSameName) {
    Options o;
    ASSERT_TRUE(parse(o, {"--log-segment-bytes", "1024"}));
    EXPECT_EQ(o.integer("log.segment.bytes"), 1024);
    EXPECT_EQ(o.integer("log_segment_bytes"), 1024);
}

TEST(Options, RejectsUnknownNamesAndBadValues) {
    Options a;
    EXPECT_THROW(parse(a, {"--nope", "1"}), OptionError);
    Options b;
    EXPECT_THROW(parse(b, {"--port", "abc"}), OptionError);
    Options c;
    EXPECT_THROW(parse(c, {"--port", "65536"}), OptionError);
    Options d;
    EXPECT_THROW(parse(d, {"--appendfsync", "sometimes"}), OptionError);
    Options e;
    EXPECT_THROW(parse(e, {"--port"}), OptionError);
    Options f;
    EXPECT_THROW(parse(f, {"--log.segment.bytes", "0"}), OptionError);
    try {
        Options g;
        parse(g, {"--port", "x"});
    } catch (const OptionError& err) {
        EXPECT_STREQ(err.what(), "bad value 'x' for 'port': expected an integer");
    }
}

TEST(Options, HelpIsNotAnError) {
    Options o;
    EXPECT_FALSE(parse(o, {"--help"}));
    EXPECT_NE(o.help_text().find("--appendfsync always|everysec|no"), std::string::npos);
}

TEST(Options, ConfigFileThenCommandLineOverrides) {
    std::string path = testing::TempDir() + "options_test.conf";
    {
        std::ofstream f(path);
        f << "# a comment\n\nport 7000\nlog.segment.bytes=2048\nappendfsync always\ndir \"\"\n";
    }
    Options o;
    ASSERT_TRUE(parse(o, {path.c_str(), "--port", "7001"}));
    EXPECT_EQ(o.integer("port"), 7001);
    EXPECT_EQ(o.integer("log.segment.bytes"), 2048);
    EXPECT_EQ(o.text("appendfsync"), "always");
    EXPECT_EQ(o.text("dir"), "");
    std::remove(path.c_str());
}

TEST(Options, ConfigFileErrorsNameTheLine) {
    std::string path = testing::TempDir() + "options_bad.conf";
    {
        std::ofstream f(path);
        f << "port 1\nbogus 2\n";
    }
    Options o;
    try {
        parse(o, {path.c_str()});
        FAIL() << "expected an OptionError";
    } catch (const OptionError& e) {
        EXPECT_NE(std::string(e.what()).find(":2: unknown option 'bogus'"), std::string::npos) << e.what();
    }
    std::remove(path.c_str());
}

TEST(Options, ByteUnitsFollowRedis) {
    EXPECT_EQ(Options::parse_bytes("1k"), 1000);
    EXPECT_EQ(Options::parse_bytes("1kb"), 1024);
    EXPECT_EQ(Options::parse_bytes("2GB"), 2LL << 30);
    EXPECT_EQ(Options::parse_bytes("12"), 12);
    EXPECT_FALSE(Options::parse_bytes("-1"));
    EXPECT_FALSE(Options::parse_bytes("mb"));
    EXPECT_FALSE(Options::parse_bytes("99999999999gb"));
}
