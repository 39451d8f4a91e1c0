// Segment files: their names, their header frame, and the scan of one
// segment's bytes into decision records.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tm/log/record_codec.h"
#include "xatm/status.h"

namespace xatm {

// "xatm-<seq:016>.log"
std::string SegmentFileName(uint64_t seq);
// False for any other name.
bool ParseSegmentFileName(std::string_view name, uint64_t* seq);

// Format 1 only for tests that build old segments.
std::string SegmentHeaderPayload(uint64_t seq,
                                 uint64_t format = kFormatVersion1);
// varint64 count of the checkpoint's frames.
std::string CheckpointEndPayload(uint64_t count);

// The format a segment's bytes are read in (1 or 2; another number when a
// header names it, which the scan then refuses). A format-2 segment whose
// first sector was lost to a power loss still reads as format 2.
uint64_t SegmentFormat(std::string_view contents);

// Receives the decision records of a scan, in log order.
class RecordVisitor {
 public:
  virtual ~RecordVisitor() = default;
  // `record` and its strings are valid only during the call.
  virtual void OnRecord(const std::string& segment, uint64_t offset,
                        const RecordView& record) = 0;
};

struct SegmentScan {
  uint64_t format = kFormatVersion1;  // 2: batches (log_format.h)
  bool has_header = false;
  bool checkpoint_complete = false;
  uint64_t records = 0;  // decision records seen
  // "<segment> at offset N: reason" when the segment ends in a torn tail.
  std::optional<std::string> torn_tail;
};

enum class ScanExtent {
  kAll,
  kUntilCheckpointEnd,  // stop after the checkpoint-end frame, if any
};

// Scans one segment of either format, named `name` with sequence number
// `seq`, calling `visitor` (may be null) for each decision record. A torn
// tail ends the scan normally; DataLoss "segment <name> offset <N>: <reason>"
// for damage before the tail or frames out of place.
Result<SegmentScan> ScanSegment(const std::string& name, uint64_t seq,
                                std::string_view contents, ScanExtent extent,
                                RecordVisitor* visitor);

}  // namespace xatm
