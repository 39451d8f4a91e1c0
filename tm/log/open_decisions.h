// The COMMIT decisions without END, in the order they were made. Replay and
// the live log both feed it; checkpoints are written from it.
#pragma once

#include <cstddef>
#include <list>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tm/decision_log.h"
#include "tm/log/record_codec.h"

namespace xatm {

// Not thread-safe.
class OpenDecisions {
 public:
  OpenDecisions() = default;
  OpenDecisions(OpenDecisions&&) = default;
  OpenDecisions& operator=(OpenDecisions&&) = default;
  // The index points into the list's nodes: no copies.
  OpenDecisions(const OpenDecisions&) = delete;
  OpenDecisions& operator=(const OpenDecisions&) = delete;

  // COMMIT adds (a repeated COMMIT keeps the first), END removes, HEURISTIC
  // changes nothing.
  void Apply(const RecordView& record);
  void Apply(DecisionRecord&& record);

  std::vector<DecisionRecord> List() const;
  std::optional<DecisionRecord> Find(std::string_view gtrid) const;
  size_t size() const { return index_.size(); }

  // Oldest first; `f` is called with const DecisionRecord&.
  template <typename F>
  void ForEach(F&& f) const {
    for (const DecisionRecord& r : order_) f(r);
  }

 private:
  void Remove(std::string_view gtrid);

  std::list<DecisionRecord> order_;
  // Keys view the gtrid inside the list node, which never moves.
  std::unordered_map<std::string_view, std::list<DecisionRecord>::iterator>
      index_;
};

}  // namespace xatm
