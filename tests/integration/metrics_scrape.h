// Prometheus text exposition, read back for tests: parsed from any text
// (a registry serialized in-process, or a scrape of /metrics with curl).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "xatm/status.h"

namespace xatm::testing {

using MetricLabels = std::map<std::string, std::string>;

struct MetricSample {
  std::string name;  // e.g. xatm_commit_seconds_count
  MetricLabels labels;
  double value = 0;
};

class MetricSamples {
 public:
  // Parses "name{label="v",...} value [timestamp]" lines; # lines skipped.
  static Result<MetricSamples> Parse(const std::string& text);

  // The value of the sample with exactly this name and these labels.
  std::optional<double> Get(const std::string& name,
                            const MetricLabels& labels = {}) const;
  // Every sample of that name.
  std::vector<MetricSample> All(const std::string& name) const;

 private:
  std::vector<MetricSample> samples_;
};

// "127.0.0.1:PORT" with a port nothing listened on a moment ago.
std::string FreeLoopbackAddress();

// GET http://HOST:PORT/metrics with curl (a real HTTP client), parsed.
Result<MetricSamples> ScrapeMetrics(const std::string& host_port);

}  // namespace xatm::testing
