#include "tm/log/segment.h"

#include <cinttypes>
#include <cstdio>

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
std::string CheckSegmentHeader(std::string_view payload, uint64_t seq) {
  if (payload.size() < kSegmentMagic.size() ||
      payload.substr(0, kSegmentMagic.size()) != kSegmentMagic) {
    return "bad segment magic";
  }
  payload.remove_prefix(kSegmentMagic.size());
  uint64_t version, header_seq;
  if (!GetVarint64(&payload, &version)) return "bad segment header";
  if (version != kFormatVersion) {
    return "unsupported log format version " + std::to_string(version);
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

std::string SegmentHeaderPayload(uint64_t seq) {
  std::string payload(kSegmentMagic);
  PutVarint64(&payload, kFormatVersion);
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
  LogReader reader(contents);
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
      std::string problem = CheckSegmentHeader(frame.payload, seq);
      if (!problem.empty()) return Damage(name, frame.offset, problem);
      scan.has_header = true;
      continue;
    }
    switch (frame.type) {
      case FrameType::kSegmentHeader:
        return Damage(name, frame.offset, "segment header inside a segment");
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
      case FrameType::kHeuristic:
        break;
    }
    if (!DecodeRecordPayload(frame.type, frame.payload, &record)) {
      return Damage(
          name, frame.offset,
          std::string("undecodable ") + FrameTypeName(frame.type) + " record");
    }
    if (!scan.checkpoint_complete && frame.type == FrameType::kEnd) {
      return Damage(name, frame.offset, "END record inside a checkpoint");
    }
    ++scan.records;
    if (visitor != nullptr) visitor->OnRecord(name, frame.offset, record);
  }
}

}  // namespace xatm
