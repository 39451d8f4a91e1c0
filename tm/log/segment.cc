#include "tm/log/segment.h"

#include <cinttypes>
#include <cstdio>
#include <memory>

#include "tm/log/batch.h"
#include "tm/log/coding.h"
#include "tm/log/log_reader.h"

namespace xatm {
namespace {

constexpr std::string_view kSegmentPrefix = "xatm-";
constexpr std::string_view kSegmentSuffix = ".log";
constexpr size_t kSeqDigits = 16;

Status Damage(const std::string& name, uint64_t offset,
              const std::string& reason) {
  return Status::DataLoss("segment " + name + " offset " +
                          std::to_string(offset) + ": " + reason);
}

// Empty when the header is right, else what is wrong with it.
std::string CheckSegmentHeader(std::string_view payload, uint64_t seq,
                               uint64_t format) {
  if (payload.size() < kSegmentMagic.size() ||
      payload.substr(0, kSegmentMagic.size()) != kSegmentMagic) {
    return "bad segment magic";
  }
  payload.remove_prefix(kSegmentMagic.size());
  uint64_t version, header_seq;
  if (!GetVarint64(&payload, &version)) return "bad segment header";
  if (version != kFormatVersion1 && version != kFormatVersion2) {
    return "unsupported log format version " + std::to_string(version);
  }
  if (version != format) {
    return "segment header says format " + std::to_string(version) +
           ", the segment is format " + std::to_string(format);
  }
  if (!GetFixed64(&payload, &header_seq) || !payload.empty()) {
    return "bad segment header";
  }
  if (header_seq != seq) {
    return "segment header names sequence " + std::to_string(header_seq);
  }
  return "";
}

}  // namespace

// Format 1 when a segment-header frame of format 1 starts the segment, 2
// when a batch does, or the segment-header frame sits where a batch puts
// it, or the segment starts with zeros: a hole a power loss left in the
// unsynced first write of a format-2 segment (a format-1 segment starts
// with a header frame whose bytes are never zero there). Anything else is
// read as format 1, whose reader reports the damage.
uint64_t SegmentFormat(std::string_view contents) {
  for (const size_t at : {size_t{0}, kBatchHeaderSize}) {
    if (contents.size() <= at) break;
    LogReader reader(contents.substr(at));
    LogReader::Frame frame;
    uint64_t version;
    if (reader.Next(&frame) == LogReader::Outcome::kFrame &&
        frame.type == FrameType::kSegmentHeader &&
        frame.payload.substr(0, kSegmentMagic.size()) == kSegmentMagic) {
      std::string_view rest = frame.payload.substr(kSegmentMagic.size());
      if (GetVarint64(&rest, &version)) return version;
    }
  }
  if (StartsWithBatch(contents)) return kFormatVersion2;
  if (contents.size() >= 4 && DecodeFixed32(contents.data()) == 0) {
    return kFormatVersion2;
  }
  return kFormatVersion1;
}

namespace {

// The frames of a segment of either format, with their offsets in the
// segment. A format-2 segment's torn tail is a batch's (BatchReader); a
// frame inside a batch whose checksum held must be whole.
class SegmentFrames {
 public:
  explicit SegmentFrames(std::string_view contents)
      : format_(SegmentFormat(contents) == kFormatVersion2 ? kFormatVersion2
                                                           : kFormatVersion1),
        frames_(format_ == kFormatVersion1 ? contents : std::string_view()),
        batches_(format_ == kFormatVersion2 ? contents : std::string_view()) {}

  uint64_t format() const { return format_; }
  uint64_t damage_offset() const { return damage_offset_; }
  const std::string& damage() const { return damage_; }

  LogReader::Outcome Next(LogReader::Frame* frame) {
    if (format_ == kFormatVersion1) {
      LogReader::Outcome outcome = frames_.Next(frame);
      damage_offset_ = frames_.damage_offset();
      damage_ = frames_.damage();
      return outcome;
    }
    while (true) {
      if (body_ != nullptr) {
        const LogReader::Outcome outcome = body_->Next(frame);
        if (outcome == LogReader::Outcome::kFrame) {
          frame->offset += batch_.body_offset();
          return outcome;
        }
        if (outcome != LogReader::Outcome::kEnd ||
            body_->position() != batch_.body.size()) {
          damage_offset_ = batch_.body_offset() + body_->position();
          damage_ =
              "bad frame inside checksummed batch " +
              std::to_string(batch_.seq) +
              (outcome == LogReader::Outcome::kEnd ? ""
                                                   : ": " + body_->damage());
          return LogReader::Outcome::kCorruption;
        }
        body_.reset();
      }
      switch (batches_.Next(&batch_)) {
        case BatchReader::Outcome::kBatch:
          body_ = std::make_unique<LogReader>(batch_.body);
          continue;
        case BatchReader::Outcome::kEnd:
          return LogReader::Outcome::kEnd;
        case BatchReader::Outcome::kTornTail:
          damage_offset_ = batches_.damage_offset();
          damage_ = batches_.damage();
          return LogReader::Outcome::kTornTail;
        case BatchReader::Outcome::kCorruption:
          damage_offset_ = batches_.damage_offset();
          damage_ = batches_.damage();
          return LogReader::Outcome::kCorruption;
      }
    }
  }

