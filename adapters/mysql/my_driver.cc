#include "adapters/mysql/my_driver.h"

#include <mysql_driver.h>

#include <mutex>

namespace xatm {
namespace {

// Lives in each thread that touched the driver; its destructor runs at
// thread exit and releases the client library's per-thread state.
class ThreadRegistration {
 public:
  ThreadRegistration() { Driver()->threadInit(); }
  ~ThreadRegistration() { Driver()->threadEnd(); }
  ThreadRegistration(const ThreadRegistration&) = delete;
  ThreadRegistration& operator=(const ThreadRegistration&) = delete;
};

}  // namespace

sql::mysql::MySQL_Driver* Driver() {
  static std::once_flag once;
  static sql::mysql::MySQL_Driver* driver = nullptr;
  std::call_once(once,
                 [] { driver = sql::mysql::get_mysql_driver_instance(); });
  return driver;
}

void EnsureDriverThread() {
  thread_local ThreadRegistration registration;
  (void)registration;
}

}  // namespace xatm
