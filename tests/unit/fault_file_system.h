// An in-memory FileSystem that can lose power.
//
// Like LevelDB's fault-injection env, it tracks for each file how many bytes
// were synced and, for each directory, which creations and deletions a
// SyncDir made durable. SimulatePowerLoss() turns that into what a machine
// finds after a crash: the unsynced suffix of each file dropped, partly kept,
// garbled, zero-filled or kept sector by sector with holes, and unsynced
// creations and deletions forgotten.
// Faults: fail the n-th sync, tear the n-th append, cut the power after n
// operations. Thread-safe. REQUIRES: outlives the files and locks it made.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "xatm/file_system.h"

namespace xatm::testing {

// What a power loss does to the bytes past a file's synced size.
enum class UnsyncedData {
  kDrop,        // all gone
  kKeepPrefix,  // a random prefix survives
  kGarble,      // a random prefix survives, its end replaced by noise
  kZeroFill,    // a random prefix survives, followed by zeros
  // Each 512-byte sector (at file offsets) holding unsynced bytes persists
  // or not, independently: a later sector may persist while an earlier one
  // does not. One that does not reads as zeros (the space the writer
  // filled ahead of its appends); the file keeps its length.
  kSectorHoles,
  kRandom,  // one of the above, chosen per file
};

class FaultFileSystem : public FileSystem {
 public:
  explicit FaultFileSystem(uint64_t seed = 1);
  ~FaultFileSystem() override;

  Result<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) override;
  Result<std::string> ReadFile(const std::string& path) override;
  Result<std::vector<std::string>> ListDir(const std::string& dir) override;
  // Directories are durable at once.
  Status CreateDirIfMissing(const std::string& dir) override;
  Status DeleteFile(const std::string& path) override;
  // Within one directory; durable after SyncDir. Atomic: a power loss
  // before that keeps the old name or the new one, never neither.
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status SyncDir(const std::string& dir) override;
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override;

  // --- Faults. Counts start with the next call. ---

  // The n-th Sync or SyncDir fails (n >= 1); what it should have made
  // durable stays unsynced.
  void FailSyncAt(uint64_t n);
  // The n-th Append writes only its first `keep` bytes and fails.
  void TearAppendAt(uint64_t n, size_t keep);
  // The n-th mutating call (create, append, sync, delete, sync dir) cuts the
  // power: it fails (an append keeps a random prefix), and so does every
  // call after it until SimulatePowerLoss().
  void CutPowerAt(uint64_t n);
  bool power_cut() const;

  // The machine restarts. Unsynced bytes are treated per `unsynced`;
  // each creation or deletion after the last SyncDir of its directory is
  // forgotten with probability `forget_dir_change` (1: all forgotten).
  // Files opened before stay dead; locks are released; pending faults are
  // cleared.
  void SimulatePowerLoss(UnsyncedData unsynced = UnsyncedData::kRandom,
                         double forget_dir_change = 1.0);

  // Makes each Sync take at least this long (outside the lock), so that
  // concurrent callers pile up as on a real disk.
  void set_sync_delay(std::chrono::microseconds delay);

  // --- Inspection and set-up. ---

  uint64_t file_syncs() const;  // successful WritableFile::Sync calls
  // The message of the last fault injected, "" when none.
  std::string last_injected() const;
  uint64_t appends() const;  // successful Append calls
  // The bytes a read would see now, or nullopt when missing.
  std::optional<std::string> Contents(const std::string& path) const;
  // Replaces or creates a file whose bytes and name are durable.
  void SetContents(const std::string& path, const std::string& data);
  // Names of the files in `dir`, sorted.
  std::vector<std::string> Files(const std::string& dir) const;

 private:
  struct Node {
    std::string data;
    size_t synced = 0;
  };
  using Names = std::map<std::string, std::shared_ptr<Node>>;
  struct Dir {
    Names live;     // what ListDir shows
    Names durable;  // as of the last SyncDir
  };
  class File;
  class Lock;

  enum class Power { kOn, kFailing, kOff };  // kFailing: dies in this call
  // REQUIRES: mu_ held. Counts a mutating call.
  Power Operate();
  bool Alive(uint64_t epoch) const;  // REQUIRES: mu_ held
  Status Dead() const;
  Dir* FindDir(const std::string& dir);               // REQUIRES: mu_ held
  void ApplyUnsynced(Node* node, UnsyncedData mode);  // REQUIRES: mu_ held

  Status FileAppend(const std::shared_ptr<Node>& node, uint64_t epoch,
                    std::string_view data);
  Status FileSync(const std::shared_ptr<Node>& node, uint64_t epoch);
  void Unlock(const std::string& path, uint64_t epoch);

  mutable std::mutex mu_;
  std::mt19937_64 rng_;
  std::map<std::string, Dir> dirs_;
  std::set<std::string> locks_;
  uint64_t epoch_ = 0;  // bumped by each power loss
  bool power_cut_ = false;
  uint64_t ops_ = 0, syncs_ = 0, appends_calls_ = 0;
  uint64_t cut_at_op_ = 0, fail_sync_at_ = 0, tear_append_at_ = 0;  // 0: none
  size_t tear_keep_ = 0;
  std::string last_injected_;
  uint64_t file_syncs_ = 0, appends_ok_ = 0;
  std::chrono::microseconds sync_delay_{0};
};

}  // namespace xatm::testing
