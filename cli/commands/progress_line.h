// A progress line for a terminal: "\rrecover: 4200/20000 branches",
// redrawn in place at most once per interval, ended with a newline. The
// caller decides whether there is a terminal (isatty): on a pipe or a file
// nothing should be drawn.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <ostream>
#include <string>

namespace xatm {

class ProgressLine {
 public:
  using Now = std::function<std::chrono::steady_clock::time_point()>;

  ProgressLine(
      std::ostream& out, std::string label,
      std::chrono::milliseconds min_interval = std::chrono::milliseconds(100),
      Now now = &std::chrono::steady_clock::now);

  // Draws "done/total" unless the last drawing is younger than the
  // interval; the first update and the last (done == total) always draw.
  // Not thread-safe: callers serialize.
  void Update(size_t done, size_t total);
  // Draws the latest figures if they were held back and ends the line;
  // nothing at all when Update was never called.
  void Finish();

 private:
  void Draw();

  std::ostream& out_;
  const std::string label_;
  const std::chrono::milliseconds min_interval_;
  const Now now_;
  bool drawn_ = false;
  bool pending_ = false;  // figures newer than the drawing
  std::chrono::steady_clock::time_point last_draw_;
  size_t done_ = 0;
  size_t total_ = 0;
};

}  // namespace xatm
