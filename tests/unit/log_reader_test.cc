// The frame reader's torn-tail / corruption rule and the segment scan.
#include "tm/log/log_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tm/log/coding.h"
#include "tm/log/crc32c.h"
#include "tm/log/record_codec.h"
#include "tm/log/segment.h"

namespace xatm {
namespace {

std::string CommitFrame(const std::string& gtrid) {
  std::string frame;
  EXPECT_TRUE(AppendRecordFrame(RecordType::kCommit, gtrid, {"pg", "my"},
                                1700000000000, "", &frame)
                  .ok());
  return frame;
}

// Reads frames until the reader stops; returns the gtrids read.
std::vector<std::string> ReadAll(LogReader* reader,
                                 LogReader::Outcome* outcome) {
  std::vector<std::string> gtrids;
  LogReader::Frame frame;
  while ((*outcome = reader->Next(&frame)) == LogReader::Outcome::kFrame) {
    RecordView view;
    EXPECT_TRUE(DecodeRecordPayload(frame.type, frame.payload, &view));
    gtrids.emplace_back(view.gtrid);
  }
  return gtrids;
}

struct Read {
  std::vector<std::string> gtrids;
  LogReader::Outcome outcome;
  uint64_t damage_offset;
  std::string damage;
};

Read ReadSegmentBytes(const std::string& data) {
  LogReader reader(data);
  Read r;
  r.gtrids = ReadAll(&reader, &r.outcome);
  r.damage_offset = reader.damage_offset();
  r.damage = reader.damage();
  return r;
}

TEST(LogReaderTest, FramesRoundTrip) {
  const std::string data =
      CommitFrame("a") + CommitFrame("b") + CommitFrame("c");
  Read r = ReadSegmentBytes(data);
  EXPECT_EQ((std::vector<std::string>{"a", "b", "c"}), r.gtrids);
  EXPECT_EQ(LogReader::Outcome::kEnd, r.outcome);
}

TEST(LogReaderTest, EmptySegmentIsCleanEnd) {
  EXPECT_EQ(LogReader::Outcome::kEnd, ReadSegmentBytes("").outcome);
}

TEST(LogReaderTest, TruncatedTrailingRecordIsIgnored) {
  const std::string good = CommitFrame("a") + CommitFrame("b");
  const std::string last = CommitFrame("c");
  for (size_t cut = 1; cut < last.size(); ++cut) {
    Read r = ReadSegmentBytes(good + last.substr(0, cut));
    EXPECT_EQ((std::vector<std::string>{"a", "b"}), r.gtrids) << cut;
    EXPECT_EQ(LogReader::Outcome::kTornTail, r.outcome) << cut;
    EXPECT_EQ(good.size(), r.damage_offset);
  }
}

TEST(LogReaderTest, ChecksumMismatchFollowedByValidFrameIsCorruption) {
  const std::string a = CommitFrame("a");
  std::string b = CommitFrame("b");
  b[b.size() - 3] ^= 0x10;
  Read r = ReadSegmentBytes(a + b + CommitFrame("c"));
  EXPECT_EQ((std::vector<std::string>{"a"}), r.gtrids);
  EXPECT_EQ(LogReader::Outcome::kCorruption, r.outcome);
  EXPECT_EQ(a.size(), r.damage_offset);
  EXPECT_EQ("checksum mismatch", r.damage);
}

TEST(LogReaderTest, ChecksumMismatchInLastFrameIsTornTail) {
  std::string c = CommitFrame("c");
  c[12] ^= 0x01;
  Read r = ReadSegmentBytes(CommitFrame("a") + c);
  EXPECT_EQ(LogReader::Outcome::kTornTail, r.outcome);
  EXPECT_EQ("checksum mismatch", r.damage);
}

TEST(LogReaderTest, BadLengthBeforeValidDataIsCorruption) {
  std::string b = CommitFrame("b");
  EncodeFixed32(b.data() + 4, kMaxFramePayload + 1);
  Read r = ReadSegmentBytes(CommitFrame("a") + b + CommitFrame("c"));
  EXPECT_EQ(LogReader::Outcome::kCorruption, r.outcome);
  EXPECT_NE(std::string::npos, r.damage.find("bad frame length"));
}

TEST(LogReaderTest, LengthReachingPastEndBeforeValidDataIsCorruption) {
  // A length bit flipped near the end must not hide the frames after it.
  std::string b = CommitFrame("b");
  EncodeFixed32(b.data() + 4, 4096);
  Read r = ReadSegmentBytes(CommitFrame("a") + b + CommitFrame("c"));
  EXPECT_EQ(LogReader::Outcome::kCorruption, r.outcome);
}

TEST(LogReaderTest, ZerosAfterTheLastFrameAreTheCleanEnd) {
  // What the POSIX writer leaves ahead of its appends.
  const std::string a = CommitFrame("a");
  for (size_t zeros : {1, 8, 9, 100, 65536}) {
    Read r = ReadSegmentBytes(a + std::string(zeros, '\0'));
    EXPECT_EQ((std::vector<std::string>{"a"}), r.gtrids);
    EXPECT_EQ(LogReader::Outcome::kEnd, r.outcome) << zeros;
    EXPECT_EQ("", r.damage);
  }
}

TEST(LogReaderTest, AllZeroHeaderNeverChecks) {
  // ValidFrameAfter skips zero runs on the strength of this.
  const char zero = 0;
  EXPECT_NE(UnmaskCrc(0), Crc32c(&zero, 1));
}

TEST(LogReaderTest, PartFrameBeforeZerosIsTornTail) {
  const std::string b = CommitFrame("b");
  // (A cut that loses only zero bytes of a frame leaves the whole frame,
  // checksum and all: it reads back as written.)
  for (size_t keep : {size_t{1}, size_t{4}, size_t{9}, b.size() / 2}) {
    Read r = ReadSegmentBytes(CommitFrame("a") + b.substr(0, keep) +
                              std::string(4096, '\0'));
    EXPECT_EQ((std::vector<std::string>{"a"}), r.gtrids);
    EXPECT_EQ(LogReader::Outcome::kTornTail, r.outcome) << keep;
    EXPECT_EQ(CommitFrame("a").size(), r.damage_offset);
  }
}

TEST(LogReaderTest, ValidFrameFarBehindZerosIsCorruption) {
  // The zero-run skip must still find a frame at any alignment.
  for (size_t zeros : {9, 10, 17, 100000}) {
    std::string bad = CommitFrame("b");
    bad[10] ^= 1;
    Read r = ReadSegmentBytes(CommitFrame("a") + bad +
                              std::string(zeros, '\0') + CommitFrame("c"));
    EXPECT_EQ(LogReader::Outcome::kCorruption, r.outcome) << zeros;
  }
}

TEST(LogReaderTest, ZerosFollowedByValidFrameAreCorruption) {
  Read r = ReadSegmentBytes(CommitFrame("a") + std::string(100, '\0') +
                            CommitFrame("b"));
  EXPECT_EQ(LogReader::Outcome::kCorruption, r.outcome);
}

TEST(LogReaderTest, ChecksummedFrameOfUnknownTypeIsCorruptionEvenAtTail) {
  std::string odd;
  AppendFrame(static_cast<FrameType>(77), "future", &odd);
  Read r = ReadSegmentBytes(CommitFrame("a") + odd);
  EXPECT_EQ(LogReader::Outcome::kCorruption, r.outcome);
  EXPECT_EQ("unknown frame type 77", r.damage);
}

TEST(LogReaderTest, StopsForGoodAfterDamage) {
  std::string data = CommitFrame("a") + "xx";
  LogReader reader(data);
  LogReader::Frame frame;
  ASSERT_EQ(LogReader::Outcome::kFrame, reader.Next(&frame));
  EXPECT_EQ(LogReader::Outcome::kTornTail, reader.Next(&frame));
  EXPECT_EQ(LogReader::Outcome::kTornTail, reader.Next(&frame));
}

// --- Segment scan ---

std::string Header(uint64_t seq) {
  std::string frame;
  AppendFrame(FrameType::kSegmentHeader, SegmentHeaderPayload(seq), &frame);
  return frame;
}

std::string CheckpointEnd(uint64_t count) {
  std::string frame;
  AppendFrame(FrameType::kCheckpointEnd, CheckpointEndPayload(count), &frame);
  return frame;
}

std::string EndFrame(const std::string& gtrid) {
  std::string frame;
  EXPECT_TRUE(
      AppendRecordFrame(RecordType::kEnd, gtrid, {}, 1, "", &frame).ok());
  return frame;
}

class Gtrids : public RecordVisitor {
 public:
  void OnRecord(const std::string&, uint64_t offset,
                const RecordView& record) override {
    gtrids.emplace_back(record.gtrid);
    offsets.push_back(offset);
  }
  std::vector<std::string> gtrids;
  std::vector<uint64_t> offsets;
};

TEST(SegmentScanTest, CompleteCheckpointAndRecordsWithOffsets) {
  const std::string data =
      Header(3) + CommitFrame("a") + CheckpointEnd(1) + CommitFrame("b");
  Gtrids seen;
  Result<SegmentScan> scan =
      ScanSegment("s3", 3, data, ScanExtent::kAll, &seen);
  ASSERT_TRUE(scan.ok()) << scan.status().ToString();
  EXPECT_TRUE(scan->checkpoint_complete);
  EXPECT_EQ(2u, scan->records);
  EXPECT_EQ((std::vector<std::string>{"a", "b"}), seen.gtrids);
  EXPECT_EQ(Header(3).size(), seen.offsets[0]);
  EXPECT_FALSE(scan->torn_tail.has_value());
}

TEST(SegmentScanTest, StopsAtCheckpointEndWhenAskedTo) {
  const std::string data =
      Header(3) + CheckpointEnd(0) + CommitFrame("b") + "garbage";
  Result<SegmentScan> scan =
      ScanSegment("s3", 3, data, ScanExtent::kUntilCheckpointEnd, nullptr);
  ASSERT_TRUE(scan.ok());
  EXPECT_TRUE(scan->checkpoint_complete);
  EXPECT_EQ(0u, scan->records);
}

TEST(SegmentScanTest, InterruptedCheckpointIsIncompleteNotDamaged) {
  const std::string full = Header(3) + CommitFrame("a") + CommitFrame("b");
  for (size_t cut = 0; cut <= full.size(); ++cut) {
    Result<SegmentScan> scan =
        ScanSegment("s3", 3, full.substr(0, cut), ScanExtent::kAll, nullptr);
    ASSERT_TRUE(scan.ok()) << cut << " " << scan.status().ToString();
    EXPECT_FALSE(scan->checkpoint_complete);
  }
}

TEST(SegmentScanTest, DamageIsDataLossNamingSegmentAndOffset) {
  std::string b = CommitFrame("b");
  b[10] ^= 0x04;
  const std::string data =
      Header(3) + CheckpointEnd(0) + CommitFrame("a") + b + CommitFrame("c");
  Result<SegmentScan> scan = ScanSegment("xatm-0000000000000003.log", 3, data,
                                         ScanExtent::kAll, nullptr);
  ASSERT_FALSE(scan.ok());
  EXPECT_EQ(StatusCode::kDataLoss, scan.status().code());
  const size_t offset =
      Header(3).size() + CheckpointEnd(0).size() + CommitFrame("a").size();
  EXPECT_EQ("segment xatm-0000000000000003.log offset " +
                std::to_string(offset) + ": checksum mismatch",
            scan.status().message());
}

TEST(SegmentScanTest, TornTailIsReportedWithOffset) {
  const std::string good = Header(3) + CheckpointEnd(0) + CommitFrame("a");
  Result<SegmentScan> scan =
      ScanSegment("seg", 3, good + CommitFrame("b").substr(0, 20),
                  ScanExtent::kAll, nullptr);
  ASSERT_TRUE(scan.ok());
  ASSERT_TRUE(scan->torn_tail.has_value());
  EXPECT_EQ("seg at offset " + std::to_string(good.size()) +
                ": truncated frame (length " +
                std::to_string(CommitFrame("b").size() - 9) +
                ", 11 bytes present)",
            *scan->torn_tail);
}

TEST(SegmentScanTest, FramesOutOfPlaceAreDataLoss) {
  struct Case {
    const char* what;
    std::string data;
    const char* reason;
  } cases[] = {
      {"no header", CommitFrame("a"), "does not start with a segment header"},
      {"wrong seq", Header(4), "segment header names sequence 4"},
      {"second header", Header(3) + Header(3), "segment header inside"},
      {"bad count", Header(3) + CommitFrame("a") + CheckpointEnd(2),
       "checkpoint end counts 2"},
      {"second end", Header(3) + CheckpointEnd(0) + CheckpointEnd(0),
       "second checkpoint end"},
      {"end in checkpoint", Header(3) + EndFrame("a") + CheckpointEnd(1),
       "END record inside a checkpoint"},
  };
  for (const Case& c : cases) {
    Result<SegmentScan> scan =
        ScanSegment("seg", 3, c.data, ScanExtent::kAll, nullptr);
    ASSERT_FALSE(scan.ok()) << c.what;
    EXPECT_EQ(StatusCode::kDataLoss, scan.status().code()) << c.what;
    EXPECT_NE(std::string::npos, scan.status().message().find(c.reason))
        << c.what << ": " << scan.status().message();
  }
}

TEST(SegmentScanTest, UndecodableRecordWithValidChecksumIsDataLoss) {
  std::string bad;
  AppendFrame(FrameType::kCommit, "\x01", &bad);
  Result<SegmentScan> scan =
      ScanSegment("seg", 3, Header(3) + bad, ScanExtent::kAll, nullptr);
  ASSERT_FALSE(scan.ok());
  EXPECT_NE(std::string::npos,
            scan.status().message().find("undecodable COMMIT record"));
}

}  // namespace
}  // namespace xatm
