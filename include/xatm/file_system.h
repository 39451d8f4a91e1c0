/// @file
/// The file-system seam of the decision log. Every byte the log writes or
/// reads goes through this interface, so tests can fail a sync, drop what was
/// never synced, or tear the last write (see tests/unit/fault_file_system.h).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "xatm/status.h"

namespace xatm {

/// A file open for appending, made by FileSystem::NewWritableFile. Used by
/// one thread at a time.
///
/// Errors of the POSIX file system name the operation and the path:
/// NotFound for ENOENT, AlreadyExists for EEXIST, Unavailable otherwise.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  /// Writes `data` at the end of the file (not yet durable: see Sync).
  /// FailedPrecondition after Close.
  virtual Status Append(std::string_view data) = 0;
  /// Makes every appended byte durable (fdatasync).
  virtual Status Sync() = 0;
  /// Closes the file; OK if it was closed already. The file is closed even
  /// when an error is returned.
  virtual Status Close() = 0;
};

/// A lock made by FileSystem::LockFile. Held while alive; released by the
/// destructor (or by the process dying).
class FileLock {
 public:
  virtual ~FileLock() = default;
};

/// Every file operation of the decision log. FileSystem::Default() is the
/// real one; tests substitute their own (often a FileSystemWrapper). The
/// implementations must be thread-safe. Errors of the POSIX file system
/// name the operation and the path: NotFound for ENOENT, AlreadyExists for
/// EEXIST, Unavailable otherwise.
class FileSystem {
 public:
  virtual ~FileSystem() = default;

  /// The real POSIX file system. Never deleted.
  static FileSystem* Default();

  /// Creates `path`, which must not exist, for appending.
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) = 0;
  /// The whole contents of the file at `path`.
  virtual Result<std::string> ReadFile(const std::string& path) = 0;
  /// File names (not paths) in `dir`, without "." and "..".
  virtual Result<std::vector<std::string>> ListDir(const std::string& dir) = 0;
  /// Creates `dir` and its missing parents, durably (OK when it exists;
  /// FailedPrecondition when it is not a directory).
  virtual Status CreateDirIfMissing(const std::string& dir) = 0;
  /// Removes the file at `path` (durable after SyncDir).
  virtual Status DeleteFile(const std::string& path) = 0;
  /// Replaces `to` with `from` atomically (rename(2)); durable after SyncDir.
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  /// Makes creations and deletions in `dir` durable.
  virtual Status SyncDir(const std::string& dir) = 0;
  /// An exclusive lock on `path` (created if missing) held against other
  /// processes. FailedPrecondition when another process holds it. The holder
  /// writes its pid into the file, for the error message of the next opener.
  virtual Result<std::unique_ptr<FileLock>> LockFile(
      const std::string& path) = 0;

  /// A directory or file that users other than its owner may use.
  struct OpenEntry {
    std::string path;       ///< the directory's or the file's path
    unsigned mode = 0;      ///< permission bits
    bool writable = false;  ///< by group or others
  };
  /// `dir` itself and the files in it that others may read or write. With
  /// `make_private`, first takes those permissions away from each one this
  /// process owns (init: the log is its owner's alone). A file system
  /// without permissions has none.
  virtual Result<std::vector<OpenEntry>> OpenToOthers(const std::string& dir,
                                                      bool make_private) {
    (void)dir, (void)make_private;
    return std::vector<OpenEntry>{};
  }
};

/// Forwards every call to another file system, so a test can override just
/// the calls it wants to fail or observe.
class FileSystemWrapper : public FileSystem {
 public:
  /// REQUIRES: `target` outlives the wrapper.
  explicit FileSystemWrapper(FileSystem* target) : target_(target) {}
  /// The file system every call goes to.
  FileSystem* target() const { return target_; }

  Result<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) override {
    return target_->NewWritableFile(path);
  }
  Result<std::string> ReadFile(const std::string& path) override {
    return target_->ReadFile(path);
  }
  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    return target_->ListDir(dir);
  }
  Status CreateDirIfMissing(const std::string& dir) override {
    return target_->CreateDirIfMissing(dir);
  }
  Status DeleteFile(const std::string& path) override {
    return target_->DeleteFile(path);
  }
  Status RenameFile(const std::string& from, const std::string& to) override {
    return target_->RenameFile(from, to);
  }
  Status SyncDir(const std::string& dir) override {
    return target_->SyncDir(dir);
  }
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    return target_->LockFile(path);
  }
  Result<std::vector<OpenEntry>> OpenToOthers(const std::string& dir,
                                              bool make_private) override {
    return target_->OpenToOthers(dir, make_private);
  }

 private:
  FileSystem* target_;
};

}  // namespace xatm
