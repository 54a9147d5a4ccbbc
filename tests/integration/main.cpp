// The integration tests start real server binaries. The test process is a
// child subreaper: children orphaned by a killed master are re-parented here,
// where the tests can see and reap them (and nothing escapes to init).
#include <cstdio>
#include <iostream>
#include <sys/prctl.h>

#include <gtest/gtest.h>

#include "server_process.hpp"

int main(int argc, char** argv) {
    testing::InitGoogleTest(&argc, argv);
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
        std::perror("prctl(PR_SET_CHILD_SUBREAPER)");
        return 1;
    }
    // SIGPIPE is left alone on purpose: the servers inherit the test's
    // dispositions otherwise, and the clients send with MSG_NOSIGNAL.
    int result = RUN_ALL_TESTS();
    std::vector<pid_t> leftovers = itest::kill_orphans();
    if (!leftovers.empty()) {
        std::cerr << "integration tests: killed " << leftovers.size() << " leftover process(es)\n";
        if (result == 0) result = 1;
    }
    return result;
}
