#include "cli/commands/progress_line.h"

#include <utility>

namespace xatm {

ProgressLine::ProgressLine(std::ostream& out, std::string label,
                           std::chrono::milliseconds min_interval, Now now)
    : out_(out),
      label_(std::move(label)),
      min_interval_(min_interval),
      now_(std::move(now)) {}

void ProgressLine::Update(size_t done, size_t total) {
  done_ = done;
  total_ = total;
  pending_ = true;
  if (drawn_ && done != total && now_() - last_draw_ < min_interval_) return;
  Draw();
}

void ProgressLine::Finish() {
  if (pending_) Draw();
  if (drawn_) out_ << "\n" << std::flush;
  drawn_ = false;
}

void ProgressLine::Draw() {
  out_ << "\r" << label_ << ": " << done_ << "/" << total_ << " branches"
       << std::flush;
  drawn_ = true;
  pending_ = false;
  last_draw_ = now_();
}

}  // namespace xatm
