// --json: what a command prints for scripts. Exactly one JSON document on
// stdout, also on failure; diagnostics stay on stderr. Money is a string
// with two decimals, as the text shows it, never a floating-point number.
//
//   AddJsonOption(spec);                         // declares --json
//   if (ctx.json()) WriteJson(ctx.out(), doc);   // the result
//   return ctx.Fail(kExitFailed, why, known);    // {...known, "error",
//   "exit_code"}
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

namespace xatm {

struct CommandSpec;

// Keys come out in the order they were added.
using Json = nlohmann::ordered_json;

// Declares --json among the command's options.
void AddJsonOption(CommandSpec& spec);
// Whether AddJsonOption was called on `spec`.
bool OffersJson(const CommandSpec& spec);

// Whether --json is among `args` (before a "--"): for errors found before
// the options could be parsed.
bool ArgsAskForJson(const std::vector<std::string>& args);

// Writes `doc` on one line followed by a line break. Bytes that are not
// UTF-8 (a damaged record, a driver's message) are replaced, never thrown.
void WriteJson(std::ostream& out, const Json& doc);

// A failure: what is known (an object) with "error": `message` and
// "exit_code": `exit_code` added.
Json ErrorJson(int exit_code, const std::string& message,
               Json known = Json::object());

}  // namespace xatm
