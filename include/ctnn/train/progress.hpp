#pragma once
// Showing a fit's progress. On a terminal, a bar redrawn in place during each epoch
//
//   epoch 3/10 [=========>..........]  27008/54000  25714 samples/s  ETA 0:01  loss 0.4321
//
// which the epoch's line replaces when the epoch ends; elsewhere (a log file, a pipe, a test's
// string stream) only the epoch lines, one per epoch:
//
//   epoch 3/10  loss 0.4321  accuracy 0.8765  val_loss 0.4012  val_accuracy 0.8812  lr 0.001  2.1 s  25714 samples/s
//
// progress_style::automatic picks the bar when the stream is std::cout (fd 1) or std::cerr /
// std::clog (fd 2) and that descriptor is a terminal (isatty), the lines otherwise; `none` prints
// nothing. Formatting goes through fixed buffers (snprintf), so redrawing the bar during the
// steps allocates nothing; it is throttled to about ten redraws a second.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <iostream>
#include <ostream>
#include <span>
#include <string>
#include <string_view>

#if __has_include(<unistd.h>)
#include <unistd.h>
#endif

#include "epoch_stats.hpp"

namespace ctnn {

enum class progress_style { automatic, bar, lines, none };

// The bar's numbers at one moment of an epoch.
struct progress_snapshot {
  std::size_t epoch = 0;  // 1-based
  std::size_t epochs = 0;
  std::size_t samples_done = 0;
  std::size_t samples_total = 0;
  double seconds = 0;       // since the epoch started
  double running_loss = 0;  // mean of the batch losses so far
};

namespace detail {

// Appends to buf[0..size) at `used`, never past the end; returns the new length.
template <class... Args>
std::size_t append_format(std::span<char> buf, std::size_t used, const char* format, Args... args) {
  if (used >= buf.size()) return used;
  const int n = std::snprintf(buf.data() + used, buf.size() - used, format, args...);
  if (n < 0) return used;
  return std::min(buf.size() - 1, used + static_cast<std::size_t>(n));
}

// Seconds as m:ss, or h:mm:ss from an hour on.
inline std::size_t append_duration(std::span<char> buf, std::size_t used, double seconds) {
  const auto s = static_cast<unsigned long long>(std::max(0.0, std::round(seconds)));
  if (s >= 3600) return append_format(buf, used, "%llu:%02llu:%02llu", s / 3600, s / 60 % 60, s % 60);
  return append_format(buf, used, "%llu:%02llu", s / 60, s % 60);
}

// True when `out` writes to a terminal: std::cout (fd 1), or std::cerr / std::clog (fd 2).
inline bool is_terminal(const std::ostream& out) {
#if __has_include(<unistd.h>)
  if (out.rdbuf() == std::cout.rdbuf()) return ::isatty(1) == 1;
  if (out.rdbuf() == std::cerr.rdbuf() || out.rdbuf() == std::clog.rdbuf()) return ::isatty(2) == 1;
#else
  (void)out;
#endif
  return false;
}

}  // namespace detail

// The bar's text for a snapshot, written into buf (NUL-terminated, cut at its end); returns the
// length. `width` is the number of cells between the brackets.
inline std::size_t format_progress_bar(std::span<char> buf, const progress_snapshot& s,
                                       std::size_t width = 20) {
  if (buf.empty()) return 0;
  buf[0] = '\0';
  const double fraction =
      s.samples_total == 0
          ? 0.0
          : std::min(1.0, double(s.samples_done) / double(s.samples_total));
  const auto filled = static_cast<std::size_t>(fraction * double(width));
  std::size_t n = detail::append_format(buf, 0, "epoch %zu/%zu [", s.epoch, s.epochs);
  for (std::size_t k = 0; k < width; ++k) {
    const char cell = k < filled ? '=' : (k == filled && fraction < 1.0 ? '>' : '.');
    n = detail::append_format(buf, n, "%c", cell);
  }
  n = detail::append_format(buf, n, "]  %zu/%zu", s.samples_done, s.samples_total);
  const double rate = s.seconds > 0 ? double(s.samples_done) / s.seconds : 0.0;
  n = detail::append_format(buf, n, "  %.0f samples/s  ETA ", rate);
  if (rate > 0 && s.samples_done > 0)
    n = detail::append_duration(buf, n, double(s.samples_total - std::min(s.samples_total, s.samples_done)) / rate);
  else
    n = detail::append_format(buf, n, "%s", "-:--");
  return detail::append_format(buf, n, "  loss %.4f", s.running_loss);
}

// The epoch's line (without a newline); fields that were not measured are left out.
inline std::size_t format_epoch_line(std::span<char> buf, const epoch_stats& e) {
  if (buf.empty()) return 0;
  buf[0] = '\0';
  std::size_t n = detail::append_format(buf, 0, "epoch %zu/%zu", e.epoch, e.epochs);
  const auto field = [&](const char* name, double v) {
    if (!std::isnan(v)) n = detail::append_format(buf, n, "  %s %.4f", name, v);
  };
  field("loss", e.train_loss);
  field("accuracy", e.train_accuracy);
  field("val_loss", e.validation_loss);
  field("val_accuracy", e.validation_accuracy);
  if (!std::isnan(e.learning_rate)) n = detail::append_format(buf, n, "  lr %.3g", e.learning_rate);
  n = detail::append_format(buf, n, "  %.1f s  %.0f samples/s", e.seconds, e.samples_per_second);
  if (e.skipped_batches > 0)
    n = detail::append_format(buf, n, "  (%zu non-finite batches skipped)", e.skipped_batches);
  return n;
}

inline std::string epoch_line(const epoch_stats& e) {
  char buf[320];
  return std::string(buf, format_epoch_line(buf, e));
}

// Prints a fit's progress to a stream in one of the styles above.
class progress_printer {
 public:
  using clock = std::chrono::steady_clock;

