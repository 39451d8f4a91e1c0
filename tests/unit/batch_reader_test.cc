// Format-2 batches: a torn last write of any shape (holes included) is the
// end of the log; damage followed by a valid later batch is corruption.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tm/log/batch.h"
#include "tm/log/record_codec.h"

namespace xatm {
namespace {

// A segment of `count` batches, each holding two COMMIT frames; the batch
// offsets in *starts.
std::string Batches(int count, std::vector<size_t>* starts) {
  std::string segment;
  for (int i = 1; i <= count; ++i) {
    starts->push_back(segment.size());
    std::string batch;
    BeginBatch(&batch);
    for (int j = 0; j < 2; ++j) {
      EXPECT_TRUE(AppendRecordFrame(RecordType::kCommit,
                                    "g" + std::to_string(i * 10 + j), {"pg"}, i,
                                    "", &batch)
                      .ok());
    }
    SealBatch(static_cast<uint64_t>(i), &batch);
    segment += batch;
  }
  return segment;
}

struct Read {
  std::vector<uint64_t> seqs;
  BatchReader::Outcome outcome;
  uint64_t damage_offset;
  std::string damage;
};

Read ReadBatches(const std::string& data) {
  BatchReader reader(data);
  BatchReader::Batch batch;
  Read r;
  while ((r.outcome = reader.Next(&batch)) == BatchReader::Outcome::kBatch) {
    r.seqs.push_back(batch.seq);
  }
  r.damage_offset = reader.damage_offset();
  r.damage = reader.damage();
  return r;
}

void Zero(std::string* data, size_t from, size_t to) {
  std::fill(data->begin() + static_cast<ptrdiff_t>(from),
            data->begin() + static_cast<ptrdiff_t>(to), '\0');
}

TEST(BatchReaderTest, BatchesThenZerosAreACleanEnd) {
  std::vector<size_t> starts;
  std::string data = Batches(3, &starts) + std::string(700, '\0');
  Read r = ReadBatches(data);
  EXPECT_EQ((std::vector<uint64_t>{1, 2, 3}), r.seqs);
  EXPECT_EQ(BatchReader::Outcome::kEnd, r.outcome);
}

TEST(BatchReaderTest, HoleBeforeTheRestOfTheLastBatchIsATornTail) {
  std::vector<size_t> starts;
  std::string data = Batches(3, &starts) + std::string(700, '\0');
  // The first sector of batch 3 never reached the disk; its second frame
  // (whose own checksum holds) did.
  Zero(&data, starts[2], starts[2] + 40);
  Read r = ReadBatches(data);
  EXPECT_EQ((std::vector<uint64_t>{1, 2}), r.seqs);
  EXPECT_EQ(BatchReader::Outcome::kTornTail, r.outcome) << r.damage;
  EXPECT_EQ(starts[2], r.damage_offset);
}

TEST(BatchReaderTest, HoleInABatchFollowedByAValidLaterBatchIsCorruption) {
  std::vector<size_t> starts;
  std::string data = Batches(3, &starts);
  Zero(&data, starts[1] + 10, starts[1] + 30);
  Read r = ReadBatches(data);
  EXPECT_EQ((std::vector<uint64_t>{1}), r.seqs);
  EXPECT_EQ(BatchReader::Outcome::kCorruption, r.outcome);
  EXPECT_EQ(starts[1], r.damage_offset);
  EXPECT_NE(std::string::npos,
            r.damage.find("followed by valid batch 3 at offset " +
                          std::to_string(starts[2])))
      << r.damage;
}

TEST(BatchReaderTest, EveryTruncationOfTheLastBatchIsATornTail) {
  std::vector<size_t> starts;
  const std::string data = Batches(2, &starts);
  for (size_t cut = starts[1] + 1; cut < data.size(); ++cut) {
    Read r = ReadBatches(data.substr(0, cut));
    EXPECT_EQ((std::vector<uint64_t>{1}), r.seqs) << cut;
    EXPECT_EQ(BatchReader::Outcome::kTornTail, r.outcome) << cut;
  }
}

TEST(BatchReaderTest, ChecksummedBatchOutOfSequenceIsCorruption) {
  std::vector<size_t> starts;
  std::string data = Batches(1, &starts);
  std::string stray;
  BeginBatch(&stray);
  SealBatch(5, &stray);
  Read r = ReadBatches(data + stray);
  EXPECT_EQ(BatchReader::Outcome::kCorruption, r.outcome);
  EXPECT_EQ("batch 5 where batch 2 belongs", r.damage);
}

}  // namespace
}  // namespace xatm
