#include "tm/log/record_codec.h"

#include "tm/log/coding.h"
#include "tm/log/crc32c.h"

namespace xatm {
namespace {

// Fills in the header of the frame starting at `frame_start` in `dst`,
// whose payload is everything after the header.
void SealFrame(FrameType type, size_t frame_start, std::string* dst) {
  char* header = dst->data() + frame_start;
  const size_t payload_size = dst->size() - frame_start - kFrameHeaderSize;
  header[8] = static_cast<char>(type);
  // One CRC over type and payload: they are adjacent.
  uint32_t crc = Crc32c(header + 8, 1 + payload_size);
  EncodeFixed32(header, MaskCrc(crc));
  EncodeFixed32(header + 4, static_cast<uint32_t>(payload_size));
}

}  // namespace

DecisionRecord RecordView::ToRecord() const {
  DecisionRecord r;
  r.type = type;
  r.gtrid.assign(gtrid);
  r.resources.reserve(resources.size());
  for (std::string_view res : resources) r.resources.emplace_back(res);
  r.time_ms = time_ms;
  r.detail.assign(detail);
  r.end_origin = end_origin;
  return r;
}

void AppendFrame(FrameType type, std::string_view payload, std::string* dst) {
  const size_t start = dst->size();
  dst->append(kFrameHeaderSize, '\0');
  dst->append(payload.data(), payload.size());
  SealFrame(type, start, dst);
}

FrameType RecordFrameType(RecordType type, EndOrigin end_origin) {
  if (type == RecordType::kEnd && end_origin == EndOrigin::kRecovery) {
    return FrameType::kRecoveryEnd;
  }
  return static_cast<FrameType>(type);
}

Status AppendRecordFrame(FrameType type, std::string_view gtrid,
                         const std::vector<std::string>& resources,
                         int64_t time_ms, std::string_view detail,
                         std::string* dst) {
  if (gtrid.empty()) {
    return Status::InvalidArgument("decision record without gtrid");
  }
  const size_t start = dst->size();
  dst->append(kFrameHeaderSize, '\0');
  PutVarint64(dst, static_cast<uint64_t>(time_ms));
  PutLengthPrefixed(dst, gtrid);
  PutVarint64(dst, resources.size());
  for (const std::string& res : resources) PutLengthPrefixed(dst, res);
  PutLengthPrefixed(dst, detail);
  const size_t payload_size = dst->size() - start - kFrameHeaderSize;
  if (payload_size > kMaxFramePayload) {
    dst->resize(start);
    return Status::InvalidArgument("decision record for " + std::string(gtrid) +
                                   " is too large (" +
                                   std::to_string(payload_size) + " bytes)");
  }
  SealFrame(type, start, dst);
  return Status::Ok();
}

Status AppendRecordFrame(RecordType type, std::string_view gtrid,
                         const std::vector<std::string>& resources,
                         int64_t time_ms, std::string_view detail,
                         std::string* dst) {
  return AppendRecordFrame(static_cast<FrameType>(type), gtrid, resources,
                           time_ms, detail, dst);
}

Status AppendRecordFrame(const DecisionRecord& record, std::string* dst) {
  return AppendRecordFrame(RecordFrameType(record.type, record.end_origin),
                           record.gtrid, record.resources, record.time_ms,
                           record.detail, dst);
}

bool DecodeRecordPayload(FrameType type, std::string_view payload,
                         RecordView* out) {
  uint64_t time;
  uint32_t count;
  if (!GetVarint64(&payload, &time) ||
      !GetLengthPrefixed(&payload, &out->gtrid) || out->gtrid.empty() ||
      !GetVarint32(&payload, &count) || count > payload.size()) {
    return false;
  }
  out->resources.clear();
  for (uint32_t i = 0; i < count; ++i) {
    std::string_view res;
    if (!GetLengthPrefixed(&payload, &res)) return false;
    out->resources.push_back(res);
  }
  if (!GetLengthPrefixed(&payload, &out->detail) || !payload.empty()) {
    return false;
  }
  if (type == FrameType::kRecoveryEnd) {
    out->type = RecordType::kEnd;
    out->end_origin = EndOrigin::kRecovery;
  } else {
    out->type = static_cast<RecordType>(type);
    out->end_origin = EndOrigin::kCoordinator;
  }
  out->time_ms = static_cast<int64_t>(time);
  return true;
}

}  // namespace xatm
