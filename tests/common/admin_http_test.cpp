// The admin endpoint's shared pieces, without a socket: the /api/trace switch all three servers
// use, and the HTTP Basic credentials they check before changing anything.
#include "admin_http.hpp"

#include <gtest/gtest.h>

#include "base64.hpp"

namespace {

mb::HttpRequest put(std::string_view body) { return {"PUT", "/api/trace", body, {}}; }

TEST(TraceSwitch, GetAnswersTheCurrentState) {
    bool tracing = true;
    auto response = mb::trace_switch({"GET", "/api/trace", {}, {}}, tracing);
    EXPECT_EQ(response.status, 200u);
    EXPECT_EQ(response.body, R"({"trace":true})");
    EXPECT_TRUE(tracing);
}

TEST(TraceSwitch, PutReadsTheJsonMemberNotTheWordTrueAnywhere) {
    bool tracing = false;
    EXPECT_EQ(mb::trace_switch(put(R"({"trace":true})"), tracing).body, R"({"trace":true})");
    EXPECT_TRUE(tracing);
    // A string search for "true" would switch this on; it is a request to switch off.
    EXPECT_EQ(mb::trace_switch(put(R"({"trace":false,"note":"true"})"), tracing).body, R"({"trace":false})");
    EXPECT_FALSE(tracing);
}

TEST(TraceSwitch, AnythingButABooleanIsABadRequestAndChangesNothing) {
    bool tracing = false;
    for (std::string_view body : {"", "true", R"({"trace":"true"})", R"({"trace":1})", R"({"other":true})",
                                  R"(["trace",true])", R"({"trace":true)"}) {
        EXPECT_EQ(mb::trace_switch(put(body), tracing).status, 400u) << body;
        EXPECT_FALSE(tracing) << body;
    }
    EXPECT_EQ(mb::trace_switch({"DELETE", "/api/trace", {}, {}}, tracing).status, 405u);
}

TEST(BasicCredentials, DecodesUserAndPassword) {
    auto header = "Basic " + mb::base64_encode("default:pa:ss");
    auto credentials = mb::basic_credentials(header);
    ASSERT_TRUE(credentials);
    EXPECT_EQ(credentials->user, "default");
    EXPECT_EQ(credentials->password, "pa:ss");  // only the first colon separates
    EXPECT_FALSE(mb::basic_credentials(""));
    EXPECT_FALSE(mb::basic_credentials("Bearer abc"));
    EXPECT_FALSE(mb::basic_credentials("Basic " + mb::base64_encode("no-colon")));
}

TEST(SameSecret, MatchesOnlyTheWholeSecret) {
    EXPECT_TRUE(mb::same_secret("s3cret", "s3cret"));
    EXPECT_FALSE(mb::same_secret("s3cre", "s3cret"));
    EXPECT_FALSE(mb::same_secret("s3cretX", "s3cret"));
    EXPECT_FALSE(mb::same_secret("s3creT", "s3cret"));
    EXPECT_FALSE(mb::same_secret("", ""));  // no password configured is never "matched"
}

}  // namespace
