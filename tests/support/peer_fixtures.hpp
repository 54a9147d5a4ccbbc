#pragma once
// The fake peers of tests/harness/fixtures/peers, shared by the tests of
// peer definitions and of the peer launcher.
#include <filesystem>
#include <string>

#include "scenario/peer_definition.hpp"

namespace test_support {

inline const std::filesystem::path peer_fixtures = std::filesystem::path(HARNESS_FIXTURES) / "peers";

// The fixture peer `name`, found the way the harness finds a peer.
inline pb::harness::PeerDefinition fixture_peer(const std::string& name) {
    return pb::harness::load_peer(pb::harness::find_peer_file(peer_fixtures, name));
}

} // namespace test_support
