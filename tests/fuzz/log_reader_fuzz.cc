// Fuzzes the frame reader, the batch reader and the segment scan with
// arbitrary segment bytes. Properties: no crash or sanitizer report; every
// frame and every batch a reader returns has a checksum that an independent
// CRC-32C (Boost) confirms; a clean end leaves nothing but zeros; batches
// are numbered 1, 2, ... and contiguous; a torn tail has no valid
// later-numbered batch after it; the scan of a format-1 segment accepts no
// record the frame reader did not, that of a format-2 segment none the
// batch reader did not.
#include <boost/crc.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "tm/log/batch.h"
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

uint32_t BoostCrc(const char* p, size_t n) {
  BoostCrc32c crc;
  crc.process_bytes(p, n);
  return crc.checksum();
}

// The batch reader's properties; returns the frames inside its batches and
// its outcome.
xatm::BatchReader::Outcome CheckBatches(std::string_view bytes,
                                        uint64_t* frames) {
  xatm::BatchReader reader(bytes);
  xatm::BatchReader::Batch batch;
  xatm::BatchReader::Outcome outcome;
  uint64_t expected_seq = 1;
  uint64_t end_of_last = 0;
  while ((outcome = reader.Next(&batch)) ==
         xatm::BatchReader::Outcome::kBatch) {
    Check(batch.offset == end_of_last, "batches are not contiguous");
    Check(batch.seq == expected_seq++, "batch out of sequence");
    const char* header = bytes.data() + batch.offset;
    Check(xatm::DecodeFixed32(header) == xatm::kBatchMagic, "bad magic");
    Check(BoostCrc(header + 8, 12 + batch.body.size()) ==
              xatm::UnmaskCrc(xatm::DecodeFixed32(header + 4)),
          "returned a batch whose checksum is wrong");
    end_of_last = batch.body_offset() + batch.body.size();
    Check(end_of_last <= bytes.size(), "batch past the end");
    xatm::LogReader body(batch.body);
    xatm::LogReader::Frame frame;
    while (body.Next(&frame) == xatm::LogReader::Outcome::kFrame) ++*frames;
  }
  Check(reader.Next(&batch) == outcome, "batch reader did not stay stopped");
  if (outcome == xatm::BatchReader::Outcome::kEnd) {
    Check(bytes.find_first_not_of('\0', end_of_last) == std::string_view::npos,
          "clean end before non-zero bytes");
  } else {
    Check(reader.damage_offset() == end_of_last, "damage not at the stop");
    Check(!reader.damage().empty(), "damage without a reason");
  }
  return outcome;
}

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

  uint64_t batch_frames = 0;
  const xatm::BatchReader::Outcome batches = CheckBatches(bytes, &batch_frames);

  for (uint64_t seq : {uint64_t{1}, uint64_t{0x3132333435363738}}) {
    CountingVisitor visitor;
    xatm::Result<xatm::SegmentScan> scan = xatm::ScanSegment(
        "fuzz.log", seq, bytes, xatm::ScanExtent::kAll, &visitor);
    if (scan.ok()) {
      Check(visitor.count == scan->records, "visited count differs");
      if (scan->format == 1) {
        Check(visitor.count <= frames, "more records than frames");
        Check(outcome != xatm::LogReader::Outcome::kCorruption,
              "scan accepted what the reader called corruption");
      } else {
        Check(visitor.count <= batch_frames, "more records than frames");
        Check(batches != xatm::BatchReader::Outcome::kCorruption,
              "scan accepted what the batch reader called corruption");
      }
    }
  }
  return 0;
}
