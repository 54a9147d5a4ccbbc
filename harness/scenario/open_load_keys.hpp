#pragma once
// The [load] table of a scenario: which generator, and for prefork-load its
// offered loads, arrivals, costs and connections (the flags of load/'s
// prefork-load). Kept apart from the rest of the scenario because it is the
// largest table and the only one that parses the generator's own syntax.
#include <toml++/toml.h>

#include "scenario/scenario.hpp"
#include "scenario/toml_reader.hpp"

namespace pb::harness {

// Reads [load] into scenario.generator and scenario.load; every problem is
// recorded in the reader's Problems, a line each.
void read_load(const TomlReader& reader, const toml::table& table, Scenario& scenario);

} // namespace pb::harness
