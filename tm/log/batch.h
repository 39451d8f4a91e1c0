// Format-2 batches (see log_format.h): writing them, and reading them back
// with a torn last write told apart from damage to acknowledged batches.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tm/log/log_format.h"

namespace xatm {

// Appends room for a batch header; the frames of the body follow it.
void BeginBatch(std::string* batch);
// Fills in the header of `batch` (which starts with BeginBatch's room).
void SealBatch(uint64_t seq, std::string* batch);

// True when `segment` starts with a batch magic (a format-2 segment).
bool StartsWithBatch(std::string_view segment);

class BatchReader {
 public:
  struct Batch {
    uint64_t offset = 0;  // of the batch header
    uint64_t seq = 0;
    std::string_view body;  // points into the segment bytes
    uint64_t body_offset() const { return offset + kBatchHeaderSize; }
  };

  enum class Outcome {
    kBatch,       // *batch holds the next batch
    kEnd,         // clean end: nothing left but zeros
    kTornTail,    // an unacknowledged last write, at damage_offset()
    kCorruption,  // damage at damage_offset() before a valid later batch
  };

  // REQUIRES: `segment` outlives the reader.
  explicit BatchReader(std::string_view segment) : data_(segment) {}

  // After anything but kBatch, every later call returns the same outcome.
  Outcome Next(Batch* batch);

  uint64_t damage_offset() const { return damage_offset_; }
  const std::string& damage() const { return damage_; }

 private:
  // Empty when a batch with a valid checksum starts at `pos` (its seq in
  // *batch), else why not.
  std::string CheckAt(size_t pos, Batch* batch) const;
  Outcome Stop(size_t pos, std::string reason);

  std::string_view data_;
  size_t pos_ = 0;
  uint64_t last_seq_ = 0;
  Outcome stopped_ = Outcome::kBatch;  // kBatch: not stopped
  uint64_t damage_offset_ = 0;
  std::string damage_;
};

}  // namespace xatm
