// Reads the frames of one segment, held in memory.
//
// Every frame returned has a valid checksum. At the first frame that is not
// valid the reader stops. Zeros from there to the end are the clean end of
// the log: the POSIX writer fills the space ahead of its appends with zeros.
// Anything else is damage, which the reader classifies:
//  - torn tail: no valid frame starts anywhere after the damage, so the
//    bytes are what a writer that died mid-append (or a file system that
//    zero-filled or dropped an unsynced suffix) leaves behind;
//  - corruption: a valid frame follows, so the damage is inside the log.
// This rule is that of format-1 segments, and it is too strict for a power
// loss that keeps a later sector of the last write and drops an earlier
// one: format 2 (batch.h) reads its batches with BatchReader and uses this
// reader only for the frames inside a batch whose checksum held.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tm/log/log_format.h"

namespace xatm {

class LogReader {
 public:
  struct Frame {
    uint64_t offset = 0;  // of the frame header
    FrameType type = FrameType::kCommit;
    std::string_view payload;  // points into the segment bytes
  };

  enum class Outcome {
    kFrame,       // *frame holds the next frame
    kEnd,         // clean end of the segment
    kTornTail,    // damage at damage_offset() with nothing valid after it
    kCorruption,  // damage at damage_offset() followed by a valid frame
  };

  // REQUIRES: `segment` outlives the reader.
  explicit LogReader(std::string_view segment) : data_(segment) {}

  // After anything but kFrame, every later call returns the same outcome.
  Outcome Next(Frame* frame);

  // Where the frame after the last one returned starts.
  uint64_t position() const { return pos_; }
  // Valid after kTornTail / kCorruption.
  uint64_t damage_offset() const { return damage_offset_; }
  const std::string& damage() const { return damage_; }

 private:
  enum class Check {
    kOk,
    kTruncatedHeader,
    kBadLength,
    kTruncatedPayload,
    kChecksumMismatch,
    kUnknownType,
  };

  Check CheckFrameAt(size_t pos, Frame* frame) const;
  enum class After { kNothing, kValidFrame, kTooMuchToCheck };
  // Whether a frame with a valid checksum starts somewhere in (pos, end).
  After ValidFrameAfter(size_t pos) const;
  Outcome Stop(Check check, size_t pos);
  // The offset of the first non-zero byte at or after `pos`, or the size.
  size_t FirstNonZero(size_t pos) const;
  bool AllZeros(size_t pos) const;

  std::string_view data_;
  size_t pos_ = 0;
  Outcome stopped_ = Outcome::kFrame;  // kFrame: not stopped
  uint64_t damage_offset_ = 0;
  std::string damage_;
};

}  // namespace xatm
