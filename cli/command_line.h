// What every command does before its real work: parse its options together
// with the global ones, answer --help, set up logging, load the config.
//
//   int Run(const Invocation& inv) {
//     CommandSpec spec("balance [RES:ID ...]", "Prints balances ...");
//     spec.hidden.add_options()("account", po::value<...>());
//     spec.positional.add("account", -1);
//     return RunCommand(inv, spec, [](CommandContext& ctx) { ... });
//   }
#pragma once

#include <boost/program_options.hpp>
#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "cli/bank/account_ref.h"
#include "cli/command.h"
#include "cli/logging.h"
#include "xatm/config.h"
#include "xatm/status.h"

namespace xatm {

// Commands declare their options with it.
namespace po = boost::program_options;

struct CommandSpec {
  CommandSpec(std::string usage, std::string description)
      : usage(std::move(usage)), description(std::move(description)) {}

  std::string usage;        // after "xatm ": "transfer --from RES:ID ..."
  std::string description;  // a paragraph for --help
  po::options_description options{"Options"};
  // Parsed but not listed by --help: the options behind positionals.
  po::options_description hidden;
  po::positional_options_description positional;
  bool needs_config = true;
  // --log-level when not given (a service logs what it does).
  std::string default_log_level = kDefaultLogLevel;
};

// The global options, accepted before or after the command name:
// --config FILE, --log-level LEVEL, --metrics-listen HOST:PORT, --help.
const po::options_description& GlobalOptions();

// A parsed, configured command about to run.
class CommandContext {
 public:
  CommandContext(const Invocation& invocation, po::variables_map vars,
                 Config config, bool json)
      : invocation_(invocation),
        vars_(std::move(vars)),
        config_(std::move(config)),
        json_(json) {}

  const Config& config() const { return config_; }
  const po::variables_map& vars() const { return vars_; }
  std::ostream& out() const { return *invocation_.out; }
  std::ostream& err() const { return *invocation_.err; }
  // --json was given (cli/json_output.h): stdout gets one JSON document.
  bool json() const { return json_; }

  // The value of a string option, nullptr when absent.
  const std::string* Option(const char* name) const;
  // The values of a repeated option or positional (empty when absent).
  std::vector<std::string> Options(const char* name) const;

  // Parses RES:ID and checks RES is a configured resource.
  Result<AccountRef> Account(const std::string& text) const;

  // Writes "xatm COMMAND: message" to stderr on one line; returns `code`.
  // With --json also the document {"error": message, "exit_code": code} on
  // stdout, after the members of `known` (what is known despite the
  // failure).
  int Fail(int code, const std::string& message) const;
  int Fail(int code, const std::string& message,
           const nlohmann::ordered_json& known) const;

  // The end of a command that wrote its report (`doc` with --json, its own
  // text otherwise): exit 0 writes `doc` as it is; any other code goes
  // through Fail(code, why, doc), so every failing document carries
  // "error" and "exit_code" and stderr says why. Returns `code`.
  int Finish(int code, const std::string& why,
             const nlohmann::ordered_json& doc) const;

 private:
  const Invocation& invocation_;
  po::variables_map vars_;
  Config config_;
  bool json_;
};

// Parses `invocation` against `spec` and the global options. --help prints
// the command's help and returns kExitOk. A bad option or configuration
// prints one line on stderr and returns kExitUsage. Otherwise returns
// `body`'s exit code.
int RunCommand(const Invocation& invocation, const CommandSpec& spec,
               const std::function<int(CommandContext&)>& body);

// One line: "xatm COMMAND: message" with line breaks folded into spaces.
void PrintError(const Invocation& invocation, const std::string& message);

// `s` with line breaks and tabs folded into spaces, trailing spaces dropped.
std::string OneLine(std::string s);

}  // namespace xatm
