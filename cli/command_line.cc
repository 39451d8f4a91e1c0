#include "cli/command_line.h"

#include "cli/json_output.h"
#include "cli/logging.h"
#include "cli/metrics_endpoint.h"

namespace xatm {
namespace {

// Whole option names only: a prefix like --am must not silently mean
// --amount.
constexpr int kStyle = po::command_line_style::unix_style &
                       ~po::command_line_style::allow_guessing;

std::string ConfiguredNames(const Config& config) {
  std::string names;
  for (const ResourceConfig& r : config.resources) {
    names += (names.empty() ? "" : ", ") + r.name;
  }
  return names;
}

// The error line on stderr and, with --json, the error document on stdout.
int Failure(const Invocation& invocation, bool json, int code,
            const std::string& message, const Json& known) {
  PrintError(invocation, message);
  if (json)
    WriteJson(*invocation.out, ErrorJson(code, OneLine(message), known));
  return code;
}

}  // namespace

std::string OneLine(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  size_t end = s.find_last_not_of(' ');
  return end == std::string::npos ? std::string() : s.substr(0, end + 1);
}

const po::options_description& GlobalOptions() {
  static const po::options_description options = [] {
    po::options_description o("Global options");
    o.add_options()("config", po::value<std::string>()->value_name("FILE"),
                    "configuration file (required by every command)")(
        "log-level", po::value<std::string>()->value_name("LEVEL"),
        "diagnostics on stderr: trace|debug|info|warn|error|off (default "
        "warn)")("metrics-listen",
                 po::value<std::string>()->value_name("HOST:PORT"),
                 "serve Prometheus metrics on http://HOST:PORT/metrics "
                 "while the command runs")("help,h", "show help and exit");
    return o;
  }();
  return options;
}

const std::string* CommandContext::Option(const char* name) const {
  auto it = vars_.find(name);
  if (it == vars_.end() || it->second.empty()) return nullptr;
  return &it->second.as<std::string>();
}

std::vector<std::string> CommandContext::Options(const char* name) const {
  auto it = vars_.find(name);
  if (it == vars_.end() || it->second.empty()) return {};
  return it->second.as<std::vector<std::string>>();
}

Result<AccountRef> CommandContext::Account(const std::string& text) const {
  XATM_ASSIGN_OR_RETURN(AccountRef ref, AccountRef::Parse(text));
  if (config_.FindResource(ref.resource) == nullptr) {
    return Status::InvalidArgument(
        "unknown resource '" + ref.resource + "' in " + ref.ToString() +
        " (configured: " + ConfiguredNames(config_) + ")");
  }
  return ref;
}

int CommandContext::Fail(int code, const std::string& message) const {
  return Fail(code, message, Json::object());
}

int CommandContext::Fail(int code, const std::string& message,
                         const Json& known) const {
  return Failure(invocation_, json_, code, message, known);
}

int CommandContext::Finish(int code, const std::string& why,
                           const Json& doc) const {
  if (code != kExitOk) return Fail(code, why, json_ ? doc : Json::object());
  if (json_) WriteJson(out(), doc);
  return code;
}

void PrintError(const Invocation& invocation, const std::string& message) {
  *invocation.err << invocation.program << " " << invocation.command << ": "
                  << OneLine(message) << std::endl;
}

int RunCommand(const Invocation& invocation, const CommandSpec& spec,
               const std::function<int(CommandContext&)>& body) {
  const bool json = OffersJson(spec) && ArgsAskForJson(invocation.args);
  auto fail = [&](int code, const std::string& message) {
    return Failure(invocation, json, code, message, Json::object());
  };
  auto usage_error = [&](const std::string& message) {
    return fail(kExitUsage, message + " (see " + invocation.program + " " +
                                invocation.command + " --help)");
  };
  po::options_description all;
  all.add(spec.options).add(spec.hidden).add(GlobalOptions());
  po::variables_map vars;
  try {
    po::store(po::command_line_parser(invocation.args)
                  .options(all)
                  .positional(spec.positional)
                  .style(kStyle)
                  .run(),
              vars);
    po::notify(vars);
  } catch (const po::error& e) {
    return usage_error(e.what());
  }

  if (vars.count("help") != 0) {
    std::ostream& out = *invocation.out;
    out << "Usage: " << invocation.program << " " << spec.usage << "\n\n"
        << spec.description << "\n\n";
    if (!spec.options.options().empty()) out << spec.options << "\n";
    out << GlobalOptions();
    return kExitOk;
  }

  std::string level = spec.default_log_level;
  if (vars.count("log-level") != 0) level = vars["log-level"].as<std::string>();
  Status logging = SetUpLogging(level);
  if (!logging.ok()) return usage_error(logging.message());

  const std::string* listen = nullptr;
  if (vars.count("metrics-listen") != 0) {
    listen = &vars["metrics-listen"].as<std::string>();
    Status valid = ValidateListenAddress(*listen);
    if (!valid.ok()) return usage_error(valid.message());
  }

  Config config;
  if (spec.needs_config) {
    if (vars.count("config") == 0) return usage_error("missing --config FILE");
    Result<Config> loaded = LoadConfig(vars["config"].as<std::string>());
    if (!loaded.ok()) return fail(kExitUsage, loaded.status().message());
    config = std::move(loaded).value();
  }
  // Serves from before the command's first transaction to its end.
  std::unique_ptr<MetricsEndpoint> endpoint;
  if (listen != nullptr) {
    Result<std::unique_ptr<MetricsEndpoint>> started =
        MetricsEndpoint::Start(*listen);
    if (!started.ok()) {
      PrintError(invocation, started.status().message());
      return kExitFailed;
    }
    endpoint = std::move(started).value();
  }
  CommandContext context(invocation, std::move(vars), std::move(config), json);
  return body(context);
}

}  // namespace xatm
