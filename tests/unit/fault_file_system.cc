#include "tests/unit/fault_file_system.h"

#include <unistd.h>

#include <algorithm>
#include <thread>
#include <utility>

namespace xatm::testing {
namespace {

void SplitPath(const std::string& path, std::string* dir, std::string* name) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) {
    *dir = ".";
    *name = path;
  } else {
    *dir = path.substr(0, slash);
    *name = path.substr(slash + 1);
  }
}

}  // namespace

class FaultFileSystem::File final : public WritableFile {
 public:
  File(FaultFileSystem* fs, std::shared_ptr<Node> node, uint64_t epoch)
      : fs_(fs), node_(std::move(node)), epoch_(epoch) {}
  Status Append(std::string_view data) override {
    return fs_->FileAppend(node_, epoch_, data);
  }
  Status Sync() override { return fs_->FileSync(node_, epoch_); }
  Status Close() override { return Status::Ok(); }

 private:
  FaultFileSystem* fs_;
  std::shared_ptr<Node> node_;
  uint64_t epoch_;
};

class FaultFileSystem::Lock final : public FileLock {
 public:
  Lock(FaultFileSystem* fs, std::string path, uint64_t epoch)
      : fs_(fs), path_(std::move(path)), epoch_(epoch) {}
  ~Lock() override { fs_->Unlock(path_, epoch_); }

 private:
  FaultFileSystem* fs_;
  std::string path_;
  uint64_t epoch_;
};

FaultFileSystem::FaultFileSystem(uint64_t seed) : rng_(seed) {}
FaultFileSystem::~FaultFileSystem() = default;

FaultFileSystem::Power FaultFileSystem::Operate() {
  if (power_cut_) return Power::kOff;
  ++ops_;
  if (cut_at_op_ != 0 && ops_ >= cut_at_op_) {
    power_cut_ = true;
    return Power::kFailing;
  }
  return Power::kOn;
}

bool FaultFileSystem::Alive(uint64_t epoch) const {
  return epoch == epoch_ && !power_cut_;
}

Status FaultFileSystem::Dead() const {
  return Status::Unavailable("injected: power cut");
}

FaultFileSystem::Dir* FaultFileSystem::FindDir(const std::string& dir) {
  auto it = dirs_.find(dir);
  return it == dirs_.end() ? nullptr : &it->second;
}

Result<std::unique_ptr<WritableFile>> FaultFileSystem::NewWritableFile(
    const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Operate() != Power::kOn) return Dead();
  std::string dir_name, name;
  SplitPath(path, &dir_name, &name);
  Dir* dir = FindDir(dir_name);
  if (dir == nullptr) return Status::NotFound("no directory " + dir_name);
  if (dir->live.count(name) != 0) {
    return Status::AlreadyExists("create " + path + ": File exists");
  }
  auto node = std::make_shared<Node>();
  dir->live[name] = node;
  return std::unique_ptr<WritableFile>(new File(this, node, epoch_));
}

Status FaultFileSystem::FileAppend(const std::shared_ptr<Node>& node,
                                   uint64_t epoch, std::string_view data) {
  std::lock_guard<std::mutex> lock(mu_);
  if (epoch != epoch_) return Dead();
  switch (Operate()) {
    case Power::kOn:
      break;
    case Power::kFailing:
      // The write the power died in: some of it reached the page cache.
      node->data.append(data.substr(0, rng_() % (data.size() + 1)));
      return Dead();
    case Power::kOff:
      return Dead();
  }
  ++appends_calls_;
  if (tear_append_at_ != 0 && appends_calls_ == tear_append_at_) {
    tear_append_at_ = 0;
    node->data.append(data.substr(0, std::min(tear_keep_, data.size())));
    last_injected_ = "injected: torn write";
    return Status::Unavailable(last_injected_);
  }
  node->data.append(data);
  ++appends_ok_;
  return Status::Ok();
}

Status FaultFileSystem::FileSync(const std::shared_ptr<Node>& node,
                                 uint64_t epoch) {
  std::chrono::microseconds delay;
  {
    std::lock_guard<std::mutex> lock(mu_);
    delay = sync_delay_;
  }
  if (delay.count() > 0) std::this_thread::sleep_for(delay);
  std::lock_guard<std::mutex> lock(mu_);
  if (!Alive(epoch) || Operate() != Power::kOn) return Dead();
  ++syncs_;
  if (fail_sync_at_ != 0 && syncs_ == fail_sync_at_) {
    fail_sync_at_ = 0;
    last_injected_ = "injected: fdatasync failed";
    return Status::Unavailable(last_injected_);
  }
  node->synced = node->data.size();
  ++file_syncs_;
  return Status::Ok();
}

