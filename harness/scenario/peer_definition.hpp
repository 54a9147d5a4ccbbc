#pragma once
// A peer: a well-known server (fasthttp, nginx, Apache) measured beside ours.
// Each variant is one file, peers/<family>/<name>.toml, that says which
// program to start with which arguments, which configuration files to render
// into the run's directory, and which signal stops it. Nothing about a peer
// is compiled into the harness.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "scenario/template_text.hpp"

namespace pb::harness {

struct PeerConfigFile {
    std::string output;                  // file name inside the run's peer directory
    std::filesystem::path template_file; // absolute
};

struct PeerDefinition {
    std::string name;        // == the file's stem
    std::string model;       // how it serves, in a few words: "prefork", "single", ...
    std::string description;
    std::filesystem::path file;
    std::string program;     // a template, like args
    std::vector<std::string> args;
    std::vector<PeerConfigFile> config;
    TemplateValues vars;     // extra placeholders
    std::vector<std::pair<std::string, std::string>> env;
    std::vector<std::string> packages; // Debian packages it comes from, for meta.json
    int stop_signal = 15;    // SIGTERM
};

class PeerError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Throws one PeerError naming every problem of the file, a line each.
PeerDefinition load_peer(const std::filesystem::path& file);

// peers_dir/<any folder>/<name>.toml; throws PeerError listing the known
// peers when there is none.
std::filesystem::path find_peer_file(const std::filesystem::path& peers_dir, const std::string& name);
std::vector<std::string> known_peers(const std::filesystem::path& peers_dir);

// What one start of a peer needs to know.
struct PeerPlaceholders {
    std::uint16_t port = 0;
    std::filesystem::path dir;       // the run's scratch directory for the peer
    std::filesystem::path build_dir;
    std::chrono::nanoseconds delay{0};
    int workers = 1;
};

// The built-in placeholders (port, dir, peer_dir, build, delay, delay_s,
// delay_ms, delay_us, workers) and the definition's [vars], rendered.
TemplateValues peer_values(const PeerDefinition& peer, const PeerPlaceholders& placeholders);

// Its command line with every placeholder replaced.
std::vector<std::string> peer_command(const PeerDefinition& peer, const TemplateValues& values);

// Renders the [config] files into values["dir"]; returns their paths.
std::vector<std::filesystem::path> write_peer_config(const PeerDefinition& peer, const TemplateValues& values);

} // namespace pb::harness
