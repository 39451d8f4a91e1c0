#include "tm/log/log_replay.h"

#include <algorithm>
#include <utility>

namespace xatm {

Result<std::vector<SegmentRef>> ListSegments(FileSystem* fs,
                                             const std::string& dir) {
  XATM_ASSIGN_OR_RETURN(std::vector<std::string> names, fs->ListDir(dir));
  std::vector<SegmentRef> segments;
  for (std::string& name : names) {
    uint64_t seq;
    if (ParseSegmentFileName(name, &seq)) {
      segments.push_back(SegmentRef{seq, std::move(name)});
    }
  }
  std::sort(
      segments.begin(), segments.end(),
      [](const SegmentRef& a, const SegmentRef& b) { return a.seq < b.seq; });
  return segments;
}

Result<ReplayResult> ReplayLog(FileSystem* fs, const std::string& dir,
                               RecordVisitor* visitor) {
  XATM_ASSIGN_OR_RETURN(std::vector<SegmentRef> segments,
                        ListSegments(fs, dir));

  ReplayResult result;
  if (!segments.empty()) result.next_seq = segments.back().seq + 1;

  // Newest first until a complete checkpoint; the bytes are kept for the
  // replay pass. A damaged segment on the way fails the replay: it may be
  // the one that held the newest checkpoint.
  std::vector<std::string> contents(segments.size());
  size_t start = 0;
  for (size_t i = segments.size(); i-- > 0;) {
    const std::string path = dir + "/" + segments[i].name;
    XATM_ASSIGN_OR_RETURN(std::string bytes, fs->ReadFile(path));
    contents[i] = std::move(bytes);
    XATM_ASSIGN_OR_RETURN(
        SegmentScan head,
        ScanSegment(segments[i].name, segments[i].seq, contents[i],
                    ScanExtent::kUntilCheckpointEnd, nullptr));
    if (head.checkpoint_complete) {
      start = i;
      break;
    }
  }

  for (size_t i = start; i < segments.size(); ++i) {
    XATM_ASSIGN_OR_RETURN(SegmentScan scan,
                          ScanSegment(segments[i].name, segments[i].seq,
                                      contents[i], ScanExtent::kAll, visitor));
    std::string().swap(contents[i]);  // release as we go
    result.records += scan.records;
    if (scan.torn_tail) result.torn_tails.push_back(*scan.torn_tail);
  }
  result.obsolete.assign(std::make_move_iterator(segments.begin()),
                         std::make_move_iterator(segments.begin() + start));
  result.replayed.assign(std::make_move_iterator(segments.begin() + start),
                         std::make_move_iterator(segments.end()));
  return result;
}

}  // namespace xatm
