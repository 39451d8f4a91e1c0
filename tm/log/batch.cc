#include "tm/log/batch.h"

#include <algorithm>

#include "tm/log/coding.h"
#include "tm/log/crc32c.h"

namespace xatm {
namespace {

// The CRC covers seq, length and body: they are adjacent, after the CRC.
constexpr size_t kCrcStart = 8;

}  // namespace

void BeginBatch(std::string* batch) { batch->append(kBatchHeaderSize, '\0'); }

void SealBatch(uint64_t seq, std::string* batch) {
  char* header = batch->data();
  EncodeFixed32(header, kBatchMagic);
  EncodeFixed32(header + 8, static_cast<uint32_t>(seq));
  EncodeFixed32(header + 12, static_cast<uint32_t>(seq >> 32));
  EncodeFixed32(header + 16,
                static_cast<uint32_t>(batch->size() - kBatchHeaderSize));
  const uint32_t crc = Crc32c(header + kCrcStart, batch->size() - kCrcStart);
  EncodeFixed32(header + 4, MaskCrc(crc));
}

bool StartsWithBatch(std::string_view segment) {
  return segment.size() >= 4 && DecodeFixed32(segment.data()) == kBatchMagic;
}

std::string BatchReader::CheckAt(size_t pos, Batch* batch) const {
  const size_t left = data_.size() - pos;
  if (left < kBatchHeaderSize) {
    return "truncated batch header (" + std::to_string(left) + " bytes)";
  }
  const char* header = data_.data() + pos;
  if (DecodeFixed32(header) != kBatchMagic) return "bad batch magic";
  const uint32_t length = DecodeFixed32(header + 16);
  if (length > kMaxBatchBody) {
    return "bad batch length " + std::to_string(length);
  }
  if (length > left - kBatchHeaderSize) {
    return "truncated batch (length " + std::to_string(length) + ", " +
           std::to_string(left - kBatchHeaderSize) + " bytes present)";
  }
  const uint32_t expected = UnmaskCrc(DecodeFixed32(header + 4));
  if (Crc32c(header + kCrcStart, kBatchHeaderSize - kCrcStart + length) !=
      expected) {
    return "batch checksum mismatch";
  }
  batch->offset = pos;
  batch->seq = DecodeFixed64(header + 8);
  batch->body = data_.substr(pos + kBatchHeaderSize, length);
  return "";
}

BatchReader::Outcome BatchReader::Stop(size_t pos, std::string reason) {
  damage_offset_ = pos;
  damage_ = std::move(reason);
  // A batch is written only after the previous one's sync returned: a valid
  // later-numbered batch anywhere after the damage proves the damaged bytes
  // were acknowledged. Candidates start with the magic; checksumming each
  // is bounded by a budget no real tail comes near (the safe answer past
  // it is corruption).
  uint64_t budget = (uint64_t{64} << 20) + uint64_t{16} * (data_.size() - pos);
  unsigned char magic[4];
  for (int i = 0; i < 4; ++i) {
    magic[i] = static_cast<unsigned char>(kBatchMagic >> (8 * i));
  }
  const std::string_view needle(reinterpret_cast<const char*>(magic), 4);
  for (size_t p = data_.find(needle, pos + 1); p != std::string_view::npos;
       p = data_.find(needle, p + 1)) {
    if (data_.size() - p < kBatchHeaderSize) break;
    const uint32_t length = DecodeFixed32(data_.data() + p + 16);
    if (length > data_.size() - p - kBatchHeaderSize) continue;
    if (budget < length) {
      damage_ += " (too much damage after it to rule out valid batches)";
      stopped_ = Outcome::kCorruption;
      return stopped_;
    }
    budget -= length;
    Batch later;
    if (CheckAt(p, &later).empty() && later.seq > last_seq_) {
      damage_ += ", followed by valid batch " + std::to_string(later.seq) +
                 " at offset " + std::to_string(p);
      stopped_ = Outcome::kCorruption;
      return stopped_;
    }
  }
  stopped_ = Outcome::kTornTail;
  return stopped_;
}

BatchReader::Outcome BatchReader::Next(Batch* batch) {
  if (stopped_ != Outcome::kBatch) return stopped_;
  const size_t nonzero = static_cast<size_t>(
      std::find_if(data_.begin() + static_cast<ptrdiff_t>(pos_), data_.end(),
                   [](char c) { return c != 0; }) -
      data_.begin());
  if (nonzero == data_.size()) {
    // The space a writer filled with zeros ahead of its appends.
    stopped_ = Outcome::kEnd;
    return stopped_;
  }
  Batch candidate;
  std::string problem = CheckAt(pos_, &candidate);
  if (problem.empty() && candidate.seq != last_seq_ + 1) {
    // Checksummed, so not torn: written where it does not belong.
    damage_offset_ = pos_;
    damage_ = "batch " + std::to_string(candidate.seq) + " where batch " +
              std::to_string(last_seq_ + 1) + " belongs";
    stopped_ = Outcome::kCorruption;
    return stopped_;
  }
  if (!problem.empty()) return Stop(pos_, std::move(problem));
  *batch = candidate;
  last_seq_ = candidate.seq;
  pos_ += kBatchHeaderSize + candidate.body.size();
  return Outcome::kBatch;
}

}  // namespace xatm
