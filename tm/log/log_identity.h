// The identity of a decision log directory: the node it belongs to and when
// it was created, in "<dir>/xatm-log.id".
//
// Written once, when the log is created (xatm init or create_if_missing),
// atomically: a temporary file "xatm-log.id.tmp", synced, then (after the
// first segment is durable) renamed into place, directory synced. So a
// creation cut short leaves either no segment, or segments holding no
// record beside the temporary identity (which the next creation finishes),
// never an identity without segments. One frame (see log_format.h) of type
// kLogIdentity, so a damaged file fails its checksum. Without it a missing
// directory, an unmounted volume or a lost set of segments would read as "no
// decisions", and every old branch would be presumed aborted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "xatm/file_system.h"
#include "xatm/status.h"

namespace xatm {

inline constexpr char kLogIdentityFile[] = "xatm-log.id";
inline constexpr char kLogIdentityTempFile[] = "xatm-log.id.tmp";

struct LogIdentity {
  std::string node_id;
  int64_t created_ms = 0;
};

std::string EncodeLogIdentity(const LogIdentity& identity);
// DataLoss naming the file when the bytes are not one valid identity.
Result<LogIdentity> DecodeLogIdentity(const std::string& path,
                                      const std::string& bytes);

// nullopt when the file does not exist. `file` is kLogIdentityFile or
// kLogIdentityTempFile.
Result<std::optional<LogIdentity>> ReadLogIdentity(
    FileSystem* fs, const std::string& dir,
    const char* file = kLogIdentityFile);
// Writes and syncs the temporary identity (replacing an old one).
Status WriteTempLogIdentity(FileSystem* fs, const std::string& dir,
                            const LogIdentity& identity);
// Renames the temporary identity into place and syncs the directory.
Status InstallLogIdentity(FileSystem* fs, const std::string& dir);

}  // namespace xatm
