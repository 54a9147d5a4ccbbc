#include "scenario/peer_definition.hpp"

#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstring>
#include <fstream>

#include "common/units.hpp"
#include "common/file_text.hpp"
#include "scenario/problems.hpp"
#include "scenario/toml_reader.hpp"

namespace pb::harness {
namespace {

// SIGTERM, the default, when the name is not one of these.
int signal_number(const TomlReader& reader, const std::string& name) {
    static const std::pair<const char*, int> signals[] = {{"TERM", SIGTERM}, {"INT", SIGINT},   {"QUIT", SIGQUIT},
                                                          {"HUP", SIGHUP},   {"USR1", SIGUSR1}, {"USR2", SIGUSR2},
                                                          {"WINCH", SIGWINCH}, {"KILL", SIGKILL}};
    for (const auto& [signal_name, number] : signals)
        if (name == signal_name) return number;
    reader.fail("stop_signal", fmt::format("a signal name without SIG (TERM, INT, QUIT, HUP, WINCH, ...), got \"{}\"", name));
    return SIGTERM;
}

std::string read_text(const std::filesystem::path& file) {
    std::optional<std::string> text = read_whole_file(file);
    if (!text) throw PeerError(fmt::format("{}: cannot read: {}", file.string(), std::strerror(errno)));
    return *text;
}

// Decimal seconds without trailing zeros: 0.1, 0.25, 2, 0.
std::string decimal_seconds(std::chrono::nanoseconds delay) {
    std::string text = fmt::format("{:.9f}", std::chrono::duration<double>(delay).count());
    text.erase(text.find_last_not_of('0') + 1);
    if (text.back() == '.') text.pop_back();
    return text;
}

} // namespace

PeerDefinition load_peer(const std::filesystem::path& file) {
    toml::table root;
    try {
        root = toml::parse(read_text(file), file.string());
    } catch (const toml::parse_error& error) {
        const auto& where = error.source().begin;
        throw PeerError(fmt::format("{}:{}:{}: {}", file.string(), where.line, where.column, error.description()));
    }
    Problems problems;
    TomlReader reader(root, "", file, problems);
    reader.only({"name", "model", "description", "program", "args", "stop_signal", "config", "vars", "env", "packages"});
    PeerDefinition peer;
    peer.file = std::filesystem::absolute(file).lexically_normal();
    peer.name = reader.required_string("name").value_or("");
    if (!reader.failed("name") && peer.name != file.stem().string())
        reader.fail("name", fmt::format("the file's name without .toml (\"{}\"), got \"{}\"", file.stem().string(), peer.name));
    peer.model = reader.required_string("model").value_or("");
    peer.description = reader.required_string("description").value_or("");
    peer.program = reader.required_string("program").value_or("");
    peer.args = reader.strings("args");
    peer.stop_signal = signal_number(reader, reader.string("stop_signal", "TERM"));
    for (auto& [output, template_name] : reader.string_table("config")) {
        if (output.empty() || output.find('/') != std::string::npos || output.front() == '.')
            reader.fail("config", fmt::format("plain file names as keys, got \"{}\"", output));
        else
            peer.config.push_back({output, peer.file.parent_path() / template_name});
    }
    for (auto& [name, value] : reader.string_table("vars")) peer.vars.emplace(name, value);
    peer.env = reader.string_table("env");
    peer.packages = reader.strings("packages");
    for (const std::string& package : peer.packages)
        if (package.empty() || !std::isalnum(static_cast<unsigned char>(package.front())) ||
            package.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.+-") != std::string::npos)
            reader.fail("packages", fmt::format("Debian package names, got \"{}\"", package));
    problems.throw_if_any<PeerError>();
    return peer;
}

std::vector<std::string> known_peers(const std::filesystem::path& peers_dir) {
    std::vector<std::string> names;
    std::error_code error;
    for (const auto& folder : std::filesystem::directory_iterator(peers_dir, error)) {
        if (!folder.is_directory()) continue;
        for (const auto& entry : std::filesystem::directory_iterator(folder.path(), error))
            if (entry.path().extension() == ".toml") names.push_back(entry.path().stem().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

std::filesystem::path find_peer_file(const std::filesystem::path& peers_dir, const std::string& name) {
    std::error_code error;
    for (const auto& folder : std::filesystem::directory_iterator(peers_dir, error)) {
        std::filesystem::path candidate = folder.path() / (name + ".toml");
        if (folder.is_directory() && std::filesystem::exists(candidate)) return candidate;
    }
    if (error) throw PeerError(fmt::format("peer \"{}\": cannot read the peers folder {}: {}", name, peers_dir.string(), error.message()));
    throw PeerError(fmt::format("peer \"{}\": no {}/*/{}.toml (known peers: {})", name, peers_dir.string(), name,
                                fmt::join(known_peers(peers_dir), ", ")));
}

TemplateValues peer_values(const PeerDefinition& peer, const PeerPlaceholders& placeholders) {
    using std::chrono::duration_cast;
    auto absolute = [](const std::filesystem::path& path) {
        return path.empty() ? std::string() : std::filesystem::absolute(path).lexically_normal().string();
    };
    TemplateValues values = {
        {"port", std::to_string(placeholders.port)},
        {"dir", absolute(placeholders.dir)},
        {"peer_dir", peer.file.parent_path().string()},
        {"build", absolute(placeholders.build_dir)},
        {"delay", format_duration(placeholders.delay)},
        {"delay_s", decimal_seconds(placeholders.delay)},
        {"delay_ms", std::to_string(duration_cast<std::chrono::milliseconds>(placeholders.delay).count())},
        {"delay_us", std::to_string(duration_cast<std::chrono::microseconds>(placeholders.delay).count())},
        {"workers", std::to_string(placeholders.workers)},
    };
    // A var may use the built-in placeholders, not other vars.
    const TemplateValues builtins = values;
    for (const auto& [name, value] : peer.vars) {
        if (builtins.count(name)) throw PeerError(fmt::format("{}: vars.{} would hide a built-in placeholder", peer.file.string(), name));
        values[name] = render_template(value, builtins, fmt::format("{}: vars.{}", peer.file.string(), name));
    }
    return values;
}

std::vector<std::string> peer_command(const PeerDefinition& peer, const TemplateValues& values) {
    std::vector<std::string> command = {render_template(peer.program, values, peer.file.string() + ": program")};
    for (const std::string& arg : peer.args) command.push_back(render_template(arg, values, peer.file.string() + ": args"));
    return command;
}

std::vector<std::filesystem::path> write_peer_config(const PeerDefinition& peer, const TemplateValues& values) {
    const std::filesystem::path dir = values.at("dir");
    std::vector<std::filesystem::path> written;
    for (const PeerConfigFile& config : peer.config) {
        std::string text = render_template(read_text(config.template_file), values, config.template_file.string());
        std::filesystem::path output = dir / config.output;
        std::ofstream out(output);
        out << text;
        if (!out) throw PeerError(fmt::format("cannot write {}: {}", output.string(), std::strerror(errno)));
        written.push_back(output);
    }
    return written;
}

} // namespace pb::harness