 private:
  const uint64_t format_;
  LogReader frames_;
  BatchReader batches_;
  BatchReader::Batch batch_;
  std::unique_ptr<LogReader> body_;
  uint64_t damage_offset_ = 0;
  std::string damage_;
};

}  // namespace

std::string SegmentFileName(uint64_t seq) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "xatm-%016" PRIu64 ".log", seq);
  return buf;
}

bool ParseSegmentFileName(std::string_view name, uint64_t* seq) {
  if (name.size() !=
          kSegmentPrefix.size() + kSeqDigits + kSegmentSuffix.size() ||
      name.substr(0, kSegmentPrefix.size()) != kSegmentPrefix ||
      name.substr(name.size() - kSegmentSuffix.size()) != kSegmentSuffix) {
    return false;
  }
  uint64_t v = 0;
  for (char c : name.substr(kSegmentPrefix.size(), kSeqDigits)) {
    if (c < '0' || c > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - digit) / 10) return false;
    v = v * 10 + digit;
  }
  *seq = v;
  return true;
}

std::string SegmentHeaderPayload(uint64_t seq, uint64_t format) {
  std::string payload(kSegmentMagic);
  PutVarint64(&payload, format);
  PutFixed64(&payload, seq);
  return payload;
}

std::string CheckpointEndPayload(uint64_t count) {
  std::string payload;
  PutVarint64(&payload, count);
  return payload;
}

Result<SegmentScan> ScanSegment(const std::string& name, uint64_t seq,
                                std::string_view contents, ScanExtent extent,
                                RecordVisitor* visitor) {
  SegmentScan scan;
  SegmentFrames reader(contents);
  scan.format = reader.format();
  LogReader::Frame frame;
  RecordView record;
  while (true) {
    switch (reader.Next(&frame)) {
      case LogReader::Outcome::kFrame:
        break;
      case LogReader::Outcome::kEnd:
        return scan;
      case LogReader::Outcome::kTornTail:
        scan.torn_tail = name + " at offset " +
                         std::to_string(reader.damage_offset()) + ": " +
                         reader.damage();
        return scan;
      case LogReader::Outcome::kCorruption:
        return Damage(name, reader.damage_offset(), reader.damage());
    }
    if (!scan.has_header) {
      if (frame.type != FrameType::kSegmentHeader) {
        return Damage(name, frame.offset,
                      "segment does not start with a "
                      "segment header");
      }
      std::string problem =
          CheckSegmentHeader(frame.payload, seq, reader.format());
      if (!problem.empty()) return Damage(name, frame.offset, problem);
      scan.has_header = true;
      continue;
    }
    switch (frame.type) {
      case FrameType::kSegmentHeader:
        return Damage(name, frame.offset, "segment header inside a segment");
      case FrameType::kLogIdentity:
        return Damage(name, frame.offset, "log identity inside a segment");
      case FrameType::kCheckpointEnd: {
        std::string_view payload = frame.payload;
        uint64_t count;
        if (scan.checkpoint_complete) {
          return Damage(name, frame.offset, "second checkpoint end");
        }
        if (!GetVarint64(&payload, &count) || !payload.empty()) {
          return Damage(name, frame.offset, "bad checkpoint end");
        }
        if (count != scan.records) {
          return Damage(name, frame.offset,
                        "checkpoint end counts " + std::to_string(count) +
                            " records, the checkpoint holds " +
                            std::to_string(scan.records));
        }
        scan.checkpoint_complete = true;
        if (extent == ScanExtent::kUntilCheckpointEnd) return scan;
        continue;
      }
      case FrameType::kCommit:
      case FrameType::kEnd:
      case FrameType::kRecoveryEnd:
      case FrameType::kHeuristic:
      case FrameType::kSaga:
      case FrameType::kSagaEnd:
        break;
    }
    if (!DecodeRecordPayload(frame.type, frame.payload, &record)) {
      return Damage(
          name, frame.offset,
          std::string("undecodable ") + FrameTypeName(frame.type) + " record");
    }
    if (!scan.checkpoint_complete &&
        (frame.type == FrameType::kEnd || frame.type == FrameType::kSagaEnd)) {
      return Damage(name, frame.offset,
                    std::string(FrameTypeName(frame.type)) +
                        " record inside a checkpoint");
    }
    ++scan.records;
    if (visitor != nullptr) visitor->OnRecord(name, frame.offset, record);
  }
}

}  // namespace xatm
