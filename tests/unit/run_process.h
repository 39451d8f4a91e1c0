// Running a program from a test: its exit code, stdout and stderr. Used by
// the tests that drive the `xatm` binary.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace xatm::testing {

struct ProcessResult {
  int exit_code = -1;  // 128 + signal when killed by a signal
  std::string out;
  std::string err;
  // Lines of err, without the line breaks.
  std::vector<std::string> ErrLines() const;
};

struct ProcessOptions {
  // Changes to this process's environment: nullopt unsets the variable.
  std::map<std::string, std::optional<std::string>> env;
  std::string cwd;  // empty: this process's directory
};

// Runs argv[0] with `argv` and waits for it. Aborts the test program if the
// program cannot be started at all.
ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const ProcessOptions& options = {});

// A fresh directory under $TMPDIR (or /tmp), removed with its contents.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Writes `text` to `path`, replacing it.
void WriteFile(const std::string& path, const std::string& text);

// The permission bits of `path` in octal ("0600"), or "missing".
std::string OctalMode(const std::string& path);

}  // namespace xatm::testing
