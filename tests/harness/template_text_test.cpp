// Peer templates: @name@ placeholders, nothing else touched, unknown names
// refused with the place they came from.
#include <gtest/gtest.h>

#include "scenario/template_text.hpp"

namespace pb::harness {
namespace {

const TemplateValues values = {{"port", "8080"}, {"dir", "/tmp/run"}, {"delay_s", "0.1"}};

TEST(TemplateText, ReplacesEveryPlaceholder) {
    EXPECT_EQ(render_template("listen 127.0.0.1:@port@; pid @dir@/nginx.pid; echo_sleep @delay_s@;", values, "t"),
              "listen 127.0.0.1:8080; pid /tmp/run/nginx.pid; echo_sleep 0.1;");
}

TEST(TemplateText, LeavesBracesDollarsAndLoneAtSignsAlone) {
    const std::string text = "location / { return 200 \"$host\"; } # mail@example.org @ @@ trailing@";
    EXPECT_EQ(render_template(text, values, "t"), text);
}

TEST(TemplateText, PlaceholdersNextToEachOther) {
    EXPECT_EQ(render_template("@port@@port@:@dir@", values, "t"), "80808080:/tmp/run");
}

TEST(TemplateText, UnknownPlaceholderNamesWhereAndWhatIsKnown) {
    try {
        render_template("listen @prot@;", values, "peers/nginx/nginx.conf.in");
        FAIL() << "no error for @prot@";
    } catch (const TemplateError& error) {
        const std::string message = error.what();
        EXPECT_NE(message.find("peers/nginx/nginx.conf.in"), std::string::npos) << message;
        EXPECT_NE(message.find("@prot@"), std::string::npos) << message;
        EXPECT_NE(message.find("@port@"), std::string::npos) << "lists the known ones: " << message;
    }
}

} // namespace
} // namespace pb::harness
