#include "tm/log/log_identity.h"

#include "tm/log/coding.h"
#include "tm/log/log_format.h"
#include "tm/log/log_reader.h"
#include "tm/log/record_codec.h"

namespace xatm {
namespace {

constexpr std::string_view kIdentityMagic = "xatm-log-id";
constexpr uint64_t kIdentityVersion = 1;

}  // namespace

std::string EncodeLogIdentity(const LogIdentity& identity) {
  std::string payload(kIdentityMagic);
  PutVarint64(&payload, kIdentityVersion);
  PutLengthPrefixed(&payload, identity.node_id);
  PutVarint64(&payload, static_cast<uint64_t>(identity.created_ms));
  std::string frame;
  AppendFrame(FrameType::kLogIdentity, payload, &frame);
  return frame;
}

Result<LogIdentity> DecodeLogIdentity(const std::string& path,
                                      const std::string& bytes) {
  const Status damaged = Status::DataLoss("log identity " + path +
                                          " is damaged (checksum or format)");
  LogReader reader(bytes);
  LogReader::Frame frame;
  if (reader.Next(&frame) != LogReader::Outcome::kFrame ||
      frame.type != FrameType::kLogIdentity) {
    return damaged;
  }
  // Nothing after it but the zeros a writer leaves ahead of its appends.
  LogReader::Frame extra;
  if (reader.Next(&extra) != LogReader::Outcome::kEnd) return damaged;
  std::string_view payload = frame.payload;
  if (payload.substr(0, kIdentityMagic.size()) != kIdentityMagic) {
    return damaged;
  }
  payload.remove_prefix(kIdentityMagic.size());
  uint64_t version, created;
  std::string_view node;
  if (!GetVarint64(&payload, &version)) return damaged;
  if (version != kIdentityVersion) {
    return Status::DataLoss("log identity " + path +
                            " has unsupported version " +
                            std::to_string(version));
  }
  if (!GetLengthPrefixed(&payload, &node) || !GetVarint64(&payload, &created) ||
      !payload.empty()) {
    return damaged;
  }
  LogIdentity identity;
  identity.node_id.assign(node);
  identity.created_ms = static_cast<int64_t>(created);
  return identity;
}

Result<std::optional<LogIdentity>> ReadLogIdentity(FileSystem* fs,
                                                   const std::string& dir,
                                                   const char* file) {
  const std::string path = dir + "/" + file;
  Result<std::string> bytes = fs->ReadFile(path);
  if (!bytes.ok()) {
    if (bytes.status().code() == StatusCode::kNotFound) {
      return std::optional<LogIdentity>();
    }
    return bytes.status();
  }
  XATM_ASSIGN_OR_RETURN(LogIdentity identity, DecodeLogIdentity(path, *bytes));
  return std::optional<LogIdentity>(std::move(identity));
}

Status WriteTempLogIdentity(FileSystem* fs, const std::string& dir,
                            const LogIdentity& identity) {
  const std::string temp = dir + "/" + kLogIdentityTempFile;
  // Left over from an interrupted creation.
  Status removed = fs->DeleteFile(temp);
  if (!removed.ok() && removed.code() != StatusCode::kNotFound) return removed;
  XATM_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file,
                        fs->NewWritableFile(temp));
  XATM_RETURN_IF_ERROR(file->Append(EncodeLogIdentity(identity)));
  XATM_RETURN_IF_ERROR(file->Sync());
  return file->Close();
}

Status InstallLogIdentity(FileSystem* fs, const std::string& dir) {
  XATM_RETURN_IF_ERROR(fs->RenameFile(dir + "/" + kLogIdentityTempFile,
                                      dir + "/" + kLogIdentityFile));
  return fs->SyncDir(dir);
}

}  // namespace xatm
