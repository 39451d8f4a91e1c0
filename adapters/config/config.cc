#include "xatm/config.h"

#include <libpq-fe.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "tm/text_format.h"
#include "xatm/decision_deadline.h"
#include "xatm/xid.h"

namespace xatm {
namespace {

namespace po = boost::program_options;

constexpr char kResourcePrefix[] = "resource.";

const std::set<std::string>& CommonResourceKeys() {
  static const std::set<std::string> keys = {"type",
                                             "pool_size",
                                             "connect_timeout",
                                             "lock_timeout_ms",
                                             "request_timeout_ms",
                                             "idle_session_timeout",
                                             "xa"};
  return keys;
}
const std::set<std::string>& PostgresKeys() {
  static const std::set<std::string> keys = {"conninfo", "prepared_statements"};
  return keys;
}
const std::set<std::string>& MysqlKeys() {
  static const std::set<std::string> keys = {
      "host",     "port",   "user",     "database", "password_env",
      "ssl_mode", "ssl_ca", "ssl_cert", "ssl_key"};
  return keys;
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  size_t e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

std::string Lower(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The 1-based number of the line Boost rejected (it reports the line's text,
// which must not be echoed: it may hold a secret typed without '=').
int FindLine(const std::string& text, const std::string& rejected) {
  std::istringstream lines(text);
  std::string line;
  for (int n = 1; std::getline(lines, line); ++n) {
    line = Trim(line.substr(0, line.find('#')));
    if (line == rejected) return n;
  }
  return 0;
}

// A whole number in [min, max].
// "on" or "off", in any case.
bool ParseOnOff(const std::string& s, bool* out) {
  const std::string value = Lower(s);
  if (value != "on" && value != "off") return false;
  *out = value == "on";
  return true;
}

bool ParseInt(const std::string& s, int64_t min, int64_t max, int64_t* out) {
  if (s.empty() || s.size() > 12) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v < min || v > max) return false;
  *out = v;
  return true;
}

// Seconds with up to three decimals ("10", "2.5", "0.25") as milliseconds.
bool ParseSecondsMs(const std::string& s, int64_t* ms) {
  size_t dot = s.find('.');
  std::string whole = s.substr(0, dot);
  std::string fraction = dot == std::string::npos ? "" : s.substr(dot + 1);
  if (fraction.size() > 3 || (dot != std::string::npos && fraction.empty())) {
    return false;
  }
  int64_t w = 0, f = 0;
  if (!ParseInt(whole, 0, 100'000'000, &w)) return false;
  if (!fraction.empty()) {
    if (!ParseInt(fraction, 0, 999, &f)) return false;
    for (size_t i = fraction.size(); i < 3; ++i) f *= 10;
  }
  *ms = w * 1000 + f;
  return true;
}

// The retry policies of a saga transfer: saga_attempts and
// saga_compensation_attempts (whole numbers), saga_backoff (the first
// wait), saga_backoff_max (the cap) and saga_call_timeout (seconds).
Status ParseSagaRetries(
    const std::function<const std::string*(const char*)>& top,
    SagaSettings* out) {
  for (auto [key, policy] :
       {std::pair{"saga_attempts", &out->step},
        std::pair{"saga_compensation_attempts", &out->compensation}}) {
    if (const std::string* v = top(key)) {
      int64_t n = 0;
      if (!ParseInt(*v, 1, 1'000'000, &n)) {
        return Status::InvalidArgument(std::string(key) + " '" + *v +
                                       "' is not a whole number from 1");
      }
      policy->attempts = static_cast<int>(n);
    }
  }
  for (auto [key, field] :
       {std::pair{"saga_backoff", &RetryPolicy::first_backoff_ms},
        std::pair{"saga_backoff_max", &RetryPolicy::max_backoff_ms},
        std::pair{"saga_call_timeout", &RetryPolicy::call_timeout_ms}}) {
    if (const std::string* v = top(key)) {
      int64_t ms = 0;
      if (!ParseSecondsMs(*v, &ms) || ms <= 0) {
        return Status::InvalidArgument(std::string(key) + " '" + *v +
                                       "' is not a positive number of "
                                       "seconds");
      }
      out->step.*field = ms;
      out->compensation.*field = ms;
    }
  }
  for (const RetryPolicy* p : {&out->step, &out->compensation}) {
    Status valid = CheckRetryPolicy(*p);
    if (!valid.ok()) {
      return Status::InvalidArgument("saga_backoff / saga_backoff_max: " +
                                     valid.message());
    }
  }
  return Status::Ok();
}

bool IsEnvName(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// Why `conninfo` may not be used, or "" when it is acceptable. Never
// repeats the conninfo itself: it may hold a secret.
std::string CheckConninfo(const std::string& conninfo) {
  const std::string refused =
      "conninfo must not hold a password (libpq reads PGPASSWORD or "
      "~/.pgpass)";
  if (Lower(conninfo).find("password") != std::string::npos) return refused;
  // postgresql://user:secret@host/db
  size_t scheme = conninfo.find("://");
  if (scheme != std::string::npos) {
    std::string rest = conninfo.substr(scheme + 3);
    std::string authority = rest.substr(0, rest.find_first_of("/?"));
    size_t at = authority.rfind('@');
    if (at != std::string::npos &&
        authority.substr(0, at).find(':') != std::string::npos) {
      return refused;
    }
  }
  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, void (*)(PQconninfoOption*)> options(
      PQconninfoParse(conninfo.c_str(), &error), PQconninfoFree);
  if (options == nullptr) {
    // libpq's message quotes the offending token, which may be a password
    // typed without its keyword: say where to look, not what is there.
    PQfreemem(error);
    return "conninfo is not a valid libpq connection string (keyword=value "
           "pairs separated by spaces, or a postgresql:// URI; the text is "
           "not repeated here as it may hold a secret)";
  }
  for (PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (std::strcmp(o->keyword, "password") == 0 && o->val != nullptr) {
      return refused;
    }
  }
  return "";
}

// ssl_mode's values, as MySQL's --ssl-mode names them.
bool ParseSslMode(const std::string& s, SslMode* out) {
  static const std::map<std::string, SslMode> modes = {
      {"disabled", SslMode::kDisabled},
      {"required", SslMode::kRequired},
      {"verify_ca", SslMode::kVerifyCa},
      {"verify_identity", SslMode::kVerifyIdentity}};
  auto it = modes.find(s);
  if (it == modes.end()) return false;
  *out = it->second;
  return true;
}

class Parser {
 public:
  explicit Parser(std::string path) : path_(std::move(path)) {}

  Result<Config> Parse(const std::string& text) {
    std::istringstream stream(text);
    std::vector<po::option> options;
    try {
      po::options_description none;
      options = po::parse_config_file(stream, none, /*allow_unregistered=*/true)
                    .options;
    } catch (const po::invalid_config_file_syntax& e) {
      int line = FindLine(text, e.tokens());
      return Error((line > 0 ? "line " + std::to_string(line) : "a line") +
                   " is neither 'key = value' nor '[section]'");
    } catch (const po::error& e) {
      return Error(e.what());
    }
    for (const po::option& o : options) {
      std::string value = o.value.empty() ? "" : o.value.front();
      XATM_RETURN_IF_ERROR(Take(o.string_key, value));
    }
    return Finish();
  }

 private:
  // A path from the file: relative ones are taken from the file's
  // directory, so every command finds the same files wherever it runs.
  std::string Anchored(const std::string& value) const {
    std::filesystem::path p(value);
    if (p.is_relative()) p = std::filesystem::absolute(path_).parent_path() / p;
    return p.lexically_normal().string();
  }

  Status Error(const std::string& what) const {
    return Status::InvalidArgument("config " + path_ + ": " + what);
  }
  Status ResourceError(const std::string& name, const std::string& what) const {
    return Error("resource '" + name + "': " + what);
  }

  static std::string PasswordRefusal() {
    return "a password may not be written in the config file; set "
           "password_env to the name of an environment variable that holds "
           "it (MySQL), or use PGPASSWORD or ~/.pgpass (PostgreSQL)";
  }

  Status Take(const std::string& key, const std::string& value) {
    if (key.rfind(kResourcePrefix, 0) == 0) {
      std::string rest = key.substr(std::strlen(kResourcePrefix));
      size_t dot = rest.rfind('.');
      if (dot != std::string::npos) {
        return TakeResourceKey(rest.substr(0, dot), rest.substr(dot + 1),
                               value);
      }
    }
    if (key == "password") return Error(PasswordRefusal());
    static const std::set<std::string> top = {"node",
                                              "log_dir",
                                              "grace_period",
                                              "sweep_interval",
                                              "decision_store",
                                              "log_lock_wait",
                                              "takeover_after",
                                              "heartbeat_interval",
                                              "key_retention",
                                              "saga_deadline",
                                              "saga_retention",
                                              "saga_attempts",
                                              "saga_compensation_attempts",
                                              "saga_backoff",
                                              "saga_backoff_max",
                                              "saga_call_timeout"};
    if (top.count(key) == 0) {
      if (key.find('.') != std::string::npos) {
        return Error("unknown key '" + key +
                     "' (databases go in [resource.NAME] sections)");
      }
      return Error("unknown key '" + key + "'");
    }
    if (!top_.emplace(key, value).second) {
      return Error("key '" + key + "' is given twice");
    }
    return Status::Ok();
  }

  Status TakeResourceKey(const std::string& name, const std::string& key,
                         const std::string& value) {
    if (key == "password") return ResourceError(name, PasswordRefusal());
    bool known = CommonResourceKeys().count(key) != 0 ||
                 PostgresKeys().count(key) != 0 || MysqlKeys().count(key) != 0;
    if (!known) return ResourceError(name, "unknown key '" + key + "'");
    if (resources_.count(name) == 0) order_.push_back(name);
    if (!resources_[name].emplace(key, value).second) {
      return ResourceError(name, "key '" + key + "' is given twice");
    }
    return Status::Ok();
  }

  Result<Config> Finish() {
    Config config;
    auto top = [&](const char* key) -> const std::string* {
      auto it = top_.find(key);
      return it == top_.end() ? nullptr : &it->second;
    };
    if (top("node") == nullptr || top("node")->empty()) {
      return Error("missing node");
    }
    config.node = *top("node");
    Status valid = ValidateNodeId(config.node);
    if (!valid.ok()) return Error(valid.message());

    if (top("decision_store") != nullptr) {
      config.decision_store = *top("decision_store");
      if (config.decision_store.empty()) {
        return Error("decision_store is empty (file, or a resource's name)");
      }
    }
    const bool file_store = config.decision_store == "file";
    if (file_store && (top("log_dir") == nullptr || top("log_dir")->empty())) {
      return Error("missing log_dir");
    }
    if (top("log_dir") != nullptr && !top("log_dir")->empty()) {
      config.log_dir = Anchored(*top("log_dir"));
    }

    for (auto [key, out] :
         {std::pair{"grace_period", &config.grace_period_ms},
          std::pair{"sweep_interval", &config.sweep_interval_ms},
          std::pair{"log_lock_wait", &config.log_lock_wait_ms},
          std::pair{"heartbeat_interval", &config.heartbeat_interval_ms},
          std::pair{"key_retention", &config.key_retention_ms},
          std::pair{"saga_deadline", &config.saga.deadline_ms},
          std::pair{"saga_retention", &config.saga_retention_ms}}) {
      if (top(key) == nullptr) continue;
      if (!ParseSecondsMs(*top(key), out) || *out <= 0) {
        return Error(std::string(key) + " " + Quoted(*top(key)) +
                     " is not a positive number of seconds");
      }
    }
    if (Status saga = ParseSagaRetries(top, &config.saga); !saga.ok()) {
      return Error(saga.message());
    }
    // The decision deadline the CLI derives from it must fit the rule the
    // library checks.
    if (Status pair = CheckDecisionDeadline(
            DecisionDeadlineForGrace(config.grace_period_ms),
            config.grace_period_ms);
        !pair.ok()) {
      return Error("grace_period " + std::to_string(config.grace_period_ms) +
                   " ms is too short: " + pair.message());
    }
    if (top("takeover_after") != nullptr &&
        (!ParseSecondsMs(*top("takeover_after"), &config.takeover_after_ms) ||
         config.takeover_after_ms < 0)) {
      return Error("takeover_after " + Quoted(*top("takeover_after")) +
                   " is not a number of seconds (0: never take over)");
    }
    // Two beats must fit in the silence that means "dead".
    if (config.takeover_after_ms > 0 &&
        config.heartbeat_interval_ms * 2 > config.takeover_after_ms) {
      return Error("heartbeat_interval (" +
                   std::to_string(config.heartbeat_interval_ms) +
                   " ms) must be at most half of takeover_after (" +
                   std::to_string(config.takeover_after_ms) + " ms)");
    }

    if (order_.empty()) {
      return Error(
          "no [resource.NAME] section: configure at least one "
          "database");
    }
    for (const std::string& name : order_) {
      XATM_ASSIGN_OR_RETURN(ResourceConfig resource,
                            MakeResource(name, resources_[name]));
      config.resources.push_back(std::move(resource));
    }
    if (!file_store && config.FindResource(config.decision_store) == nullptr) {
      return Error("decision_store " + Quoted(config.decision_store) +
                   " is neither file nor a configured resource");
    }
    return config;
  }

  // The resource [resource.NAME] describes, from its `keys`, in steps:
  // its type, the keys every type takes, then its own type's.
  Result<ResourceConfig> MakeResource(
      const std::string& name, const std::map<std::string, std::string>& keys) {
    ResourceConfig r;
    r.name = name;
    Status valid = ValidateResourceName(name);
    if (!valid.ok()) return Error(valid.message());
    auto get = [&](const char* key) -> const std::string* {
      auto it = keys.find(key);
      return it == keys.end() ? nullptr : &it->second;
    };
    XATM_RETURN_IF_ERROR(TakeType(name, keys, get, &r));
    XATM_RETURN_IF_ERROR(TakeCommonKeys(name, get, &r));
    if (r.type == "postgresql") {
      XATM_RETURN_IF_ERROR(TakePostgresKeys(name, get, &r));
      return r;
    }
    XATM_RETURN_IF_ERROR(TakeMysqlKeys(name, get, &r));
    XATM_RETURN_IF_ERROR(TakeTls(name, get, &r));
    return r;
  }

  // type, and no key of the other type among `keys`.
  template <typename Get>
  Status TakeType(const std::string& name,
                  const std::map<std::string, std::string>& keys,
                  const Get& get, ResourceConfig* r) {
    if (get("type") == nullptr) {
      return ResourceError(name, "missing type (postgresql or mysql)");
    }
    r->type = *get("type");
    if (r->type != "postgresql" && r->type != "mysql") {
      return ResourceError(
          name, "type " + Quoted(r->type) + " is not postgresql or mysql");
    }
    const bool pg = r->type == "postgresql";
    for (const auto& [key, value] : keys) {
      if (CommonResourceKeys().count(key) != 0) continue;
      if (pg && MysqlKeys().count(key) != 0) {
        return ResourceError(name, "key '" + key +
                                       "' is for mysql resources (postgresql "
                                       "takes conninfo)");
      }
      if (!pg && PostgresKeys().count(key) != 0) {
        return ResourceError(name,
                             "key '" + key + "' is for postgresql resources");
      }
    }
    return Status::Ok();
  }

  // pool_size, connect_timeout, lock_timeout_ms, request_timeout_ms, xa,
  // idle_session_timeout: the keys of every type.
  template <typename Get>
  Status TakeCommonKeys(const std::string& name, const Get& get,
                        ResourceConfig* r) {
    int64_t n = 0;
    if (const std::string* v = get("pool_size")) {
      if (!ParseInt(*v, 1, 1000, &n)) {
        return ResourceError(name, "pool_size " + Quoted(*v) +
                                       " is not a number from 1 to 1000");
      }
      r->pool_size = static_cast<int>(n);
    }
    if (const std::string* v = get("connect_timeout")) {
      if (!ParseInt(*v, 1, 3600, &n)) {
        return ResourceError(name, "connect_timeout " + Quoted(*v) +
                                       " is not a number of seconds from 1 "
                                       "to 3600");
      }
      r->connect_timeout_s = static_cast<int>(n);
    }
    if (const std::string* v = get("lock_timeout_ms")) {
      if (!ParseInt(*v, 0, 3'600'000, &n)) {
        return ResourceError(name, "lock_timeout_ms " + Quoted(*v) +
                                       " is not a number of milliseconds "
                                       "from 0 to 3600000");
      }
      r->lock_timeout_ms = static_cast<int>(n);
    }
    if (const std::string* v = get("request_timeout_ms")) {
      if (!ParseInt(*v, 100, 3'600'000, &n)) {
        return ResourceError(name, "request_timeout_ms " + Quoted(*v) +
                                       " is not a number of milliseconds "
                                       "from 100 to 3600000");
      }
      r->request_timeout_ms = static_cast<int>(n);
    }
    if (const std::string* v = get("xa"); v && !ParseOnOff(*v, &r->xa)) {
      return ResourceError(name, "xa " + Quoted(*v) + " is not on or off");
    }
    if (const std::string* v = get("idle_session_timeout")) {
      if (!ParseInt(*v, 0, 86'400, &n)) {
        return ResourceError(name, "idle_session_timeout " + Quoted(*v) +
                                       " is not a number of seconds from 0 "
                                       "to 86400");
      }
      r->idle_session_timeout_s = static_cast<int>(n);
    }
    return Status::Ok();
  }

  // conninfo, prepared_statements of a postgresql resource.
  template <typename Get>
  Status TakePostgresKeys(const std::string& name, const Get& get,
                          ResourceConfig* r) {
    if (get("conninfo") == nullptr || get("conninfo")->empty()) {
      return ResourceError(name, "missing conninfo");
    }
    r->conninfo = *get("conninfo");
    std::string why = CheckConninfo(r->conninfo);
    if (!why.empty()) return ResourceError(name, why);
    if (const std::string* v = get("prepared_statements");
        v && !ParseOnOff(*v, &r->prepared_statements)) {
      return ResourceError(
          name, "prepared_statements " + Quoted(*v) + " is not on or off");
    }
    return Status::Ok();
  }

  // host, port, user, database, password_env of a mysql resource.
  template <typename Get>
  Status TakeMysqlKeys(const std::string& name, const Get& get,
                       ResourceConfig* r) {
    int64_t n = 0;
    if (const std::string* v = get("host")) r->host = *v;
    if (r->host.empty()) return ResourceError(name, "host is empty");
    if (const std::string* v = get("port")) {
      if (!ParseInt(*v, 1, 65535, &n)) {
        return ResourceError(
            name, "port " + Quoted(*v) + " is not a number from 1 to 65535");
      }
      r->port = static_cast<int>(n);
    }
    for (auto [key, out] :
         {std::pair{"user", &r->user}, std::pair{"database", &r->database}}) {
      if (get(key) == nullptr || get(key)->empty()) {
        return ResourceError(name, std::string("missing ") + key);
      }
      *out = *get(key);
    }
    if (const std::string* v = get("password_env")) {
      // The value is never repeated: a password typed here by mistake
      // would be shown.
      if (!IsEnvName(*v)) {
        return ResourceError(name,
                             "password_env is not an environment variable name "
                             "(letters, digits and '_')");
      }
      const char* secret = std::getenv(v->c_str());
      if (secret == nullptr) {
        return ResourceError(
            name, "the environment variable named by password_env is not set");
      }
      r->password = secret;
    }
    return Status::Ok();
  }

  // ssl_mode, ssl_ca, ssl_cert, ssl_key of a mysql resource. A file given
  // with TLS disabled, or a mode without what it needs, is refused rather
  // than silently connecting in plaintext or unverified.
  template <typename Get>
  Status TakeTls(const std::string& name, const Get& get, ResourceConfig* r) {
    if (const std::string* v = get("ssl_mode")) {
      if (!ParseSslMode(*v, &r->ssl_mode)) {
        return ResourceError(name, "ssl_mode " + Quoted(*v) +
                                       " is not disabled, required, verify_ca "
                                       "or verify_identity");
      }
    }
    for (auto [key, out] :
         {std::pair{"ssl_ca", &r->ssl_ca}, std::pair{"ssl_cert", &r->ssl_cert},
          std::pair{"ssl_key", &r->ssl_key}}) {
      const std::string* v = get(key);
      if (v == nullptr) continue;
      if (v->empty())
        return ResourceError(name, std::string(key) + " is empty");
      if (r->ssl_mode == SslMode::kDisabled) {
        return ResourceError(name, std::string(key) +
                                       " is set but ssl_mode is disabled (set "
                                       "ssl_mode = required, verify_ca or "
                                       "verify_identity)");
      }
      *out = Anchored(*v);
    }
    if (r->ssl_mode == SslMode::kVerifyCa && r->ssl_ca.empty()) {
      return ResourceError(name,
                           "ssl_mode verify_ca needs ssl_ca (the CA file that "
                           "signed the server's certificate)");
    }
    if (r->ssl_cert.empty() != r->ssl_key.empty()) {
      return ResourceError(name, "ssl_cert and ssl_key go together");
    }
    return Status::Ok();
  }

  std::string path_;
  std::map<std::string, std::string> top_;
  std::vector<std::string> order_;  // resource names in file order
  std::map<std::string, std::map<std::string, std::string>> resources_;
};

}  // namespace

RetryPolicy SagaSettings::DefaultStepPolicy() {
  RetryPolicy p;
  p.attempts = 5;
  p.first_backoff_ms = 50;
  p.max_backoff_ms = 2000;
  return p;
}

RetryPolicy SagaSettings::DefaultCompensationPolicy() {
  RetryPolicy p = DefaultStepPolicy();
  p.attempts = 20;
  return p;
}

const ResourceConfig* Config::FindResource(const std::string& name) const {
  for (const ResourceConfig& r : resources) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

Result<Config> ParseConfig(std::istream& in, const std::string& path) {
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  if (in.bad()) {
    return Status::InvalidArgument("config " + path + ": cannot read it");
  }
  return Parser(path).Parse(text);
}

Result<Config> LoadConfig(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return Status::InvalidArgument("config " + path + ": is a directory");
  }
  std::ifstream in(path);
  if (!in) {
    return Status::InvalidArgument("config " + path +
                                   ": cannot open it: " + std::strerror(errno));
  }
  return ParseConfig(in, path);
}

}  // namespace xatm
