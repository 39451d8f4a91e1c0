#include "adapters/mysql/my_call_watchdog.h"

#include <sys/socket.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

namespace xatm {
namespace {

using Clock = std::chrono::steady_clock;

// One thread for the process, started on first use and never stopped
// (like the driver itself): it sleeps until the earliest armed deadline.
class Watchdog {
 public:
  static Watchdog& Instance() {
    static Watchdog* watchdog = new Watchdog();  // never deleted
    return *watchdog;
  }

  void Arm(MyCallTicket* ticket, Clock::time_point deadline) {
    bool wake = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      armed_.emplace(deadline, ticket);
      // Only a deadline before the thread's next wake-up needs it now: a
      // client's calls come one after another with later and later
      // deadlines, and waking it for each cost a thread switch per call.
      if (deadline < wake_at_) {
        wake_at_ = deadline;
        wake = true;
      }
    }
    if (wake) cv_.notify_one();
  }

  // False when the ticket had fired (and was removed) already.
  bool Disarm(MyCallTicket* ticket, Clock::time_point deadline) {
    std::lock_guard<std::mutex> lock(mu_);
    auto range = armed_.equal_range(deadline);
    for (auto it = range.first; it != range.second; ++it) {
      if (it->second == ticket) {
        armed_.erase(it);
        return true;
      }
    }
    return false;
  }

 private:
  Watchdog() : thread_([this] { Run(); }) { thread_.detach(); }

  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      const Clock::time_point now = Clock::now();
      while (!armed_.empty() && armed_.begin()->first <= now) {
        // The owner is blocked in the call or about to disarm; either way
        // it cannot close the socket while the ticket is armed: the fd is
        // its.
        auto first = armed_.begin();
        ::shutdown(first->second->fd(), SHUT_RDWR);
        first->second->MarkFired();
        armed_.erase(first);
      }
      // Tickets disarmed meanwhile may make this wake-up early; that is
      // harmless, and cheaper than waking on every Disarm.
      wake_at_ =
          armed_.empty() ? Clock::time_point::max() : armed_.begin()->first;
      if (armed_.empty()) {
        cv_.wait(lock);
      } else {
        // A copy: Arm may lower wake_at_ while the lock is released.
        const Clock::time_point next = wake_at_;
        cv_.wait_until(lock, next);
      }
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::multimap<Clock::time_point, MyCallTicket*> armed_;  // guarded by mu_
  // When the thread wakes next at the latest (guarded by mu_): no armed
  // deadline is earlier while it sleeps.
  Clock::time_point wake_at_ = Clock::time_point::max();
  std::thread thread_;
};

}  // namespace

MyCallTicket::MyCallTicket(int fd, Clock::time_point deadline)
    : fd_(fd), deadline_(deadline) {
  if (fd_ < 0) return;
  armed_ = true;
  Watchdog::Instance().Arm(this, deadline_);
}

MyCallTicket::~MyCallTicket() { (void)Disarm(); }

bool MyCallTicket::Disarm() {
  if (armed_) {
    armed_ = false;
    // Not found: the watchdog removed it after setting fired_ under its
    // lock, which Disarm() took: fired_ is visible here.
    if (!Watchdog::Instance().Disarm(this, deadline_)) fired_ = true;
  }
  return fired_;
}

}  // namespace xatm
