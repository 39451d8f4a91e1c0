// `--metrics-listen HOST:PORT`: serves the metrics of every transaction
// manager the command opens on http://HOST:PORT/metrics (prometheus-cpp's
// Exposer) for as long as the endpoint lives: the command's lifetime.
#pragma once

#include <memory>
#include <string>

#include "xatm/status.h"

namespace prometheus {
class Exposer;
class Registry;
}  // namespace prometheus

namespace xatm {

// Checks "IPv4:PORT" or "[IPv6]:PORT" (an address, not a host name: the
// server binds to it) with PORT in 1..65535. InvalidArgument otherwise.
Status ValidateListenAddress(const std::string& host_port);

class MetricsEndpoint {
 public:
  // Listens on `host_port` (checked as above). Unavailable when it cannot
  // (the port is in use, the address is not this host's).
  static Result<std::unique_ptr<MetricsEndpoint>> Start(
      const std::string& host_port);
  // Stops serving.
  ~MetricsEndpoint();
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  const std::shared_ptr<prometheus::Registry>& registry() const {
    return registry_;
  }

 private:
  MetricsEndpoint(std::shared_ptr<prometheus::Registry> registry,
                  std::unique_ptr<prometheus::Exposer> exposer);

  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

// The registry of the endpoint serving now, nullptr when none: where
// ManagerOptions registers every manager's metrics.
std::shared_ptr<prometheus::Registry> ServedMetricsRegistry();

}  // namespace xatm
