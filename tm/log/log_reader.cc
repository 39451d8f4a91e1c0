#include "tm/log/log_reader.h"

#include <algorithm>

#include "tm/log/coding.h"
#include "tm/log/crc32c.h"

namespace xatm {

LogReader::Check LogReader::CheckFrameAt(size_t pos, Frame* frame) const {
  const size_t left = data_.size() - pos;
  if (left < kFrameHeaderSize) return Check::kTruncatedHeader;
  const char* header = data_.data() + pos;
  const uint32_t length = DecodeFixed32(header + 4);
  if (length > kMaxFramePayload) return Check::kBadLength;
  if (length > left - kFrameHeaderSize) return Check::kTruncatedPayload;
  const uint32_t expected = UnmaskCrc(DecodeFixed32(header));
  if (Crc32c(header + 8, 1 + static_cast<size_t>(length)) != expected) {
    return Check::kChecksumMismatch;
  }
  const auto type = static_cast<uint8_t>(header[8]);
  frame->offset = pos;
  frame->type = static_cast<FrameType>(type);
  frame->payload = data_.substr(pos + kFrameHeaderSize, length);
  // Checked after the CRC: a checksummed frame of a type this version does
  // not know is not garbage, and must not be skipped as a torn tail.
  return IsKnownFrameType(type) ? Check::kOk : Check::kUnknownType;
}

size_t LogReader::FirstNonZero(size_t pos) const {
  const auto it = std::find_if(data_.begin() + static_cast<ptrdiff_t>(pos),
                               data_.end(), [](char c) { return c != 0; });
  return static_cast<size_t>(it - data_.begin());
}

bool LogReader::AllZeros(size_t pos) const {
  return FirstNonZero(pos) == data_.size();
}

LogReader::After LogReader::ValidFrameAfter(size_t pos) const {
  // Checksumming from every offset is quadratic in the worst case (length
  // fields that all point near the end). Past a budget that no real tail
  // comes near, the damage counts as corruption: the safe answer.
  const size_t region = data_.size() - pos;
  uint64_t budget = (uint64_t{64} << 20) + uint64_t{16} * region;
  Frame ignored;
  for (size_t p = pos + 1; p + kFrameHeaderSize <= data_.size(); ++p) {
    // An all-zero header never checks (the CRC-32C of a zero type byte is
    // not zero), so a run of zeros is skipped to its last header's worth.
    if (data_[p] == 0) {
      const size_t nonzero = FirstNonZero(p);
      if (nonzero >= p + kFrameHeaderSize) {
        p = nonzero - kFrameHeaderSize;  // ++p lands on the first candidate
        continue;
      }
    }
    const uint32_t length = DecodeFixed32(data_.data() + p + 4);
    if (length > kMaxFramePayload ||
        length > data_.size() - p - kFrameHeaderSize) {
      continue;
    }
    if (budget < length + 1u) return After::kTooMuchToCheck;
    budget -= length + 1u;
    Check c = CheckFrameAt(p, &ignored);
    if (c == Check::kOk || c == Check::kUnknownType) return After::kValidFrame;
  }
  return After::kNothing;
}

LogReader::Outcome LogReader::Stop(Check check, size_t pos) {
  damage_offset_ = pos;
  const uint32_t length = data_.size() - pos >= kFrameHeaderSize
                              ? DecodeFixed32(data_.data() + pos + 4)
                              : 0;
  switch (check) {
    case Check::kTruncatedHeader:
      damage_ = "truncated frame header (" +
                std::to_string(data_.size() - pos) + " bytes)";
      break;
    case Check::kBadLength:
      damage_ = "bad frame length " + std::to_string(length);
      break;
    case Check::kTruncatedPayload:
      damage_ = "truncated frame (length " + std::to_string(length) + ", " +
                std::to_string(data_.size() - pos - kFrameHeaderSize) +
                " bytes present)";
      break;
    case Check::kChecksumMismatch:
      damage_ = "checksum mismatch";
      break;
    case Check::kUnknownType:
      damage_ = "unknown frame type " +
                std::to_string(static_cast<uint8_t>(data_[pos + 8]));
      stopped_ = Outcome::kCorruption;
      return stopped_;
    case Check::kOk:
      break;
  }
  switch (ValidFrameAfter(pos)) {
    case After::kNothing:
      stopped_ = Outcome::kTornTail;
      break;
    case After::kValidFrame:
      stopped_ = Outcome::kCorruption;
      break;
    case After::kTooMuchToCheck:
      damage_ += " (too much damage after it to rule out valid frames)";
      stopped_ = Outcome::kCorruption;
      break;
  }
  return stopped_;
}

LogReader::Outcome LogReader::Next(Frame* frame) {
  if (stopped_ != Outcome::kFrame) return stopped_;
  if (pos_ == data_.size()) {
    stopped_ = Outcome::kEnd;
    return stopped_;
  }
  Frame candidate;
  const Check check = CheckFrameAt(pos_, &candidate);
  if (check != Check::kOk) {
    // The space a writer filled with zeros ahead of its appends.
    if (AllZeros(pos_)) {
      stopped_ = Outcome::kEnd;
      return stopped_;
    }
    return Stop(check, pos_);
  }
  *frame = candidate;
  pos_ += kFrameHeaderSize + candidate.payload.size();
  return Outcome::kFrame;
}

}  // namespace xatm
