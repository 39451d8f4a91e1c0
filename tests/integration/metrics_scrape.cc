#include "tests/integration/metrics_scrape.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace xatm::testing {
namespace {

// Reads `"..."` at `*at` (escapes \\, \" and \n), leaving `*at` after it.
bool ReadQuoted(const std::string& line, size_t* at, std::string* out) {
  if (*at >= line.size() || line[*at] != '"') return false;
  for (++*at; *at < line.size(); ++*at) {
    char c = line[*at];
    if (c == '"') {
      ++*at;
      return true;
    }
    if (c == '\\' && *at + 1 < line.size()) {
      c = line[++*at];
      if (c == 'n') c = '\n';
    }
    out->push_back(c);
  }
  return false;
}

bool ParseLine(const std::string& line, MetricSample* sample) {
  size_t at = line.find_first_of("{ ");
  if (at == std::string::npos || at == 0) return false;
  sample->name = line.substr(0, at);
  if (line[at] == '{') {
    ++at;
    while (at < line.size() && line[at] != '}') {
      size_t eq = line.find('=', at);
      if (eq == std::string::npos) return false;
      std::string key = line.substr(at, eq - at);
      at = eq + 1;
      std::string value;
      if (!ReadQuoted(line, &at, &value)) return false;
      sample->labels[key] = value;
      if (at < line.size() && line[at] == ',') ++at;
    }
    if (at >= line.size()) return false;
    ++at;  // '}'
  }
  std::istringstream rest(line.substr(at));
  std::string number;
  if (!(rest >> number)) return false;
  char* end = nullptr;
  sample->value = std::strtod(number.c_str(), &end);  // also +Inf, NaN
  return end != nullptr && *end == '\0';
}

}  // namespace

Result<MetricSamples> MetricSamples::Parse(const std::string& text) {
  MetricSamples parsed;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    MetricSample sample;
    if (!ParseLine(line, &sample)) {
      return Status::InvalidArgument("not a metric line: " + line);
    }
    parsed.samples_.push_back(std::move(sample));
  }
  return parsed;
}

std::optional<double> MetricSamples::Get(const std::string& name,
                                         const MetricLabels& labels) const {
  for (const MetricSample& s : samples_) {
    if (s.name == name && s.labels == labels) return s.value;
  }
  return std::nullopt;
}

std::vector<MetricSample> MetricSamples::All(const std::string& name) const {
  std::vector<MetricSample> found;
  for (const MetricSample& s : samples_) {
    if (s.name == name) found.push_back(s);
  }
  return found;
}

Result<MetricSamples> ScrapeMetrics(const std::string& host_port) {
  // --fail: an HTTP error is an error, not a page to parse.
  const std::string command =
      "curl --silent --show-error --fail --max-time 5 http://" + host_port +
      "/metrics 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return Status::Internal("cannot run curl");
  std::string text;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0)
    text.append(buffer, n);
  const int rc = pclose(pipe);
  if (rc != 0) {
    return Status::Unavailable("curl " + host_port + "/metrics: " + text);
  }
  return MetricSamples::Parse(text);
}

// "127.0.0.1:PORT" with a port nothing listened on a moment ago.
std::string FreeLoopbackAddress() {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(s, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  getsockname(s, reinterpret_cast<sockaddr*>(&address), &length);
  close(s);
  return "127.0.0.1:" + std::to_string(ntohs(address.sin_port));
}

}  // namespace xatm::testing
