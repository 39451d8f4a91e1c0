// The on-disk format of the decision log.
//
// A segment is a sequence of frames:
//
//   masked CRC-32C (4) | payload length (4) | type (1) | payload
//
// integers little-endian; the CRC covers type and payload. Every segment
// starts with a segment-header frame (magic, format version, the segment's
// own sequence number), then a checkpoint: one COMMIT frame for each decision
// still open when the segment was started and a copy of every HEURISTIC
// frame so far, closed by a checkpoint-end frame that counts them. Live
// COMMIT / END / HEURISTIC frames follow.
//
// A segment whose checkpoint-end frame is present carries everything older
// segments said, so replay starts at the newest such segment.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace xatm {

inline constexpr size_t kFrameHeaderSize = 9;
// No record comes near this; a larger length field is damage.
inline constexpr uint32_t kMaxFramePayload = 1u << 20;

enum class FrameType : uint8_t {
  // The values of RecordType, so a decision frame's type is its record type.
  kCommit = 1,
  kEnd = 2,
  kHeuristic = 3,
  kSegmentHeader = 100,
  kCheckpointEnd = 101,
};

bool IsKnownFrameType(uint8_t type);
bool IsDecisionFrameType(FrameType type);
const char* FrameTypeName(FrameType type);

// Segment header payload: magic (8) | varint version | fixed64 seq.
inline constexpr std::string_view kSegmentMagic = "xatm-log";
inline constexpr uint64_t kFormatVersion = 1;

}  // namespace xatm
