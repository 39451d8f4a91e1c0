#include "xatm/saga_record.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "tm/saga/json_writer.h"

namespace xatm {
namespace {

using nlohmann::json;

constexpr const char* kSagaPhaseNames[] = {"forward", "compensating",
                                           "committed", "compensated",
                                           "failed-to-compensate"};
constexpr const char* kStepPhaseNames[] = {
    "pending", "started",     "done",
    "failed",  "compensated", "compensation-failed"};

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

Status CheckName(std::string_view what, std::string_view name, size_t max) {
  if (name.empty() || name.size() > max ||
      !std::all_of(name.begin(), name.end(), IsNameChar)) {
    return Status::InvalidArgument(
        std::string(what) + " '" + std::string(name) + "' must be 1-" +
        std::to_string(max) + " characters of A-Z a-z 0-9 _ . -");
  }
  return Status::Ok();
}

// Messages (a database's error text) may hold any bytes: those that are
// not ASCII become '?' unless the whole is UTF-8.
std::string AsUtf8(const std::string& text) {
  if (IsValidUtf8(text)) return text;
  std::string out = text;
  for (char& c : out) {
    if (static_cast<unsigned char>(c) >= 0x80) c = '?';
  }
  return out;
}

// Statements, parameters and payloads are kept as JSON text: UTF-8 only.
Status CheckText(const std::string& where, const SqlCall& call) {
  if (!IsValidUtf8(call.sql)) {
    return Status::InvalidArgument(where + "a statement is not UTF-8 text");
  }
  for (const std::string& p : call.params) {
    if (!IsValidUtf8(p)) {
      return Status::InvalidArgument(where + "a parameter is not UTF-8 text");
    }
  }
  return Status::Ok();
}

void WritePolicy(JsonWriter& w, const RetryPolicy& p) {
  w.BeginObject();
  w.Member("attempts", p.attempts);
  w.Member("first_backoff_ms", p.first_backoff_ms);
  w.Key("multiplier");
  w.Double(p.multiplier);
  w.Member("max_backoff_ms", p.max_backoff_ms);
  w.Key("jitter");
  w.Double(p.jitter);
  w.Member("call_timeout_ms", p.call_timeout_ms);
  w.EndObject();
}

RetryPolicy PolicyFrom(const json& j) {
  RetryPolicy p;
  p.attempts = j.at("attempts").get<int>();
  p.first_backoff_ms = j.at("first_backoff_ms").get<int64_t>();
  p.multiplier = j.at("multiplier").get<double>();
  p.max_backoff_ms = j.at("max_backoff_ms").get<int64_t>();
  p.jitter = j.at("jitter").get<double>();
  p.call_timeout_ms = j.at("call_timeout_ms").get<int64_t>();
  return p;
}

void WriteCalls(JsonWriter& w, const std::vector<SqlCall>& calls) {
  w.BeginArray();
  for (const SqlCall& c : calls) {
    w.BeginObject();
    w.Member("sql", c.sql);
    w.Key("params");
    w.BeginArray();
    for (const std::string& p : c.params) w.String(p);
    w.EndArray();
    if (c.expected_rows) {
      w.Member("expected_rows", *c.expected_rows);
    }
    w.EndObject();
  }
  w.EndArray();
}

std::vector<SqlCall> CallsFrom(const json& j) {
  std::vector<SqlCall> calls;
  for (const json& c : j) {
    SqlCall call;
    call.sql = c.at("sql").get<std::string>();
    call.params = c.at("params").get<std::vector<std::string>>();
    if (c.contains("expected_rows")) {
      call.expected_rows = c.at("expected_rows").get<int64_t>();
    }
    calls.push_back(std::move(call));
  }
  return calls;
}

void WriteStep(JsonWriter& w, const SagaStep& s) {
  w.BeginObject();
  w.Member("name", s.name);
  w.Key("retry");
  WritePolicy(w, s.retry);
  w.Key("compensation_retry");
  WritePolicy(w, s.compensation_retry);
  if (s.is_service()) {
    w.Member("service", s.service);
    w.Member("payload", s.payload);
  } else {
    w.Member("resource", s.resource);
    w.Key("action");
    WriteCalls(w, s.action);
    w.Key("compensation");
    WriteCalls(w, s.compensation);
  }
  if (s.pivot) {
    w.Key("pivot");
    w.Bool(true);
  }
  w.EndObject();
}

SagaStep StepFrom(const json& j) {
  SagaStep s;
  s.name = j.at("name").get<std::string>();
  s.retry = PolicyFrom(j.at("retry"));
  s.compensation_retry = PolicyFrom(j.at("compensation_retry"));
  if (j.contains("service")) {
    s.service = j.at("service").get<std::string>();
    s.payload = j.at("payload").get<std::string>();
  } else {
    s.resource = j.at("resource").get<std::string>();
    s.action = CallsFrom(j.at("action"));
    s.compensation = CallsFrom(j.at("compensation"));
  }
  s.pivot = j.value("pivot", false);
  return s;
}

}  // namespace

Status CheckRetryPolicy(const RetryPolicy& p) {
  if (p.attempts < 1) {
    return Status::InvalidArgument(
        "retry attempts " + std::to_string(p.attempts) + " must be at least 1");
  }
  if (p.first_backoff_ms < 0 || p.max_backoff_ms < p.first_backoff_ms) {
    return Status::InvalidArgument(
        "retry backoff must be 0 <= first_backoff_ms <= max_backoff_ms");
  }
  if (!(p.multiplier >= 1.0) || !std::isfinite(p.multiplier)) {
    return Status::InvalidArgument("retry multiplier must be at least 1");
  }
  if (!(p.jitter >= 0.0 && p.jitter <= 1.0)) {
    return Status::InvalidArgument("retry jitter must be between 0 and 1");
  }
  if (p.call_timeout_ms <= 0) {
    return Status::InvalidArgument("call timeout must be positive");
  }
  return Status::Ok();
}

int64_t BackoffMs(const RetryPolicy& p, int attempt) {
  double wait = static_cast<double>(p.first_backoff_ms);
  for (int i = 1; i < attempt && wait < p.max_backoff_ms; ++i) {
    wait *= p.multiplier;
  }
  return std::min<int64_t>(static_cast<int64_t>(wait), p.max_backoff_ms);
}

Status CheckSagaDefinition(const SagaDefinition& d) {
  XATM_RETURN_IF_ERROR(CheckName("saga name", d.name, 64));
  if (d.stages.empty()) {
    return Status::InvalidArgument("saga '" + d.name + "' has no steps");
  }
  if (d.deadline_ms <= 0) {
    return Status::InvalidArgument("saga '" + d.name +
                                   "': deadline must be positive");
  }
  std::set<std::string> names;
  int pivots = 0;
  for (const std::vector<SagaStep>& stage : d.stages) {
    if (stage.empty()) {
      return Status::InvalidArgument("saga '" + d.name +
                                     "' has an empty stage");
    }
    for (const SagaStep& s : stage) {
      XATM_RETURN_IF_ERROR(CheckName("step name", s.name, 32));
      const std::string where = "step '" + s.name + "': ";
      if (!names.insert(s.name).second) {
        return Status::InvalidArgument("step name '" + s.name +
                                       "' is used twice");
      }
      if (s.resource.empty() == s.service.empty()) {
        return Status::InvalidArgument(
            where + "name either a resource (a database step) or a service");
      }
      if (!s.is_service() && s.action.empty()) {
        return Status::InvalidArgument(where + "a database step needs SQL");
      }
      if (s.is_service() && (!s.action.empty() || !s.compensation.empty())) {
        return Status::InvalidArgument(where + "a service step takes no SQL");
      }
      for (const std::vector<SqlCall>* calls : {&s.action, &s.compensation}) {
        for (const SqlCall& c : *calls) {
          if (c.sql.empty()) {
            return Status::InvalidArgument(where + "an empty statement");
          }
          XATM_RETURN_IF_ERROR(CheckText(where, c));
        }
      }
      if (!IsValidUtf8(s.payload) || !IsValidUtf8(s.service) ||
          !IsValidUtf8(s.resource)) {
        return Status::InvalidArgument(
            where + "its service, resource and payload must be UTF-8 text");
      }
      Status policy = CheckRetryPolicy(s.retry);
      if (policy.ok()) policy = CheckRetryPolicy(s.compensation_retry);
      if (!policy.ok())
        return Status::InvalidArgument(where + policy.message());
      if (s.pivot) {
        if (++pivots > 1) {
          return Status::InvalidArgument("saga '" + d.name +
                                         "' has more than one pivot");
        }
        if (stage.size() > 1) {
          return Status::InvalidArgument(
              where + "a pivot cannot run in parallel with other steps");
        }
      }
    }
  }
  std::set<std::string> xa_resources;
  for (const SagaXaWork& w : d.xa_group) {
    if (w.resource.empty() || w.statements.empty()) {
      return Status::InvalidArgument(
          "saga '" + d.name +
          "': an XA group entry needs a resource and statements");
    }
    if (!xa_resources.insert(w.resource).second) {
      return Status::InvalidArgument("saga '" + d.name + "': resource '" +
                                     w.resource + "' is twice in the XA group");
    }
    for (const SqlCall& c : w.statements) {
      if (c.sql.empty()) {
        return Status::InvalidArgument("saga '" + d.name +
                                       "': an empty statement in the XA group");
      }
      XATM_RETURN_IF_ERROR(CheckText("saga '" + d.name + "', XA group: ", c));
    }
  }
  return Status::Ok();
}

const char* SagaPhaseName(SagaPhase phase) {
  return kSagaPhaseNames[static_cast<int>(phase)];
}

std::optional<SagaPhase> ParseSagaPhase(std::string_view name) {
  for (int i = 0; i < 5; ++i) {
    if (name == kSagaPhaseNames[i]) return static_cast<SagaPhase>(i);
  }
  return std::nullopt;
}

bool IsFinal(SagaPhase phase) {
  return phase == SagaPhase::kCommitted || phase == SagaPhase::kCompensated;
}

const char* StepPhaseName(StepPhase phase) {
  return kStepPhaseNames[static_cast<int>(phase)];
}

std::optional<StepPhase> ParseStepPhase(std::string_view name) {
  for (int i = 0; i < 6; ++i) {
    if (name == kStepPhaseNames[i]) return static_cast<StepPhase>(i);
  }
  return std::nullopt;
}

std::vector<const SagaStep*> SagaRecord::FlatSteps() const {
  std::vector<const SagaStep*> flat;
  for (const std::vector<SagaStep>& stage : definition.stages) {
    for (const SagaStep& s : stage) flat.push_back(&s);
  }
  return flat;
}

std::string EncodeSagaRecord(const SagaRecord& r) {
  std::string out;
  out.reserve(1024);
  JsonWriter w(&out);
  w.BeginObject();
  w.Member("id", r.id);
  w.Member("node", r.node);
  w.Member("name", r.definition.name);
  w.Member("deadline_ms", r.definition.deadline_ms);
  w.Key("stages");
  w.BeginArray();
  for (const std::vector<SagaStep>& stage : r.definition.stages) {
    w.BeginArray();
    for (const SagaStep& s : stage) WriteStep(w, s);
    w.EndArray();
  }
  w.EndArray();
  w.Member("phase", SagaPhaseName(r.phase));
  w.Key("steps");
  w.BeginArray();
  for (StepPhase p : r.steps) w.String(StepPhaseName(p));
  w.EndArray();
  w.Member("begun_ms", r.begun_ms);
  w.Member("updated_ms", r.updated_ms);
  if (!r.reason.empty()) {
    w.Member("reason", AsUtf8(r.reason));
  }
  if (!r.operator_reason.empty()) {
    w.Member("operator_reason", AsUtf8(r.operator_reason));
  }
  if (!r.definition.xa_group.empty()) {
    w.Key("xa_group");
    w.BeginArray();
    for (const SagaXaWork& x : r.definition.xa_group) {
      w.BeginObject();
      w.Member("resource", x.resource);
      w.Key("statements");
      WriteCalls(w, x.statements);
      w.EndObject();
    }
    w.EndArray();
  }
  if (!r.xa_gtrid.empty()) {
    w.Member("xa_gtrid", r.xa_gtrid);
  }
  w.EndObject();
  return out;
}

Result<SagaRecord> DecodeSagaRecord(std::string_view text) {
  try {
    const json j = json::parse(text);
    SagaRecord r;
    r.id = j.at("id").get<std::string>();
    r.node = j.at("node").get<std::string>();
    r.definition.name = j.at("name").get<std::string>();
    r.definition.deadline_ms = j.at("deadline_ms").get<int64_t>();
    for (const json& stage : j.at("stages")) {
      std::vector<SagaStep> steps;
      for (const json& s : stage) steps.push_back(StepFrom(s));
      r.definition.stages.push_back(std::move(steps));
    }
    std::optional<SagaPhase> phase =
        ParseSagaPhase(j.at("phase").get<std::string>());
    if (!phase) return Status::InvalidArgument("saga record: unknown phase");
    r.phase = *phase;
    for (const json& p : j.at("steps")) {
      std::optional<StepPhase> step = ParseStepPhase(p.get<std::string>());
      if (!step) return Status::InvalidArgument("saga record: unknown step");
      r.steps.push_back(*step);
    }
    r.begun_ms = j.at("begun_ms").get<int64_t>();
    r.updated_ms = j.at("updated_ms").get<int64_t>();
    r.reason = j.value("reason", "");
    r.operator_reason = j.value("operator_reason", "");
    r.xa_gtrid = j.value("xa_gtrid", "");
    if (j.contains("xa_group")) {
      for (const json& w : j.at("xa_group")) {
        r.definition.xa_group.push_back(
            SagaXaWork{w.at("resource").get<std::string>(),
                       CallsFrom(w.at("statements"))});
      }
    }
    if (r.steps.size() != r.FlatSteps().size()) {
      return Status::InvalidArgument(
          "saga record: step states do not match the steps");
    }
    return r;
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("saga record: ") + e.what());
  }
}

}  // namespace xatm
