// Fuzzes the frame reader and the segment scan with arbitrary segment bytes.
// Properties: no crash or sanitizer report; every frame the reader returns
// has a checksum that an independent CRC-32C (Boost) confirms; a clean end
// leaves nothing but zeros; the scan accepts no record the reader did not.
#include <boost/crc.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "tm/log/coding.h"
#include "tm/log/crc32c.h"
#include "tm/log/log_reader.h"
#include "tm/log/record_codec.h"
#include "tm/log/segment.h"

namespace {

using BoostCrc32c =
    boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true>;

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "log_reader_fuzz: %s\n", what);
    std::abort();
  }
}

class CountingVisitor final : public xatm::RecordVisitor {
 public:
  void OnRecord(const std::string&, uint64_t offset,
                const xatm::RecordView& record) override {
    Check(!record.gtrid.empty(), "record without gtrid");
    last_offset = offset;
    ++count;
  }
  uint64_t count = 0;
  uint64_t last_offset = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  xatm::LogReader reader(bytes);
  xatm::LogReader::Frame frame;
  uint64_t frames = 0;
  uint64_t end_of_last = 0;
  xatm::LogReader::Outcome outcome;
  while ((outcome = reader.Next(&frame)) == xatm::LogReader::Outcome::kFrame) {
    ++frames;
    Check(frame.offset == end_of_last, "frames are not contiguous");
    Check(frame.offset + xatm::kFrameHeaderSize + frame.payload.size() <= size,
          "frame past the end");
    const char* header = bytes.data() + frame.offset;
    BoostCrc32c crc;
    crc.process_bytes(header + 8, 1 + frame.payload.size());
    Check(crc.checksum() == xatm::UnmaskCrc(xatm::DecodeFixed32(header)),
          "returned a frame whose checksum is wrong");
    Check(xatm::IsKnownFrameType(static_cast<uint8_t>(frame.type)),
          "returned a frame of unknown type");
    end_of_last = frame.offset + xatm::kFrameHeaderSize + frame.payload.size();
    if (xatm::IsDecisionFrameType(frame.type)) {
      xatm::RecordView view;
      (void)xatm::DecodeRecordPayload(frame.type, frame.payload, &view);
    }
  }
  Check(reader.Next(&frame) == outcome, "reader did not stay stopped");
  if (outcome != xatm::LogReader::Outcome::kEnd) {
    Check(reader.damage_offset() == end_of_last, "damage not at the stop");
    Check(!reader.damage().empty(), "damage without a reason");
  } else {
    // The clean end: nothing after the last frame but the zeros a writer
    // leaves ahead of its appends.
    Check(bytes.find_first_not_of('\0', end_of_last) == std::string_view::npos,
          "clean end before non-zero bytes");
  }

  for (uint64_t seq : {uint64_t{1}, uint64_t{0x3132333435363738}}) {
    CountingVisitor visitor;
    xatm::Result<xatm::SegmentScan> scan = xatm::ScanSegment(
        "fuzz.log", seq, bytes, xatm::ScanExtent::kAll, &visitor);
    if (scan.ok()) {
      Check(visitor.count == scan->records, "visited count differs");
      Check(visitor.count <= frames, "more records than frames");
      Check(outcome != xatm::LogReader::Outcome::kCorruption,
            "scan accepted what the reader called corruption");
    }
  }
  return 0;
}
