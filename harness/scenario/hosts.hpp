#pragma once
// Where a scenario's processes run (its [hosts] table): the server on this
// machine or on one reached over SSH, and one or more client hosts, each
// running one or more generator processes. Hosts never listed are never
// contacted; without [hosts] everything is local, as before.
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace pb::harness {

// ssh://[user@]host[:port]; an IPv6 address in brackets (ssh://root@[fd00::1]:2222).
struct SshTarget {
    std::string user;  // empty: ssh's default (the local user, or ~/.ssh/config's)
    std::string host;
    int port = 0;      // 0: ssh's default

    std::string destination() const; // "user@host" or "host", as ssh takes it
    std::string url() const;          // as written: ssh://user@host:port
};

// Throws std::invalid_argument saying what was expected and what is wrong:
// "\"local\" or ssh://[user@]host[:port] (ssh://a:0: the port must be 1 to 65535)".
SshTarget parse_ssh_url(std::string_view text);

struct HostSpec {
    std::optional<SshTarget> ssh; // nothing: this machine

    bool local() const { return !ssh; }
    // How results and meta.json name it: "local", or the URL.
    std::string name() const { return ssh ? ssh->url() : "local"; }
};

// "local" or an ssh:// URL; throws std::invalid_argument like parse_ssh_url.
HostSpec parse_host(std::string_view text);

struct ClientHost {
    HostSpec host;
    int processes = 1; // generator processes on it; the load is split over all of them
};

// One generator process of a run's clients, in the order the load is split.
struct ClientProcess {
    const HostSpec* host = nullptr; // its host, in the Hosts it came from
    int index = 0;                  // over all the client processes, from 0
    std::string name;               // "local#1", "ssh://root@198.18.0.3#2": its host, then its number there
};

// How the hosts get this commit's binaries (hosts/host_preparation.hpp).
enum class Prepare {
    check, // refuse a host whose binaries differ from the local build's
    copy,  // copy the local build there (rsync) when its OS and CPU architecture match this machine's
    build, // send this commit's source there (git archive) and run make build
};
std::string to_string(Prepare prepare); // "check", "copy", "build"

struct Hosts {
    HostSpec server;
    std::vector<ClientHost> clients{ClientHost{}};
    std::vector<std::string> ssh_options; // each passed as ssh -o OPTION
    std::filesystem::path identity;       // ssh -i; empty: ssh's own choice
    Prepare prepare = Prepare::check;
    // Where the binaries are on a remote host: empty means the local build
    // directory's absolute path (the same layout on every host).
    std::filesystem::path build_dir;
    // prepare = "build": where the source goes on the host (its build is
    // source_dir/build).
    std::filesystem::path source_dir;
    // The address the clients connect to: empty means the server host's SSH
    // host name, or 127.0.0.1 when every process is local. Needed for a local
    // server with remote clients (this machine's address as they reach it).
    std::string server_address;

    // Whether any process runs on another host.
    bool remote() const;
    // Whether any client runs on another host.
    bool remote_clients() const;
    // Where the clients (and the harness's health check) reach the server.
    std::string address_for_clients() const;
    // The client processes, in order: each client host repeated by its processes.
    int client_processes() const;
    // Each of them, in that order.
    std::vector<ClientProcess> client_process_list() const;
    // Every distinct remote host, the server first: what is prepared, checked and cleaned.
    std::vector<SshTarget> remote_hosts() const;
};

} // namespace pb::harness
