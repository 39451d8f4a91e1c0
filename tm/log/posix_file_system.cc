// FileSystem::Default(): the POSIX file system.
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#include "xatm/file_system.h"

namespace xatm {
namespace {

// The log says which transactions exist and when, and who may resolve
// them: its owner's alone. Set explicitly after creation, since the umask
// can only take bits away from the mode open() and mkdir() are given.
constexpr mode_t kFileMode = 0600;
constexpr mode_t kDirMode = 0700;

// strerror_r comes in a GNU flavour (returns the text) and an XSI one
// (returns 0 and fills the buffer); these overloads accept either.
[[maybe_unused]] inline const char* StrerrorText(const char* text,
                                                 const char* /*buf*/) {
  return text;
}
[[maybe_unused]] inline const char* StrerrorText(int rc, const char* buf) {
  return rc == 0 ? buf : "unknown error";
}

Status PosixError(const std::string& op, const std::string& path, int err) {
  char buf[256] = {};
  std::string message = op + " " + path + ": " +
                        StrerrorText(strerror_r(err, buf, sizeof(buf)), buf);
  switch (err) {
    case ENOENT:
      return Status::NotFound(std::move(message));
    case EEXIST:
      return Status::AlreadyExists(std::move(message));
    default:
      return Status::Unavailable(std::move(message));
  }
}

std::string ParentDir(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Appends go into space filled with zeros ahead of them, so that an
// fdatasync flushes only the appended bytes and not a new file size (which
// costs a journal commit on ext4 and XFS): about a quarter less per sync on
// this kind of disk. The space grows by doubling chunks up to
// kMaxGrowBytes; only the sync after a growth pays for the size change.
// Readers take zeros at a frame boundary for the end of the log.
class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd)
      : path_(std::move(path)), fd_(fd) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Append(std::string_view data) override {
    if (fd_ < 0) return Status::FailedPrecondition("append to closed " + path_);
    const uint64_t end = size_ + data.size();
    if (end > allocated_) XATM_RETURN_IF_ERROR(Grow(end));
    XATM_RETURN_IF_ERROR(WriteAt(size_, data.data(), data.size()));
    size_ = end;
    return Status::Ok();
  }

  Status Sync() override {
    if (fd_ < 0) return Status::FailedPrecondition("sync of closed " + path_);
    // Never retried: after a failed fdatasync the kernel may have dropped
    // the dirty pages, and a second call would report success.
    if (::fdatasync(fd_) != 0) return PosixError("fdatasync", path_, errno);
    return Status::Ok();
  }

  Status Close() override {
    if (fd_ < 0) return Status::Ok();
    const int rc = ::close(fd_);
    fd_ = -1;  // even on error: Linux releases the descriptor
    if (rc != 0) return PosixError("close", path_, errno);
    return Status::Ok();
  }

 private:
  static constexpr uint64_t kMinGrowBytes = 64 << 10;
  static constexpr uint64_t kMaxGrowBytes = 1 << 20;

  // Fills [allocated_, new end) with zeros; the new end covers `needed`.
  Status Grow(uint64_t needed) {
    static const char kZeros[kMinGrowBytes] = {};
    const uint64_t step = std::clamp(allocated_, kMinGrowBytes, kMaxGrowBytes);
    uint64_t target = std::max(needed, allocated_ + step);
    target = (target + kMinGrowBytes - 1) / kMinGrowBytes * kMinGrowBytes;
    while (allocated_ < target) {
      const size_t n = static_cast<size_t>(
          std::min<uint64_t>(target - allocated_, sizeof(kZeros)));
      XATM_RETURN_IF_ERROR(WriteAt(allocated_, kZeros, n));
      allocated_ += n;
    }
    return Status::Ok();
  }

  Status WriteAt(uint64_t offset, const char* p, size_t left) {
    while (left > 0) {
      ssize_t n = ::pwrite(fd_, p, left, static_cast<off_t>(offset));
      if (n < 0) {
        if (errno == EINTR) continue;
        return PosixError("write", path_, errno);
      }
      p += n;
      offset += static_cast<uint64_t>(n);
      left -= static_cast<size_t>(n);
    }
    return Status::Ok();
  }

  std::string path_;
  int fd_;
  uint64_t size_ = 0;       // bytes appended
  uint64_t allocated_ = 0;  // bytes in the file: size_ plus zeros
};

class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  ~PosixFileLock() override { ::close(fd_); }  // releases the flock

 private:
  int fd_;
};

