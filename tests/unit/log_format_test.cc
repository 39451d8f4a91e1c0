// CRC-32C, integer coding, record payloads and segment names.
#include "tm/log/log_format.h"

#include <gtest/gtest.h>

#include <boost/crc.hpp>
#include <random>
#include <string>

#include "tm/log/coding.h"
#include "tm/log/crc32c.h"
#include "tm/log/record_codec.h"
#include "tm/log/segment.h"

namespace xatm {
namespace {

using BoostCrc32c =
    boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true>;

uint32_t BoostCrc(const std::string& s) {
  BoostCrc32c crc;
  crc.process_bytes(s.data(), s.size());
  return crc.checksum();
}

std::string RandomBytes(std::mt19937_64& rng, size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

TEST(Crc32cTest, MatchesPublishedValues) {
  // RFC 3720 (iSCSI) test vectors and the classic check value.
  EXPECT_EQ(0xe3069283u, Crc32c("123456789"));
  EXPECT_EQ(0x8a9136aau, Crc32c(std::string(32, '\0')));
  EXPECT_EQ(0x62a8ab43u, Crc32c(std::string(32, '\xff')));
  std::string ascending;
  for (int i = 0; i < 32; ++i) ascending.push_back(static_cast<char>(i));
  EXPECT_EQ(0x46dd794eu, Crc32c(ascending));
}

TEST(Crc32cTest, AgreesWithBoostCrcAndPortablePathAtEveryLengthAndAlignment) {
  std::mt19937_64 rng(7);
  const std::string data = RandomBytes(rng, 600);
  for (size_t start = 0; start < 9; ++start) {
    for (size_t len = 0; start + len <= data.size();
         len += (len < 70 ? 1 : 37)) {
      const std::string piece = data.substr(start, len);
      const uint32_t expected = BoostCrc(piece);
      ASSERT_EQ(expected, Crc32c(piece)) << start << "+" << len;
      ASSERT_EQ(expected, Crc32cExtendPortable(0, piece.data(), piece.size()));
    }
  }
}

TEST(Crc32cTest, ExtendEqualsCrcOfConcatenation) {
  std::mt19937_64 rng(8);
  const std::string a = RandomBytes(rng, 123), b = RandomBytes(rng, 77);
  EXPECT_EQ(Crc32c(a + b), Crc32cExtend(Crc32c(a), b.data(), b.size()));
}

TEST(Crc32cTest, MaskRoundTripsAndChangesTheValue) {
  const uint32_t crc = Crc32c("foo");
  EXPECT_NE(crc, MaskCrc(crc));
  EXPECT_NE(crc, MaskCrc(MaskCrc(crc)));
  EXPECT_EQ(crc, UnmaskCrc(MaskCrc(crc)));
  EXPECT_EQ(crc, UnmaskCrc(UnmaskCrc(MaskCrc(MaskCrc(crc)))));
}

TEST(CodingTest, VarintsRoundTripAtEveryWidth) {
  std::string buf;
  std::vector<uint64_t> values = {
      0, 1, 127, 128, 16383, 16384, UINT32_MAX, uint64_t{1} << 63, UINT64_MAX};
  for (int shift = 0; shift < 64; ++shift) {
    values.push_back((uint64_t{1} << shift) - 1);
  }
  for (uint64_t v : values) PutVarint64(&buf, v);
  std::string_view in = buf;
  for (uint64_t v : values) {
    uint64_t got;
    ASSERT_TRUE(GetVarint64(&in, &got));
    EXPECT_EQ(v, got);
  }
  EXPECT_TRUE(in.empty());
}

TEST(CodingTest, TruncatedAndOverlongVarintsAreRejected) {
  std::string buf;
  PutVarint64(&buf, UINT64_MAX);
  for (size_t n = 0; n < buf.size(); ++n) {
    std::string_view in(buf.data(), n);
    uint64_t v;
    EXPECT_FALSE(GetVarint64(&in, &v)) << n;
  }
  std::string overlong(10, '\xff');
  overlong.push_back('\x01');
  std::string_view in = overlong;
  uint64_t v;
  EXPECT_FALSE(GetVarint64(&in, &v));
  std::string too_wide = "\xff\xff\xff\xff\x7f";  // 2^35 - 1
  in = too_wide;
  uint32_t v32;
  EXPECT_FALSE(GetVarint32(&in, &v32));
}

TEST(CodingTest, LengthPrefixedStringLongerThanInputIsRejected) {
  std::string buf;
  PutLengthPrefixed(&buf, "hello");
  std::string_view in(buf.data(), buf.size() - 1);
  std::string_view out;
  EXPECT_FALSE(GetLengthPrefixed(&in, &out));
  in = buf;
  ASSERT_TRUE(GetLengthPrefixed(&in, &out));
  EXPECT_EQ("hello", out);
}

TEST(RecordCodecTest, EveryRecordTypeRoundTrips) {
  DecisionRecord heuristic;
  heuristic.type = RecordType::kHeuristic;
  heuristic.gtrid = "xatm:node-1:1700000000000:00000000deadbeef";
  heuristic.resources = {"bank_pg", "bank_my"};
  heuristic.time_ms = -5;  // negative times survive too
  heuristic.detail = "branch bank_my rolled back";
  DecisionRecord end;
  end.type = RecordType::kEnd;
  end.gtrid = "g";
  end.time_ms = INT64_MAX;

  for (const DecisionRecord& r : {heuristic, end}) {
    std::string frame;
    ASSERT_TRUE(AppendRecordFrame(r, &frame).ok());
    ASSERT_EQ(static_cast<uint8_t>(r.type), static_cast<uint8_t>(frame[8]));
    RecordView view;
    ASSERT_TRUE(DecodeRecordPayload(static_cast<FrameType>(r.type),
                                    std::string_view(frame).substr(9), &view));
    DecisionRecord back = view.ToRecord();
    EXPECT_EQ(r.type, back.type);
    EXPECT_EQ(r.gtrid, back.gtrid);
    EXPECT_EQ(r.resources, back.resources);
    EXPECT_EQ(r.time_ms, back.time_ms);
    EXPECT_EQ(r.detail, back.detail);
  }
}

TEST(RecordCodecTest, FrameHeaderHoldsMaskedCrcOfTypeAndPayload) {
  std::string frame;
  AppendFrame(FrameType::kCheckpointEnd, "abc", &frame);
  ASSERT_EQ(kFrameHeaderSize + 3, frame.size());
  EXPECT_EQ(3u, DecodeFixed32(frame.data() + 4));
  EXPECT_EQ(Crc32c(frame.substr(8)), UnmaskCrc(DecodeFixed32(frame.data())));
}

TEST(RecordCodecTest, PayloadWithTrailingBytesOrBadCountIsRejected) {
  std::string frame;
  ASSERT_TRUE(
      AppendRecordFrame(RecordType::kCommit, "g", {"a", "b"}, 1, "", &frame)
          .ok());
  std::string payload = frame.substr(kFrameHeaderSize);
  RecordView view;
  EXPECT_TRUE(DecodeRecordPayload(FrameType::kCommit, payload, &view));
  EXPECT_FALSE(DecodeRecordPayload(FrameType::kCommit, payload + "x", &view));
  for (size_t n = 0; n < payload.size(); ++n) {
    EXPECT_FALSE(
        DecodeRecordPayload(FrameType::kCommit, payload.substr(0, n), &view))
        << n;
  }
  std::string huge_count = payload;
  huge_count[3] = '\x7f';  // resource count
  EXPECT_FALSE(DecodeRecordPayload(FrameType::kCommit, huge_count, &view));
}

TEST(RecordCodecTest, EmptyGtridAndOversizedRecordAreInvalidArguments) {
  std::string frame = "keep";
  EXPECT_EQ(
      StatusCode::kInvalidArgument,
      AppendRecordFrame(RecordType::kCommit, "", {}, 0, "", &frame).code());
  EXPECT_EQ(StatusCode::kInvalidArgument,
            AppendRecordFrame(RecordType::kHeuristic, "g", {}, 0,
                              std::string(kMaxFramePayload, 'x'), &frame)
                .code());
  EXPECT_EQ("keep", frame);
}

TEST(SegmentNameTest, FormatsAndParsesSixteenDigitSequence) {
  EXPECT_EQ("xatm-0000000000000042.log", SegmentFileName(42));
  uint64_t seq = 0;
  ASSERT_TRUE(ParseSegmentFileName("xatm-0000000000000042.log", &seq));
  EXPECT_EQ(42u, seq);
  ASSERT_TRUE(ParseSegmentFileName(SegmentFileName(9999999999999999), &seq));
  EXPECT_EQ(9999999999999999u, seq);
  for (const char* bad :
       {"LOCK", "xatm-42.log", "xatm-000000000000004x.log",
        "xatm-0000000000000042.log.tmp", "yatm-0000000000000042.log",
        "xatm-99999999999999999.log"}) {
    EXPECT_FALSE(ParseSegmentFileName(bad, &seq)) << bad;
  }
}

}  // namespace
}  // namespace xatm
