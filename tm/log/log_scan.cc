// ScanDecisionLog: the read-only view behind `xatm log verify` / `log dump`.
#include <utility>

#include "tm/log/log_identity.h"
#include "tm/log/log_replay.h"
#include "tm/names.h"
#include "xatm/decision_log.h"

namespace xatm {
namespace {

class Collector final : public RecordVisitor {
 public:
  explicit Collector(std::vector<ScannedRecord>* out) : out_(out) {}
  void OnRecord(const std::string& segment, uint64_t offset,
                const RecordView& record) override {
    out_->push_back(ScannedRecord{segment, offset, record.ToRecord()});
  }

 private:
  std::vector<ScannedRecord>* out_;
};

}  // namespace

Result<LogScan> ScanDecisionLog(const std::string& dir, FileSystem* fs) {
  if (fs == nullptr) fs = FileSystem::Default();
  LogScan scan;
  // Listed first: a missing directory is NotFound, not "no identity".
  XATM_RETURN_IF_ERROR(fs->ListDir(dir).status());
  XATM_ASSIGN_OR_RETURN(std::optional<LogIdentity> identity,
                        ReadLogIdentity(fs, dir));
  if (identity.has_value()) {
    scan.has_identity = true;
    scan.node_id = identity->node_id;
    scan.created_ms = identity->created_ms;
  }
  Collector collector(&scan.records);
  // Its error goes back as is: callers name the directory.
  XATM_ASSIGN_OR_RETURN(ReplayResult replay, ReplayLog(fs, dir, &collector));
  for (SegmentRef& segment : replay.replayed) {
    scan.segments.push_back(std::move(segment.name));
  }
  for (SegmentRef& segment : replay.obsolete) {
    scan.obsolete_segments.push_back(std::move(segment.name));
  }
  if (!replay.torn_tails.empty())
    scan.torn_tail = JoinNames(replay.torn_tails, "; ");
  return scan;
}

}  // namespace xatm
