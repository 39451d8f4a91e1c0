// The on-disk format of the decision log.
//
// A frame:
//
//   masked CRC-32C (4) | payload length (4) | type (1) | payload
//
// integers little-endian; the CRC covers type and payload. Every segment
// starts with a segment-header frame (magic, format version, the segment's
// own sequence number), then a checkpoint: one COMMIT frame for each decision
// still open when the segment was started, a copy of every HEURISTIC frame
// so far and one RECOVERY-END frame for each tombstone, closed by a
// checkpoint-end frame that counts them. Live COMMIT / END / RECOVERY-END /
// HEURISTIC frames follow.
//
// Format 1: the segment is the sequence of frames.
//
// Format 2 (written since log identities): the segment is a sequence of
// batches, each what the writer put down with one write and one sync:
//
//   batch magic (4) | masked CRC-32C (4) | batch seq (8) | body length (4) |
//   body (frames as above)
//
// the CRC covering seq, length and body. Batches of a segment are numbered
// 1, 2, ... (the first holds the segment header and the checkpoint). A
// batch is written only after the sync of the one before it returned, so a
// valid batch proves every batch before it was acknowledged: a batch that
// does not check, with no valid later-numbered batch anywhere after it, is
// a torn last write (of any shape: a power loss may keep a later sector of
// it and drop an earlier one); with one after it, it is damage.
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
  // An END made by recovery: closes the decision and keeps its gtrid as a
  // tombstone. In a checkpoint: a tombstone carried forward.
  kRecoveryEnd = 4,
  // A saga's record, whole (a later one replaces it); in a checkpoint, the
  // latest record of a saga not finished. SAGA-END: the saga finished.
  kSaga = 5,
  kSagaEnd = 6,
  kSegmentHeader = 100,
  kCheckpointEnd = 101,
  kLogIdentity = 102,  // only in the identity file (log_identity.h)
};

bool IsKnownFrameType(uint8_t type);
bool IsDecisionFrameType(FrameType type);
const char* FrameTypeName(FrameType type);

// Segment header payload: magic (8) | varint version | fixed64 seq.
inline constexpr std::string_view kSegmentMagic = "xatm-log";
inline constexpr uint64_t kFormatVersion1 = 1;
inline constexpr uint64_t kFormatVersion2 = 2;
inline constexpr uint64_t kFormatVersion = kFormatVersion2;  // written

inline constexpr size_t kBatchHeaderSize = 20;
inline constexpr uint32_t kBatchMagic = 0xB47C4A58;  // "XJ|\xb4" on disk
// Far above any batch the writer makes (its queue is bounded by callers).
inline constexpr uint32_t kMaxBatchBody = 1u << 30;

}  // namespace xatm
