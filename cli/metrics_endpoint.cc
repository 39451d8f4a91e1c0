#include "cli/metrics_endpoint.h"

#include <arpa/inet.h>
#include <prometheus/exposer.h>
#include <prometheus/registry.h>
#include <pthread.h>
#include <signal.h>

#include <cstdlib>
#include <exception>
#include <mutex>
#include <utility>

namespace xatm {
namespace {

std::mutex served_mu;
std::shared_ptr<prometheus::Registry> served;  // guarded by served_mu

bool IsAddress(const std::string& host) {
  unsigned char buffer[16];
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    return inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(),
                     buffer) == 1;
  }
  return inet_pton(AF_INET, host.c_str(), buffer) == 1;
}

bool IsPort(const std::string& text) {
  if (text.empty() || text.size() > 5) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  const long port = std::strtol(text.c_str(), nullptr, 10);
  return port >= 1 && port <= 65535;
}

}  // namespace

Status ValidateListenAddress(const std::string& host_port) {
  const size_t colon = host_port.rfind(':');
  if (colon == std::string::npos || !IsAddress(host_port.substr(0, colon)) ||
      !IsPort(host_port.substr(colon + 1))) {
    return Status::InvalidArgument(
        "--metrics-listen wants IPv4:PORT or [IPv6]:PORT with an address "
        "(not a host name) and PORT in 1..65535, got '" +
        host_port + "'");
  }
  return Status::Ok();
}

Result<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(
    const std::string& host_port) {
  XATM_RETURN_IF_ERROR(ValidateListenAddress(host_port));
  auto registry = std::make_shared<prometheus::Registry>();
  std::unique_ptr<prometheus::Exposer> exposer;
  // The server's threads inherit this thread's signal mask: with the stop
  // signals blocked there, SIGTERM/SIGINT reach the command's own handling
  // (xatm serve waits for them) instead of killing the process from an
  // HTTP thread.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  for (int signal : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&stop_signals, signal);
  sigset_t previous;
  pthread_sigmask(SIG_BLOCK, &stop_signals, &previous);
  try {
    exposer = std::make_unique<prometheus::Exposer>(host_port);
  } catch (const std::exception& e) {
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    // CivetServer: "null context when constructing CivetServer. Possible
    // problem binding to port."
    return Status::Unavailable("cannot serve metrics on " + host_port +
                               " (port in use, or not this host's "
                               "address?): " +
                               e.what());
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  exposer->RegisterCollectable(registry);
  return std::unique_ptr<MetricsEndpoint>(
      new MetricsEndpoint(std::move(registry), std::move(exposer)));
}

MetricsEndpoint::MetricsEndpoint(std::shared_ptr<prometheus::Registry> registry,
                                 std::unique_ptr<prometheus::Exposer> exposer)
    : registry_(std::move(registry)), exposer_(std::move(exposer)) {
  std::lock_guard<std::mutex> lock(served_mu);
  served = registry_;
}

MetricsEndpoint::~MetricsEndpoint() {
  {
    std::lock_guard<std::mutex> lock(served_mu);
    if (served == registry_) served.reset();
  }
  exposer_.reset();  // stops the server threads before the registry goes
}

std::shared_ptr<prometheus::Registry> ServedMetricsRegistry() {
  std::lock_guard<std::mutex> lock(served_mu);
  return served;
}

}  // namespace xatm
