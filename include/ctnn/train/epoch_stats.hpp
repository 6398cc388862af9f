#pragma once
// What a fit loop records about one epoch: what progress lines print, what a per-epoch callback
// receives, and what the curves plot (a fit's history is one of these per epoch).
// A quantity that was not measured (no validation data, accuracy_kind::none) is NaN.

#include <cmath>
#include <cstddef>
#include <limits>

namespace ctnn {

struct epoch_stats {
  static constexpr double not_measured = std::numeric_limits<double>::quiet_NaN();

  std::size_t epoch = 0;   // 1-based
  std::size_t epochs = 0;  // as planned (a fit may stop earlier)
  double train_loss = not_measured;      // mean of the epoch's batch losses (running, as Keras)
  double train_accuracy = not_measured;  // of each batch's outputs just before its step
  double validation_loss = not_measured;
  double validation_accuracy = not_measured;
  double learning_rate = not_measured;  // of the epoch's last step
  std::size_t samples = 0;              // training samples stepped on
  std::size_t skipped_batches = 0;      // non-finite losses skipped (stop_on_non_finite = false)
  double seconds = 0;                   // the whole epoch, validation included
  double samples_per_second = 0;        // training samples over the time spent in steps
  bool improved = false;                // the monitored loss improved (early stopping)

  bool has_validation() const { return !std::isnan(validation_loss); }
};

}  // namespace ctnn
