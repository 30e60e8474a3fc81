// Options: defaults, --name value / --name=value, config files, validation, and name folding.
#include "options.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <string>
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

// The originals' config files (ConfigFileRules): known-but-unimplemented names, repeatable lines,
// include, Kafka's --override, --version.
namespace {
constexpr OptionSpec kFileSpecs[] = {
    {"port", "6379", "port", OptionKind::integer, 0, 65535},
    {"save", "3600 1", "snapshot rules", OptionKind::text, INT64_MIN, INT64_MAX, {}, /*repeatable=*/true},
};
constexpr std::string_view kKnown[] = {"io-threads", "tls-*"};

std::string write_file(const std::string& name, const std::string& text) {
    std::string path = testing::TempDir() + name;
    std::ofstream(path) << text;
    return path;
}

bool parse_with_rules(Options& o, std::vector<const char*> args) {
    o.set_file_rules({kKnown, /*include=*/true});
    args.insert(args.begin(), "prog");
    return o.parse(kFileSpecs, static_cast<int>(args.size()), args.data(), "prog", "[options]");
}
}  // namespace

TEST(Options, KnownButUnimplementedNamesAreAcceptedAndSummarisedOnce) {
    std::string path = write_file("known.conf", "io-threads 4\ntls-port 0\nIO_THREADS 2\nport 7000\n");
    Options o;
    ASSERT_TRUE(parse_with_rules(o, {path.c_str(), "--tls-cert-file", "x"}));
    EXPECT_EQ(o.integer("port"), 7000);
    EXPECT_EQ(o.ignored(), (std::vector<std::string>{"io-threads", "tls-port", "tls-cert-file"}));
    EXPECT_NE(o.ignored_summary().find("3 setting(s)"), std::string::npos) << o.ignored_summary();
    // Their values are kept for CONFIG GET: the last one given, under the folded name.
    EXPECT_EQ(o.ignored_values(), (std::map<std::string, std::string, std::less<>>{
                                      {"io-threads", "2"}, {"tls-port", "0"}, {"tls-cert-file", "x"}}));
    std::string bad = write_file("unknown.conf", "port 1\nio-thread 4\n");
    Options strict;
    try {
        parse_with_rules(strict, {bad.c_str()});
        FAIL() << "a near-miss of a known name is still unknown";
    } catch (const mb::ConfigFileError& e) {
        EXPECT_EQ(e.line, 2);
        EXPECT_EQ(e.text, "io-thread 4");
    }
}

TEST(Options, RepeatableLinesAddUpAndAnEmptyOneClears) {
    std::string path = write_file("save.conf", "save 900 1\nsave 300 10\n");
    Options o;
    ASSERT_TRUE(parse_with_rules(o, {path.c_str(), "--save", "60 10000"}));
    EXPECT_EQ(o.text("save"), "900 1 300 10 60 10000");  // the first line replaced the default
    Options cleared;
    ASSERT_TRUE(parse_with_rules(cleared, {path.c_str(), "--save", ""}));
    EXPECT_EQ(cleared.text("save"), "");
}

// An alias is the same option under an old name (Redis 7's slaveof / replicaof): in a file, on
// the command line and through set(), stored under the real name.
TEST(Options, AnAliasSetsTheOptionItSpells) {
    constexpr mb::OptionAlias kOld[] = {{"old-port", "port"}};
    std::string path = write_file("alias.conf", "OLD_PORT 7002\n");
    Options o;
    o.set_file_rules({kKnown, /*include=*/true, kOld});
    std::vector<const char*> args = {"prog", path.c_str()};
    ASSERT_TRUE(o.parse(kFileSpecs, static_cast<int>(args.size()), args.data(), "prog", "[options]"));
    EXPECT_EQ(o.integer("port"), 7002);
    EXPECT_TRUE(o.ignored().empty()) << "an alias is not an ignored directive";
    o.set("old-port", "7003");
    EXPECT_EQ(o.integer("port"), 7003);
    EXPECT_EQ(o.integer("old-port"), 7003);
    EXPECT_THROW(o.set("old-por", "1"), OptionError);
}

TEST(Options, IncludeReadsTheOtherFileInPlace) {
    std::string inner = write_file("inner.conf", "port 7001\n");
    std::string outer = write_file("outer.conf", "port 7000\ninclude " + inner + "\n");
    Options o;
    ASSERT_TRUE(parse_with_rules(o, {outer.c_str()}));
    EXPECT_EQ(o.integer("port"), 7001);  // included after port 7000: it wins
    std::string loop = write_file("loop.conf", "include " + testing::TempDir() + "loop.conf\n");
    Options looping;
    EXPECT_THROW(parse_with_rules(looping, {loop.c_str()}), OptionError);
}

TEST(Options, OverrideIsKafkasSpellingOfAnOption) {
    Options o;
    ASSERT_TRUE(parse(o, {"--override", "log.segment.bytes=4096", "--port", "1"}));
    EXPECT_EQ(o.integer("log.segment.bytes"), 4096);
    EXPECT_GT(o.set_position("port"), o.set_position("log.segment.bytes"));
    EXPECT_EQ(o.set_position("dir"), 0u);
    Options bad;
    EXPECT_THROW(parse(bad, {"--override", "log.segment.bytes"}), OptionError);
}

TEST(Options, VersionIsNotAnError) {
    Options o;
    EXPECT_FALSE(parse(o, {"--version"}));
    EXPECT_TRUE(o.wants_version());
    EXPECT_EQ(mb::version_line("prog").substr(0, 5), "prog ");
}
