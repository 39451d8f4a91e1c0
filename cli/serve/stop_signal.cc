#include "cli/serve/stop_signal.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

namespace xatm {

const char* StopSignalName(int signal) {
  switch (signal) {
    case SIGTERM:
      return "SIGTERM";
    case SIGINT:
      return "SIGINT";
    case 0:
      return "request";
  }
  return "signal";
}

StopSignal::StopSignal() {
  sigemptyset(&signals_);
  sigaddset(&signals_, SIGTERM);
  sigaddset(&signals_, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals_, &old_mask_);
  listener_ = std::thread([this] { Listen(); });
}

StopSignal::~StopSignal() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }
  // Wakes the listener's sigwait(); it sees closing_ and returns.
  pthread_kill(listener_.native_handle(), SIGTERM);
  listener_.join();
  pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

void StopSignal::Listen() {
  int received = 0;
  while (true) {
    int signal = 0;
    if (sigwait(&signals_, &signal) != 0) continue;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closing_) return;
    }
    if (++received > 1) {
      spdlog::warn("{} again: stopping at once", StopSignalName(signal));
      std::_Exit(128 + signal);
    }
    Stop(signal);
  }
}

void StopSignal::Stop(int signal) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (requested_) return;
    requested_ = true;
    signal_ = signal;
  }
  cv_.notify_all();
}

void StopSignal::Request() { Stop(0); }

bool StopSignal::WaitFor(int64_t timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                      [this] { return requested_; });
}

bool StopSignal::requested() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requested_;
}

int StopSignal::signal_number() const {
  std::lock_guard<std::mutex> lock(mu_);
  return signal_;
}

}  // namespace xatm
