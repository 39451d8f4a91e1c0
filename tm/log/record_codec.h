// Frames and the payload of decision records.
//
// Decision payload (COMMIT, END, HEURISTIC alike):
//   varint64 time_ms (two's complement) | lp gtrid | varint32 count |
//   count x lp resource | lp detail
// where lp = varint length + bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tm/log/log_format.h"
#include "xatm/decision_log.h"
#include "xatm/status.h"

namespace xatm {

// A decoded decision record whose strings point into the frame's bytes.
// Reused between decodes so that replay does not allocate per record.
struct RecordView {
  RecordType type = RecordType::kCommit;
  std::string_view gtrid;
  std::vector<std::string_view> resources;
  int64_t time_ms = 0;
  std::string_view detail;
  EndOrigin end_origin = EndOrigin::kCoordinator;  // END only

  DecisionRecord ToRecord() const;
};

// Appends header + `payload` as one frame.
void AppendFrame(FrameType type, std::string_view payload, std::string* dst);

// The frame type that holds a record: a recovery END is a RECOVERY-END
// frame, every other record the frame of its type.
FrameType RecordFrameType(RecordType type, EndOrigin end_origin);

// Appends one frame holding the record, encoded in place. InvalidArgument
// (and `dst` unchanged) when the gtrid is empty or the payload too large.
Status AppendRecordFrame(FrameType type, std::string_view gtrid,
                         const std::vector<std::string>& resources,
                         int64_t time_ms, std::string_view detail,
                         std::string* dst);
// The same with the frame of `type` (a coordinator END for kEnd).
Status AppendRecordFrame(RecordType type, std::string_view gtrid,
                         const std::vector<std::string>& resources,
                         int64_t time_ms, std::string_view detail,
                         std::string* dst);
Status AppendRecordFrame(const DecisionRecord& record, std::string* dst);

// False when the payload is not exactly one well-formed record. A
// RECOVERY-END frame decodes as an END of origin kRecovery.
// REQUIRES: IsDecisionFrameType(type).
bool DecodeRecordPayload(FrameType type, std::string_view payload,
                         RecordView* out);

}  // namespace xatm
