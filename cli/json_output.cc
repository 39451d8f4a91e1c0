#include "cli/json_output.h"

#include "cli/command_line.h"

namespace xatm {

constexpr char kJsonOption[] = "json";

void AddJsonOption(CommandSpec& spec) {
  spec.options.add_options()(
      kJsonOption, po::bool_switch(),
      "print one JSON document on stdout, also on failure");
}

bool OffersJson(const CommandSpec& spec) {
  return spec.options.find_nothrow(kJsonOption, /*approx=*/false) != nullptr;
}

bool ArgsAskForJson(const std::vector<std::string>& args) {
  for (const std::string& a : args) {
    if (a == "--") return false;
    if (a == std::string("--") + kJsonOption) return true;
  }
  return false;
}

void WriteJson(std::ostream& out, const Json& doc) {
  out << doc.dump(-1, ' ', /*ensure_ascii=*/false,
                  Json::error_handler_t::replace)
      << "\n";
}

Json ErrorJson(int exit_code, const std::string& message, Json known) {
  known["error"] = message;
  known["exit_code"] = exit_code;
  return known;
}

}  // namespace xatm