Result<std::string> FaultFileSystem::ReadFile(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string dir_name, name;
  SplitPath(path, &dir_name, &name);
  Dir* dir = FindDir(dir_name);
  if (dir == nullptr || dir->live.count(name) == 0) {
    return Status::NotFound("open " + path + ": No such file or directory");
  }
  return dir->live[name]->data;
}

Result<std::vector<std::string>> FaultFileSystem::ListDir(
    const std::string& dir_name) {
  std::lock_guard<std::mutex> lock(mu_);
  Dir* dir = FindDir(dir_name);
  if (dir == nullptr) return Status::NotFound("opendir " + dir_name);
  std::vector<std::string> names;
  for (const auto& entry : dir->live) names.push_back(entry.first);
  // A real directory lists in no particular order.
  std::shuffle(names.begin(), names.end(), rng_);
  return names;
}

Status FaultFileSystem::CreateDirIfMissing(const std::string& dir) {
  std::lock_guard<std::mutex> lock(mu_);
  dirs_[dir];
  return Status::Ok();
}

Status FaultFileSystem::DeleteFile(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Operate() != Power::kOn) return Dead();
  std::string dir_name, name;
  SplitPath(path, &dir_name, &name);
  Dir* dir = FindDir(dir_name);
  if (dir == nullptr || dir->live.erase(name) == 0) {
    return Status::NotFound("unlink " + path + ": No such file or directory");
  }
  return Status::Ok();
}

Status FaultFileSystem::RenameFile(const std::string& from,
                                   const std::string& to) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Operate() != Power::kOn) return Dead();
  std::string dir_name, name, to_dir_name, to_name;
  SplitPath(from, &dir_name, &name);
  SplitPath(to, &to_dir_name, &to_name);
  Dir* dir = FindDir(dir_name);
  if (dir == nullptr || dir_name != to_dir_name || dir->live.count(name) == 0) {
    return Status::NotFound("rename " + from + ": No such file or directory");
  }
  dir->live[to_name] = dir->live[name];
  dir->live.erase(name);
  return Status::Ok();
}

Status FaultFileSystem::SyncDir(const std::string& dir_name) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Operate() != Power::kOn) return Dead();
  Dir* dir = FindDir(dir_name);
  if (dir == nullptr) return Status::NotFound("open directory " + dir_name);
  ++syncs_;
  if (fail_sync_at_ != 0 && syncs_ == fail_sync_at_) {
    fail_sync_at_ = 0;
    last_injected_ = "injected: fsync of directory failed";
    return Status::Unavailable(last_injected_);
  }
  dir->durable = dir->live;
  return Status::Ok();
}

Result<std::unique_ptr<FileLock>> FaultFileSystem::LockFile(
    const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (power_cut_) return Dead();
  if (locks_.count(path) != 0) {
    return Status::FailedPrecondition("lock " + path +
                                      " is held by another process");
  }
  std::string dir_name, name;
  SplitPath(path, &dir_name, &name);
  Dir* dir = FindDir(dir_name);
  if (dir == nullptr) return Status::NotFound("no directory " + dir_name);
  auto& node = dir->live[name];
  if (node == nullptr) node = std::make_shared<Node>();
  node->data = std::to_string(::getpid()) + "\n";
  locks_.insert(path);
  return std::unique_ptr<FileLock>(new Lock(this, path, epoch_));
}

void FaultFileSystem::Unlock(const std::string& path, uint64_t epoch) {
  std::lock_guard<std::mutex> lock(mu_);
  if (epoch == epoch_) locks_.erase(path);
}

void FaultFileSystem::FailSyncAt(uint64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_sync_at_ = syncs_ + n;
}

void FaultFileSystem::TearAppendAt(uint64_t n, size_t keep) {
  std::lock_guard<std::mutex> lock(mu_);
  tear_append_at_ = appends_calls_ + n;
  tear_keep_ = keep;
}

void FaultFileSystem::CutPowerAt(uint64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  cut_at_op_ = ops_ + n;
}

bool FaultFileSystem::power_cut() const {
  std::lock_guard<std::mutex> lock(mu_);
  return power_cut_;
}