  explicit progress_printer(std::ostream* out, progress_style style = progress_style::automatic)
      : out_(out), style_(out == nullptr ? progress_style::none : style) {
    if (style_ == progress_style::automatic)
      style_ = detail::is_terminal(*out_) ? progress_style::bar : progress_style::lines;
  }

  // The style in use (automatic resolved).
  progress_style style() const { return style_; }

  void begin_epoch(std::size_t epoch, std::size_t epochs, std::size_t samples_total) {
    snapshot_ = {epoch, epochs, 0, samples_total, 0, 0};
    start_ = clock::now();
    last_draw_ = start_ - redraw_interval;
    drawn_ = false;
  }

  // After each step; redraws the bar when it is due (always when the epoch's samples are done).
  void update(std::size_t samples_done, double running_loss) {
    if (style_ != progress_style::bar) return;
    const auto now = clock::now();
    if (now - last_draw_ < redraw_interval && samples_done < snapshot_.samples_total) return;
    last_draw_ = now;
    snapshot_.samples_done = samples_done;
    snapshot_.running_loss = running_loss;
    snapshot_.seconds = std::chrono::duration<double>(now - start_).count();
    char buf[256];
    const std::size_t n = format_progress_bar(buf, snapshot_);
    // \r returns to the line's start; ESC[K clears what a longer previous bar left behind.
    out_->write("\r", 1).write(buf, static_cast<std::streamsize>(n)).write("\x1b[K", 3).flush();
    drawn_ = true;
  }

  void end_epoch(const epoch_stats& e) {
    if (style_ == progress_style::none) return;
    char buf[320];
    const std::size_t n = format_epoch_line(buf, e);
    if (drawn_) out_->write("\r", 1);
    out_->write(buf, static_cast<std::streamsize>(n));
    if (drawn_) out_->write("\x1b[K", 3);
    out_->write("\n", 1).flush();
    drawn_ = false;
  }

  // Ends a bar left half-drawn (the fit is leaving by an exception), so that what is printed
  // next starts on a line of its own.
  void interrupt() {
    if (drawn_) out_->write("\n", 1).flush();
    drawn_ = false;
  }

  // A line of its own (early stopping, restored weights), in every style but none.
  void note(std::string_view text) {
    if (style_ == progress_style::none) return;
    if (drawn_) out_->write("\r\x1b[K", 4);
    out_->write(text.data(), static_cast<std::streamsize>(text.size())).write("\n", 1).flush();
    drawn_ = false;
  }

 private:
  static constexpr auto redraw_interval = std::chrono::milliseconds(100);
  std::ostream* out_;
  progress_style style_;
  progress_snapshot snapshot_{};
  clock::time_point start_{}, last_draw_{};
  bool drawn_ = false;
};

}  // namespace ctnn