class PosixFileSystem final : public FileSystem {
 public:
  Result<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) override {
    int fd;
    do {
      fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                  kFileMode);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return PosixError("create", path, errno);
    if (::fchmod(fd, kFileMode) != 0) {
      const int err = errno;
      ::close(fd);
      return PosixError("chmod", path, err);
    }
    return std::unique_ptr<WritableFile>(new PosixWritableFile(path, fd));
  }

  Result<std::string> ReadFile(const std::string& path) override {
    int fd;
    do {
      fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return PosixError("open", path, errno);
    // Read straight into the string, sized from fstat; a file that grows
    // meanwhile is read to its end all the same.
    std::string contents;
    struct stat st;
    if (::fstat(fd, &st) == 0 && st.st_size > 0) {
      contents.resize(static_cast<size_t>(st.st_size) + 1);
    }
    size_t used = 0;
    while (true) {
      if (used == contents.size()) {
        contents.resize(std::max<size_t>(2 * contents.size(), 1 << 16));
      }
      ssize_t n = ::read(fd, contents.data() + used, contents.size() - used);
      if (n < 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        ::close(fd);
        return PosixError("read", path, err);
      }
      if (n == 0) break;
      used += static_cast<size_t>(n);
    }
    ::close(fd);
    contents.resize(used);
    return contents;
  }

  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return PosixError("opendir", dir, errno);
    std::vector<std::string> names;
    while (true) {
      errno = 0;
      struct dirent* entry = ::readdir(d);
      if (entry == nullptr) break;
      const char* name = entry->d_name;
      if (std::strcmp(name, ".") == 0 || std::strcmp(name, "..") == 0) continue;
      names.emplace_back(name);
    }
    const int err = errno;
    ::closedir(d);
    if (err != 0) return PosixError("readdir", dir, err);
    return names;
  }

  Status CreateDirIfMissing(const std::string& dir) override {
    struct stat st;
    if (::stat(dir.c_str(), &st) == 0) {
      if (S_ISDIR(st.st_mode)) return Status::Ok();
      return Status::FailedPrecondition(dir + " exists and is not a directory");
    }
    const std::string parent = ParentDir(dir);
    if (parent != dir) XATM_RETURN_IF_ERROR(CreateDirIfMissing(parent));
    if (::mkdir(dir.c_str(), kDirMode) != 0) {
      if (errno != EEXIST) return PosixError("mkdir", dir, errno);
    } else if (::chmod(dir.c_str(), kDirMode) != 0) {
      return PosixError("chmod", dir, errno);
    }
    // The new entry must survive a crash like any file in it.
    return SyncDir(parent);
  }

  Result<std::vector<OpenEntry>> OpenToOthers(const std::string& dir,
                                              bool make_private) override {
    std::vector<std::string> paths = {dir};
    XATM_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(dir));
    for (const std::string& name : names) paths.push_back(dir + "/" + name);
    std::vector<OpenEntry> open;
    for (const std::string& path : paths) {
      struct stat st;
      if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) continue;  // deleted since the listing
        return PosixError("stat", path, errno);
      }
      if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) continue;
      mode_t mode = st.st_mode & 07777;
      if ((mode & 077) == 0) continue;
      if (make_private && st.st_uid == ::geteuid()) {
        if (::chmod(path.c_str(), mode & ~mode_t{077}) != 0) {
          return PosixError("chmod", path, errno);
        }
        continue;
      }
      open.push_back(
          OpenEntry{path, static_cast<unsigned>(mode), (mode & 022) != 0});
    }
    return open;
  }

  Status DeleteFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return PosixError("unlink", path, errno);
    return Status::Ok();
  }

  Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return PosixError("rename", from, errno);
    }
    return Status::Ok();
  }

  Status SyncDir(const std::string& dir) override {
    int fd;
    do {
      fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return PosixError("open directory", dir, errno);
    Status status;
    if (::fsync(fd) != 0) status = PosixError("fsync directory", dir, errno);
    ::close(fd);
    return status;
  }

  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    int fd;
    do {
      fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, kFileMode);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return PosixError("open lock file", path, errno);
    // Also a lock file left 0644 by an older version.
    if (::fchmod(fd, kFileMode) != 0) {
      const int err = errno;
      ::close(fd);
      return PosixError("chmod", path, err);
    }
    int rc;
    do {
      rc = ::flock(fd, LOCK_EX | LOCK_NB);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      const int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK) {
        return Status::FailedPrecondition("lock " + path +
                                          " is held by another process");
      }
      return PosixError("flock", path, err);
    }
    // Who holds the lock, for the error message of the next opener. Not
    // synced: it only matters while this process lives.
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) !=
                                       static_cast<ssize_t>(pid.size())) {
      const int err = errno;
      ::close(fd);
      return PosixError("write lock file", path, err);
    }
    return std::unique_ptr<FileLock>(new PosixFileLock(fd));
  }
};

}  // namespace

FileSystem* FileSystem::Default() {
  static FileSystem* const fs = new PosixFileSystem();
  return fs;
}

}  // namespace xatm
