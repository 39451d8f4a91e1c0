#include "tm/log/log_format.h"

namespace xatm {

bool IsKnownFrameType(uint8_t type) {
  switch (static_cast<FrameType>(type)) {
    case FrameType::kCommit:
    case FrameType::kEnd:
    case FrameType::kHeuristic:
    case FrameType::kSegmentHeader:
    case FrameType::kCheckpointEnd:
      return true;
  }
  return false;
}

bool IsDecisionFrameType(FrameType type) {
  return type == FrameType::kCommit || type == FrameType::kEnd ||
         type == FrameType::kHeuristic;
}

const char* FrameTypeName(FrameType type) {
  switch (type) {
    case FrameType::kCommit:
      return "COMMIT";
    case FrameType::kEnd:
      return "END";
    case FrameType::kHeuristic:
      return "HEURISTIC";
    case FrameType::kSegmentHeader:
      return "SEGMENT-HEADER";
    case FrameType::kCheckpointEnd:
      return "CHECKPOINT-END";
  }
  return "UNKNOWN";
}

}  // namespace xatm
