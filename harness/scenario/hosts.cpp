#include "scenario/hosts.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fmt/format.h>

namespace pb::harness {
namespace {

constexpr std::string_view scheme = "ssh://";
constexpr std::string_view expected = "\"local\" or ssh://[user@]host[:port]";

[[noreturn]] void bad(std::string_view text, std::string_view why) {
    throw std::invalid_argument(fmt::format("{} ({}: {})", expected, text, why));
}

int parse_port(std::string_view text, std::string_view url) {
    int port = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), port);
    if (error != std::errc() || end != text.data() + text.size() || port < 1 || port > 65535)
        bad(url, "the port must be 1 to 65535");
    return port;
}

// A host name or address: letters, digits and . - _ (an IPv6 address is
// bracketed and may also hold : and %). Nothing a shell or ssh would read as
// an option or a command.
bool plain_host(std::string_view host, bool bracketed) {
    if (host.empty() || host.front() == '-') return false;
    return std::all_of(host.begin(), host.end(), [bracketed](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ||
               (bracketed && (c == ':' || c == '%'));
    });
}

} // namespace

std::string SshTarget::destination() const { return user.empty() ? host : user + "@" + host; }

std::string SshTarget::url() const {
    const std::string shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return fmt::format("ssh://{}{}{}", user.empty() ? "" : user + "@", shown, port ? fmt::format(":{}", port) : "");
}

SshTarget parse_ssh_url(std::string_view text) {
    if (text.substr(0, scheme.size()) != scheme) bad(text, "no ssh:// at the start");
    std::string_view rest = text.substr(scheme.size());
    if (rest.empty()) bad(text, "no host");
    if (rest.find('/') != std::string_view::npos) bad(text, "no path after the host");
    SshTarget target;
    if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
        target.user = std::string(rest.substr(0, at));
        rest = rest.substr(at + 1);
        if (!plain_host(target.user, false)) bad(text, "a user of letters, digits, '.', '-' and '_'");
    }
    bool bracketed = false;
    std::string_view host = rest, port;
    if (rest.front() == '[') {
        // Servers listen on 0.0.0.0 and rsync reads host:path: IPv4 and names for now.
        bad(text, "an IPv6 address is not supported yet (use a host name that resolves to IPv4)");
        const auto close = rest.find(']');
        if (close == std::string_view::npos) bad(text, "an unclosed '['");
        host = rest.substr(1, close - 1);
        bracketed = true;
        const std::string_view after = rest.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') bad(text, "only :port after ']'");
            port = after.substr(1);
        }
    } else if (const auto colon = rest.find(':'); colon != std::string_view::npos) {
        host = rest.substr(0, colon);
        port = rest.substr(colon + 1);
    }
    if (!plain_host(host, bracketed)) bad(text, "a host name or address");
    target.host = std::string(host);
    if (!port.empty() || rest.back() == ':') target.port = parse_port(port, text);
    return target;
}

HostSpec parse_host(std::string_view text) {
    if (text == "local") return {};
    return HostSpec{parse_ssh_url(text)};
}

std::string to_string(Prepare prepare) {
    switch (prepare) {
    case Prepare::check: return "check";
    case Prepare::copy: return "copy";
    case Prepare::build: return "build";
    }
    return "check";
}

bool Hosts::remote() const {
    return !server.local() || std::any_of(clients.begin(), clients.end(), [](const ClientHost& c) { return !c.host.local(); });
}

bool Hosts::remote_clients() const {
    return std::any_of(clients.begin(), clients.end(), [](const ClientHost& c) { return !c.host.local(); });
}

std::string Hosts::address_for_clients() const {
    if (!server_address.empty()) return server_address;
    return server.local() ? "127.0.0.1" : server.ssh->host;
}

int Hosts::client_processes() const {
    int total = 0;
    for (const ClientHost& client : clients) total += client.processes;
    return total;
}

std::vector<ClientProcess> Hosts::client_process_list() const {
    std::vector<ClientProcess> list;
    for (const ClientHost& client : clients)
        for (int k = 1; k <= client.processes; ++k)
            list.push_back({&client.host, static_cast<int>(list.size()), client.host.name() + "#" + std::to_string(k)});
    return list;
}

std::vector<SshTarget> Hosts::remote_hosts() const {
    std::vector<SshTarget> hosts;
    auto add = [&hosts](const HostSpec& spec) {
        if (spec.local()) return;
        const bool seen = std::any_of(hosts.begin(), hosts.end(), [&](const SshTarget& t) { return t.url() == spec.ssh->url(); });
        if (!seen) hosts.push_back(*spec.ssh);
    };
    add(server);
    for (const ClientHost& client : clients) add(client.host);
    return hosts;
}

} // namespace pb::harness
