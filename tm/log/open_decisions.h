// What a checkpoint carries forward: the COMMIT decisions without END, in
// the order they were made, every HEURISTIC record (rare, and never to
// vanish from the log with the segment that held it) and the tombstones of
// recovery ENDs (bounded: the oldest go first). Replay and the live log
// both feed it.
#pragma once

#include <cstddef>
#include <deque>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "tm/log/record_codec.h"
#include "xatm/decision_log.h"

namespace xatm {

// Not thread-safe.
class OpenDecisions {
 public:
  explicit OpenDecisions(size_t max_tombstones = 100000)
      : max_tombstones_(max_tombstones) {}
  OpenDecisions(OpenDecisions&&) = default;
  OpenDecisions& operator=(OpenDecisions&&) = default;
  // The index points into the list's nodes: no copies.
  OpenDecisions(const OpenDecisions&) = delete;
  OpenDecisions& operator=(const OpenDecisions&) = delete;

  // COMMIT adds (a repeated COMMIT keeps the first), END removes (a
  // recovery END also keeps a tombstone, once), HEURISTIC is kept once (a
  // repeat, e.g. from a checkpoint replayed twice, is ignored) and changes
  // no decision.
  void Apply(const RecordView& record);
  void Apply(DecisionRecord&& record);

  std::vector<DecisionRecord> List() const;
  std::optional<DecisionRecord> Find(std::string_view gtrid) const;
  size_t size() const { return index_.size(); }
  // An open COMMIT, a HEURISTIC or a tombstone for gtrid.
  bool HasCommitHistory(std::string_view gtrid) const;
  size_t tombstones() const { return tombstones_.size(); }

  // Sagas not finished: their latest SAGA record, oldest saga first.
  std::vector<DecisionRecord> Sagas() const;

  // The tombstones (recovery ENDs: first, so that replaying them closes
  // nothing carried after them), then open decisions, then heuristics, each
  // oldest first; `f` is called with const DecisionRecord&.
  template <typename F>
  void ForEachCarried(F&& f) const {
    for (const DecisionRecord& r : tombstone_order_) f(r);
    for (const DecisionRecord& r : order_) f(r);
    for (const DecisionRecord& r : heuristics_) f(r);
    for (const DecisionRecord& r : saga_order_) f(r);
  }
  size_t carried() const {
    return order_.size() + heuristics_.size() + tombstone_order_.size() +
           saga_order_.size();
  }

 private:
  void Remove(std::string_view gtrid);
  void SetSaga(DecisionRecord&& record);
  void EndSaga(std::string_view saga_id);
  void AddHeuristic(std::string key, DecisionRecord&& record);
  void AddTombstone(std::string_view gtrid, int64_t time_ms);

  size_t max_tombstones_;
  std::list<DecisionRecord> order_;
  // Keys view the gtrid inside the list node, which never moves.
  std::unordered_map<std::string_view, std::list<DecisionRecord>::iterator>
      index_;
  std::vector<DecisionRecord> heuristics_;
  std::unordered_set<std::string> heuristic_keys_;  // their encodings
  std::unordered_set<std::string> heuristic_gtrids_;
  // Recovery ENDs (gtrid, time) oldest first, and their gtrids.
  std::deque<DecisionRecord> tombstone_order_;
  std::unordered_set<std::string> tombstones_;
  // Open sagas' latest records in the order they began, indexed like
  // order_.
  std::list<DecisionRecord> saga_order_;
  std::unordered_map<std::string_view, std::list<DecisionRecord>::iterator>
      saga_index_;
};

}  // namespace xatm
