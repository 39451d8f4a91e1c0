#include "tm/log/log_format.h"

namespace xatm {

bool IsKnownFrameType(uint8_t type) {
  switch (static_cast<FrameType>(type)) {
    case FrameType::kCommit:
    case FrameType::kEnd:
    case FrameType::kHeuristic:
    case FrameType::kRecoveryEnd:
    case FrameType::kSaga:
    case FrameType::kSagaEnd:
    case FrameType::kSegmentHeader:
    case FrameType::kCheckpointEnd:
    case FrameType::kLogIdentity:
      return true;
  }
  return false;
}

bool IsDecisionFrameType(FrameType type) {
  return type == FrameType::kCommit || type == FrameType::kEnd ||
         type == FrameType::kHeuristic || type == FrameType::kRecoveryEnd ||
         type == FrameType::kSaga || type == FrameType::kSagaEnd;
}

const char* FrameTypeName(FrameType type) {
  switch (type) {
    case FrameType::kCommit:
      return "COMMIT";
    case FrameType::kEnd:
      return "END";
    case FrameType::kHeuristic:
      return "HEURISTIC";
    case FrameType::kRecoveryEnd:
      return "RECOVERY-END";
    case FrameType::kSaga:
      return "SAGA";
    case FrameType::kSagaEnd:
      return "SAGA-END";
    case FrameType::kSegmentHeader:
      return "SEGMENT-HEADER";
    case FrameType::kLogIdentity:
      return "LOG-IDENTITY";
    case FrameType::kCheckpointEnd:
      return "CHECKPOINT-END";
  }
  return "UNKNOWN";
}

}  // namespace xatm
