// Reads a log directory in order, shared by DecisionLog::Open and
// ScanDecisionLog.
//
// Replay starts at the newest segment whose checkpoint is complete: that
// checkpoint carries every decision older segments left open, so older
// segments are obsolete (left over from a crash before their deletion) and
// are not read. Every segment from there on may end in a torn tail: each one
// was the last segment when a process died, until a newer checkpoint
// completed. Segments after the starting one hold only interrupted
// checkpoints, whose records repeat what came before.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tm/log/segment.h"
#include "xatm/file_system.h"
#include "xatm/status.h"

namespace xatm {

struct SegmentRef {
  uint64_t seq = 0;
  std::string name;
};

// Segment files in `dir`, oldest first; other files are ignored.
Result<std::vector<SegmentRef>> ListSegments(FileSystem* fs,
                                             const std::string& dir);

struct ReplayResult {
  std::vector<SegmentRef> replayed;  // oldest first
  std::vector<SegmentRef> obsolete;  // older than the replay start, not read
  std::vector<std::string> torn_tails;
  uint64_t records = 0;
  uint64_t next_seq = 1;  // for a new segment: above every existing one
};

// Feeds every record of the live segments to `visitor` (may be null).
Result<ReplayResult> ReplayLog(FileSystem* fs, const std::string& dir,
                               RecordVisitor* visitor);

}  // namespace xatm