void FaultFileSystem::ApplyUnsynced(Node* node, UnsyncedData mode) {
  const size_t unsynced = node->data.size() - node->synced;
  if (unsynced == 0) return;
  if (mode == UnsyncedData::kRandom) {
    mode = static_cast<UnsyncedData>(rng_() % 5);
  }
  const size_t keep = rng_() % (unsynced + 1);
  switch (mode) {
    case UnsyncedData::kDrop:
      node->data.resize(node->synced);
      break;
    case UnsyncedData::kKeepPrefix:
      node->data.resize(node->synced + keep);
      break;
    case UnsyncedData::kGarble: {
      node->data.resize(node->synced + keep);
      const size_t noise = keep == 0 ? 0 : 1 + rng_() % keep;
      for (size_t i = node->data.size() - noise; i < node->data.size(); ++i) {
        node->data[i] = static_cast<char>(rng_());
      }
      break;
    }
    case UnsyncedData::kZeroFill: {
      const size_t zeros = rng_() % (unsynced - keep + 1);
      node->data.resize(node->synced + keep);
      node->data.append(zeros, '\0');
      break;
    }
    case UnsyncedData::kSectorHoles: {
      constexpr size_t kSector = 512;
      const size_t size = node->data.size();
      for (size_t start = node->synced / kSector * kSector; start < size;
           start += kSector) {
        if (rng_() % 2 == 0) continue;  // this sector reached the disk
        const size_t from = std::max(start, node->synced);
        const size_t to = std::min(start + kSector, size);
        std::fill(node->data.begin() + static_cast<ptrdiff_t>(from),
                  node->data.begin() + static_cast<ptrdiff_t>(to), '\0');
      }
      break;
    }
    case UnsyncedData::kRandom:
      break;
  }
  node->synced = node->data.size();
}

void FaultFileSystem::SimulatePowerLoss(UnsyncedData unsynced,
                                        double forget_dir_change) {
  std::lock_guard<std::mutex> lock(mu_);
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  for (auto& [name, dir] : dirs_) {
    Names after = dir.durable;
    // A durable file now live under another name was renamed: the rename
    // is atomic (old name or new, never neither).
    std::map<const Node*, std::string> durable_name;
    for (const auto& [file, node] : dir.durable) {
      durable_name[node.get()] = file;
    }
    std::set<std::string> renamed_from;
    // Each unsynced change of the name space is forgotten or kept.
    for (const auto& [file, node] : dir.live) {
      auto durable = dir.durable.find(file);
      if (durable != dir.durable.end() && durable->second == node) continue;
      auto old_name = durable_name.find(node.get());
      const bool renamed = old_name != durable_name.end() &&
                           dir.live.count(old_name->second) == 0;
      if (renamed) renamed_from.insert(old_name->second);
      if (coin(rng_) >= forget_dir_change) {
        after[file] = node;
        if (renamed) after.erase(old_name->second);
      }
    }
    for (const auto& [file, node] : dir.durable) {
      if (dir.live.count(file) == 0 && renamed_from.count(file) == 0 &&
          coin(rng_) >= forget_dir_change) {
        after.erase(file);
      }
    }
    for (auto& [file, node] : after) {
      // A node reachable twice must be treated once; the second call finds
      // nothing unsynced.
      ApplyUnsynced(node.get(), unsynced);
    }
    // Restarted: fresh nodes, so that no dead handle shares them.
    Names fresh;
    for (const auto& [file, node] : after) {
      fresh[file] = std::make_shared<Node>(*node);
    }
    dir.live = fresh;
    dir.durable = fresh;
  }
  locks_.clear();
  ++epoch_;
  power_cut_ = false;
  cut_at_op_ = fail_sync_at_ = tear_append_at_ = 0;
}

void FaultFileSystem::set_sync_delay(std::chrono::microseconds delay) {
  std::lock_guard<std::mutex> lock(mu_);
  sync_delay_ = delay;
}

uint64_t FaultFileSystem::file_syncs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return file_syncs_;
}

std::string FaultFileSystem::last_injected() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_injected_;
}

uint64_t FaultFileSystem::appends() const {
  std::lock_guard<std::mutex> lock(mu_);
  return appends_ok_;
}

std::optional<std::string> FaultFileSystem::Contents(
    const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string dir_name, name;
  SplitPath(path, &dir_name, &name);
  auto dir = dirs_.find(dir_name);
  if (dir == dirs_.end()) return std::nullopt;
  auto file = dir->second.live.find(name);
  if (file == dir->second.live.end()) return std::nullopt;
  return file->second->data;
}

void FaultFileSystem::SetContents(const std::string& path,
                                  const std::string& data) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string dir_name, name;
  SplitPath(path, &dir_name, &name);
  Dir& dir = dirs_[dir_name];
  auto node = std::make_shared<Node>();
  node->data = data;
  node->synced = data.size();
  dir.live[name] = node;
  dir.durable[name] = node;
}

std::vector<std::string> FaultFileSystem::Files(const std::string& dir) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> names;
  auto it = dirs_.find(dir);
  if (it == dirs_.end()) return names;
  for (const auto& entry : it->second.live) names.push_back(entry.first);
  return names;
}

}  // namespace xatm::testing
