// The process-wide Connector/C++ driver and its per-thread set-up.
#pragma once

namespace sql::mysql {
class MySQL_Driver;
}  // namespace sql::mysql

namespace xatm {

// The driver, created on first use. Creating it is not thread-safe in
// Connector/C++, hence the single guarded creation here. Never deleted.
sql::mysql::MySQL_Driver* Driver();

// Registers the calling thread with the client library (threadInit) on its
// first call in that thread; threadEnd runs when the thread exits. Call it
// before any driver use on a thread: every MyConnection entry point does.
void EnsureDriverThread();

}  // namespace xatm
