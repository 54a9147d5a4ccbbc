#pragma once
// The [hosts] table of a scenario (scenario/hosts.hpp), and the checks of
// the rest of the scenario that depend on where things run.
#include <toml++/toml.h>

#include "scenario/scenario.hpp"
#include "scenario/toml_reader.hpp"

namespace pb::harness {

void read_hosts(const TomlReader& reader, const toml::table& table, Hosts& hosts);

// After everything is read: what a remote server or remote clients cannot do
// (the harness's own idle client, peers, restarts and kernel settings are
// local only) and how the load splits over the client processes.
void check_hosts(const TomlReader& reader, const Scenario& scenario);

} // namespace pb::harness
