#pragma once
// The gradient law: every network, every loss, float and double, single sample and batch, must
// give backprop gradients that agree with central finite differences of its own loss.
//
//   const auto report = laws::check_gradient(p, ctnn::squared_error{}, x, t);
//   CHECK_MESSAGE(report.ok(), report.describe());
//   laws::check_gradient_batch<ctnn::simd::scalar_arch>(p, loss, X, targets);  // any Arch
//
// What is compared. Backprop runs in T with the library (ctnn::loss_and_gradient[_batch]), giving
// ∂C/∂θ for every parameter θ and ∇ₓC for every input value. The reference is the central
// difference of the loss COMPUTED IN DOUBLE: the T parameters and data are converted exactly to
// double, and ctnn::loss / ctnn::loss_batch run on ctnn::parameters<Net, double>. So for float
// the reference is the derivative of the very function the float network approximates, free of
// float rounding, and the comparison measures float backprop error alone.
//
// Step. h = step·max(1, |v|) for the perturbed value v (θ or x): step = 2⁻¹³ ≈ 1.2e-4, or 2⁻¹⁵
// for networks with a kink (below). Both are powers of two, so for |v| ≤ 1 the step is exact; the
// divisor is the difference of the two perturbed values as stored, not 2h. The reference is the
// Richardson extrapolation (4·fd(h/2) − fd(h))/3 of the central differences with steps h and h/2,
// whose truncation error is O(h⁴) (≈ 1e-16·f⁽⁵⁾), so its error is the rounding of the double
// loss, amplified by 1/h.
//
// Error. Per entry, |g − fd| / max(floor, |g|, |fd|): relative where the gradient is large,
// absolute below the floor. The floor is the larger of
//   floor_fraction · max |fd| over the entry's group (∂C/∂θ and ∇ₓC are scaled separately: a
//     batch's ∇ₓC rows carry 1/n). A gradient that cancels to nearly 0 is computed with an
//     absolute error of the size of the terms that cancel, so it cannot be held to a relative
//     bound; the floor says "accurate to a fraction of the gradient's own scale".
//   the resolution of the difference itself: 4/tolerance times its rounding error, modelled as
//     rounding_factor·eps·max(1, |C|)/h, so that no entry fails on the reference's own noise.
// A sign error scores 2, a missing factor ½ scores 0.5; a wrong entry goes unnoticed only below
// the floor (for double: about 1e-3·|C| in absolute terms; for float: 1e-3 of the largest entry).
// ok() also fails when no parameter moves the loss at all (every difference 0): then nothing was
// compared, as when a kernel writes nothing and both sides are 0.
//
// Kinks. relu, leaky_relu and elu are not smooth at z = 0 (elu with α = 1 has a jump in f''): a
// difference whose step moves some z across 0 mixes the slopes of both sides. For networks with
// such an activation the law SKIPS an entry whose differences with steps h and h/2 disagree by
// more than a quarter of the tolerance. On a smooth piece they agree to O(h²); across a kink at
// distance d < h they differ by (g₊ − g₋)·d/(2h) (g± the slopes on each side), so the skipped
// entries are those whose z sits within about h·|∂z/∂v| of a kink. With O(1) data that is rare
// (on the random networks: none of 205,763 entries at the defaults; 59 with step 2⁻¹³ and a 4×
// finer floor); the report counts skips, and ok() fails when more than 1 + 1% of the entries are
// skipped, so the check cannot quietly shrink (gradcheck_activations.cpp shows both).
//
// Tolerances, calibrated on the 24 random networks of gradcheck_random_networks*.cpp (depth up to
// 4, widths up to 33, every activation and loss; one sample and batches of 1, 3, 33 and 70),
// with the SIMD kernels (AVX-512) and with the scalar ones (-DCTNN_NO_SIMD=1):
//   double: tolerance 1e-6, floor_fraction 1e-6. Worst observed 2.5e-8 (SIMD), 1.5e-7 (scalar):
//     double backprop is exact to ~1e-15, so this is the reference's rounding noise against the
//     resolution floor (the scalar loops sum in one long chain and round more). ≥ 7× margin.
//   float: tolerance 1e-2, floor_fraction 1e-3. Worst observed 1.6e-4 (SIMD), 8e-5 (scalar):
//     float backprop through dot products of up to 33 terms, sums over up to 70 samples, and
//     saturated activations whose derivative a(1−a) or 1−a² comes from a rounded a (a = 1 − 1e-4
//     keeps 3 digits of 1 − a). 60× margin; a real bug (sign, factor, transposed W, missing term
//     of a derivative) scores ≥ 0.1 (a 10% wrong tanh' scores 0.1: gradcheck_activations.cpp).
// The loss value returned with the gradient is also compared with the double loss,
// |c − c_double| / max(|c_double|, 1e-3) ≤ tolerance (worst observed: float 5e-7, double 2e-16).
//
// Under AddressSanitizer (the sanitize configuration of scripts/test.sh, which checks memory,
// not arithmetic) the differences probe one entry in seven (probe_every): every pass still runs
// in full, but the four passes per entry repeat the same code on the same buffers, and on the
// largest random graphs they were 40 s of the configuration's running.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <ctnn/ctnn.hpp>
#include <functional>
#include <limits>
#include <memory>
#include <ostream>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "../support/sanitizer.hpp"

namespace laws {

// ---- options --------------------------------------------------------------------------------

struct gradcheck_options {
  double tolerance;       // bound on the mixed error of every entry and of the loss value
  double floor_fraction;  // absolute floor of the error, as a fraction of the group's largest |fd|
  double step = 0x1p-13;  // h = step·max(1, |v|) for smooth networks,
  double kinked_step = 0x1p-15;  // ... and for networks with relu, leaky_relu or elu
  double rounding_factor = 48;   // bound on the difference's rounding error, in eps·max(1,|C|)/h
  double max_skipped_fraction = 0.01;  // kink skips allowed: 1 + this fraction of the entries
  std::size_t probe_every = 1;  // difference and compare entries 0, k, 2k, ... only

  // The defaults for backprop in T (reasons in the header comment).
  template <class T>
  static constexpr gradcheck_options for_type() {
    gradcheck_options o = std::is_same_v<T, double> ? gradcheck_options{1e-6, 1e-6}
                                                    : gradcheck_options{1e-2, 1e-3};
    if (ctnn_test::under_address_sanitizer) o.probe_every = 7;
    return o;
  }
};

// f.template operator()<K>() for K = 0, 1, …, N − 1: a loop over compile-time indices.
template <class F, std::size_t... K>
constexpr void for_each_index(F&& f, std::index_sequence<K...>) {
  (f.template operator()<K>(), ...);
}
template <std::size_t N, class F>
constexpr void for_each_index(F&& f) {
  for_each_index(f, std::make_index_sequence<N>{});
}

// ---- activations the law treats as kinked ---------------------------------------------------

template <class A>
struct is_kinked : std::false_type {};
template <>
struct is_kinked<ctnn::relu> : std::true_type {};
template <class Slope>
struct is_kinked<ctnn::leaky_relu<Slope>> : std::true_type {};
// elu with α ≠ 1 has a corner; with α = 1 its second derivative jumps, which still puts an O(h)
// error into a central difference that straddles 0 (above the double tolerance).
template <class Alpha>
struct is_kinked<ctnn::elu<Alpha>> : std::true_type {};

template <class Net>
constexpr bool has_kinks() {
  bool kinked = false;
  for_each_index<Net::stage_count>([&]<std::size_t K>() {
    kinked = kinked || is_kinked<typename Net::template stage<K>::activation>::value;
  });
  return kinked;
}

// "5 → 7 tanh → 3 identity": the network, for messages.
template <class Net>
std::string describe_network() {
  std::ostringstream out;
  out << Net::input_size;
  for_each_index<Net::stage_count>([&]<std::size_t K>() {
    using S = typename Net::template stage<K>;
    out << " → " << S::out << ' ' << S::activation::name;
  });
  return out.str();
}

// ---- where an entry lives -----------------------------------------------------------------------

enum class entry_kind { weight, bias, input };

struct gradient_entry {
  entry_kind kind = entry_kind::weight;
  std::size_t flat = 0;    // index in the parameter block, or in the (row-major) input buffer
  std::size_t layer = 0;   // dense layer, counted from 0 (weight, bias)
  std::size_t row = 0;     // o for W[o, i] and b[o]; the sample for an input
  std::size_t column = 0;  // i for W[o, i]; the input component for an input

  friend std::ostream& operator<<(std::ostream& out, const gradient_entry& e) {
    switch (e.kind) {
      case entry_kind::weight:
        return out << "layer " << e.layer << " W[o=" << e.row << ", i=" << e.column
                   << "] (parameter " << e.flat << ')';
      case entry_kind::bias:
        return out << "layer " << e.layer << " b[o=" << e.row << "] (parameter " << e.flat << ')';
      case entry_kind::input:
        return out << "input x[sample " << e.row << "][" << e.column << ']';
    }
    return out;
  }
};

template <class Net>
gradient_entry parameter_entry(std::size_t k) {
  gradient_entry e{entry_kind::weight, k, 0, 0, 0};
  for_each_index<Net::stage_count>([&]<std::size_t K>() {
    using S = typename Net::template stage<K>;
    if (k >= S::weight_offset && k < S::bias_offset)
      e = {entry_kind::weight, k, K, (k - S::weight_offset) / S::in,
           (k - S::weight_offset) % S::in};
    else if (k >= S::bias_offset && k < S::bias_offset + S::out)
      e = {entry_kind::bias, k, K, k - S::bias_offset, 0};
  });
  return e;
}

// ---- the report -----------------------------------------------------------------------------

struct gradcheck_report {
  std::string network;      // describe_network<Net>()
  std::string scalar;       // "float" or "double"
  std::string_view loss;    // the loss's name
  std::size_t samples = 0;  // batch size (1 for the single-sample form)
  bool batch = false;
  gradcheck_options options{};

  double worst_error = 0;       // max mixed error over all checked entries
  gradient_entry worst{};       // where it is
  double worst_backprop = 0;    // g there
  double worst_difference = 0;  // fd there
  double worst_parameter_error = 0;
  double worst_input_error = 0;
  double parameter_floor = 0;  // the floors used for each group
  double input_floor = 0;
  double resolution_floor = 0;  // the largest floor set by the differences' own resolution

  double loss_value = 0;   // returned by loss_and_gradient, in T
  double loss_double = 0;  // ctnn::loss in double at the same point
  double loss_error = 0;

  std::size_t checked = 0;  // entries compared
  std::size_t skipped = 0;  // entries skipped at a kink
  std::size_t allowed_skips = 0;
  bool finite = true;  // loss, gradients and differences all finite
  // No parameter moves the loss at all (every difference is 0): nothing was really compared, as
  // when a kernel writes nothing and backprop and differences are both 0.
  bool constant_loss = false;

  bool ok() const {
    return finite && !constant_loss && worst_error <= options.tolerance &&
           loss_error <= options.tolerance && skipped <= allowed_skips && checked > 0;
  }

  std::string describe() const {
    std::ostringstream out;
    out.precision(6);
    out << "gradcheck " << (ok() ? "passed" : "FAILED") << ": network " << network << ", " << scalar
        << ", " << loss << ", " << (batch ? "batch of " : "single sample")
        << (batch ? std::to_string(samples) : std::string()) << '\n'
        << "  worst error " << worst_error << " (tolerance " << options.tolerance << ") at "
        << worst << ": backprop " << worst_backprop << ", central difference " << worst_difference
        << '\n'
        << "  worst parameter error " << worst_parameter_error << " (floor " << parameter_floor
        << "), worst input error " << worst_input_error << " (floor " << input_floor
        << "), resolution floor " << resolution_floor << '\n'
        << "  loss " << loss_value << " vs " << loss_double << " in double (error " << loss_error
        << ")\n"
        << "  checked " << checked << " entries, skipped " << skipped << " at kinks (allowed "
        << allowed_skips << ")" << (finite ? "" : ", NON-FINITE values")
        << (constant_loss ? ", the loss does NOT CHANGE with any parameter" : "")
        << (checked == 0 ? ", NOTHING CHECKED" : "");
    return out.str();
  }

  friend std::ostream& operator<<(std::ostream& out, const gradcheck_report& r) {
    return out << r.describe();
  }
};

// ---- the law ----------------------------------------------------------------------------------

namespace detail {

inline double mixed_error(double g, double fd, double floor) {
  if (!std::isfinite(g) || !std::isfinite(fd)) return std::numeric_limits<double>::infinity();
  const double scale = std::max({floor, std::abs(g), std::abs(fd)});
  return scale > 0 ? std::abs(g - fd) / scale : 0.0;
}

// What the law needs to know about one problem, with the network and T erased, so that its body
// below is compiled once rather than once per network (this file is included by tests that
// instantiate a hundred networks).
struct problem {
  std::span<double> parameters;  // the parameters in double; perturbed in place by the law
  std::span<double> inputs;      // the inputs in double (n rows); perturbed in place
  std::size_t input_size = 0;    // per sample
  std::vector<double> backprop;  // ∂C/∂parameters then ∇ₓC, computed in T, as double
  double loss_value = 0;         // returned with the gradient, in T
  bool kinked = false;
  std::function<double()> cost;  // the loss in double at the current parameters and inputs
  std::function<gradient_entry(std::size_t)> parameter_entry;
  // Parameter entries that are not derivatives (state blocks: batch_norm's running statistics,
  // whose entries are their next values), left out; none when empty.
  std::function<bool(std::size_t)> excluded;
};

inline void run(problem& q, const gradcheck_options& options, gradcheck_report& r) {
  r.options = options;
  r.samples = q.inputs.size() / q.input_size;
  r.loss_value = q.loss_value;
  r.loss_double = q.cost();
  r.loss_error = std::abs(r.loss_value - r.loss_double) / std::max(std::abs(r.loss_double), 1e-3);
  r.finite = std::isfinite(r.loss_value) && std::isfinite(r.loss_double);

  // Central differences with steps h and h/2, combined by Richardson extrapolation.
  const double step = q.kinked ? options.kinked_step : options.step;
  const double rounding =
      std::numeric_limits<double>::epsilon() * std::max(1.0, std::abs(r.loss_double));
  const std::size_t parameter_count = q.parameters.size();
  const std::size_t total = parameter_count + q.inputs.size();
  const std::size_t every = std::max<std::size_t>(options.probe_every, 1);
  std::vector<double> fd(total), fd_h(total), fd_half(total), noise(total);
  auto central = [&](double& v, double h) {
    const double keep = v;
    v = keep + h;
    const double up_at = v;
    const double up = q.cost();
    v = keep - h;
    const double down_at = v;
    const double down = q.cost();
    v = keep;
    return (up - down) / (up_at - down_at);
  };
  const auto left_out = [&](std::size_t e) {
    return e < parameter_count && q.excluded && q.excluded(e);
  };
  for (std::size_t e = 0; e < total; e += every) {
    if (left_out(e)) continue;
    double& v = e < parameter_count ? q.parameters[e] : q.inputs[e - parameter_count];
    const double h = step * std::max(1.0, std::abs(v));
    fd_h[e] = central(v, h);
    fd_half[e] = central(v, h / 2);
    fd[e] = (4 * fd_half[e] - fd_h[e]) / 3;
    noise[e] = options.rounding_factor * rounding / h;
  }

  // Floors, per group, from the reference only (a wrong, huge g must not raise its own floor).
  auto largest = [&](std::size_t begin, std::size_t end) {
    double m = 0;
    for (std::size_t e = begin; e < end; ++e)
      if (std::isfinite(fd[e])) m = std::max(m, std::abs(fd[e]));
    return m;
  };
  const double largest_parameter = largest(0, parameter_count);
  r.constant_loss = largest_parameter == 0;
  r.parameter_floor =
      std::max(options.floor_fraction * largest_parameter, std::numeric_limits<double>::min());
  r.input_floor = std::max(options.floor_fraction * largest(parameter_count, total),
                           std::numeric_limits<double>::min());

  for (std::size_t e = 0; e < total; e += every) {
    if (left_out(e)) continue;
    const bool is_input = e >= parameter_count;
    // The floor never lets the difference's own rounding noise count for more than tolerance/4.
    const double resolution = 4 * noise[e] / options.tolerance;
    r.resolution_floor = std::max(r.resolution_floor, resolution);
    const double floor = std::max(is_input ? r.input_floor : r.parameter_floor, resolution);
    if (!std::isfinite(q.backprop[e]) || !std::isfinite(fd[e])) r.finite = false;
    if (q.kinked && mixed_error(fd_h[e], fd_half[e], floor) > options.tolerance / 4) {
      ++r.skipped;
      continue;
    }
    ++r.checked;
    const double error = mixed_error(q.backprop[e], fd[e], floor);
    double& group_worst = is_input ? r.worst_input_error : r.worst_parameter_error;
    group_worst = std::max(group_worst, error);
    if (error > r.worst_error || r.checked == 1) {
      r.worst_error = error;
      r.worst_backprop = q.backprop[e];
      r.worst_difference = fd[e];
      if (is_input) {
        const std::size_t j = e - parameter_count;
        r.worst = {entry_kind::input, j, 0, j / q.input_size, j % q.input_size};
      } else {
        r.worst = q.parameter_entry(e);
      }
    }
  }
  const std::size_t probed = (total + every - 1) / every;
  r.allowed_skips = 1 + static_cast<std::size_t>(options.max_skipped_fraction * double(probed));
}

// The network-dependent part: runs backprop in T, and sets up the double copies.
template <class Net, class T, class Loss, class Backprop>
problem make_problem(const ctnn::parameters<Net, T>& p, std::span<const T> x,
                     ctnn::parameters<Net, double>& pd, std::vector<double>& xd, Backprop backprop,
                     gradcheck_report& r) {
  r.network = describe_network<Net>();
  r.scalar = std::is_same_v<T, float> ? "float" : "double";
  r.loss = Loss::name;
  auto g = std::make_unique<ctnn::gradient<Net, T>>();
  std::vector<T> dx(x.size(), T(0));
  problem q;
  q.loss_value = static_cast<double>(backprop(*g, std::span<T>(dx)));
  q.backprop.assign(g->values.begin(), g->values.end());
  q.backprop.insert(q.backprop.end(), dx.begin(), dx.end());
  for (std::size_t k = 0; k < Net::parameter_count; ++k) pd[k] = static_cast<double>(p[k]);
  xd.assign(x.begin(), x.end());
  q.parameters = std::span<double>(pd.data(), Net::parameter_count);
  q.inputs = std::span<double>(xd);
  q.input_size = Net::input_size;
  q.kinked = has_kinks<Net>();
  q.parameter_entry = parameter_entry<Net>;
  return q;
}

}  // namespace detail

// One sample: ctnn::loss_and_gradient (with ∇ₓC) against differences of ctnn::loss in double.
template <class Arch = ctnn::simd::default_arch, class Net, class T, ctnn::loss_function Loss>
gradcheck_report check_gradient(
    const ctnn::parameters<Net, T>& p, const Loss& loss,
    ctnn::fixed_span<const T, Net::input_size> x, ctnn::fixed_span<const T, Net::output_size> t,
    const gradcheck_options& options = gradcheck_options::for_type<T>()) {
  auto pd = std::make_unique<ctnn::parameters<Net, double>>();
  std::vector<double> xd;
  std::array<double, Net::output_size> td{};
  std::copy(t.begin(), t.end(), td.begin());
  gradcheck_report r;
  detail::problem q = detail::make_problem<Net, T, Loss>(
      p, std::span<const T>(x), *pd, xd,
      [&](ctnn::gradient<Net, T>& g, std::span<T> dx) {
        return ctnn::loss_and_gradient<Arch>(p, loss, x, t, g,
                                             std::span<T, Net::input_size>(dx.data(), dx.size()));
      },
      r);
  q.cost = [&] {
    return static_cast<double>(ctnn::loss<Arch>(
        *pd, loss, std::span<const double, Net::input_size>(xd.data(), xd.size()), td));
  };
  detail::run(q, options, r);
  return r;
}

// A batch (n = x.size() / input_size samples, row-major): ctnn::loss_and_gradient_batch (mean
// loss, with ∇ₓC) against differences of ctnn::loss_batch in double. Tile is the workspace tile
// of both computations.
template <class Arch = ctnn::simd::default_arch, std::size_t Tile = 32, class Net, class T,
          ctnn::loss_function Loss>
gradcheck_report check_gradient_batch(
    const ctnn::parameters<Net, T>& p, const Loss& loss, ctnn::dynamic_span<const T> x,
    ctnn::dynamic_span<const T> t,
    const gradcheck_options& options = gradcheck_options::for_type<T>()) {
  auto pd = std::make_unique<ctnn::parameters<Net, double>>();
  auto ws = std::make_unique<ctnn::workspace<Net, T, Tile>>();
  auto wsd = std::make_unique<ctnn::workspace<Net, double, Tile>>();
  std::vector<double> xd;
  const std::vector<double> td(t.begin(), t.end());
  gradcheck_report r;
  detail::problem q = detail::make_problem<Net, T, Loss>(
      p, x, *pd, xd,
      [&](ctnn::gradient<Net, T>& g, std::span<T> dx) {
        return ctnn::loss_and_gradient_batch<Arch>(p, loss, x, t, g, *ws, dx);
      },
      r);
  q.cost = [&] {
    return static_cast<double>(ctnn::loss_batch<Arch>(*pd, loss, std::span<const double>(xd),
                                                      std::span<const double>(td), *wsd));
  };
  detail::run(q, options, r);
  r.batch = true;
  return r;
}

// ---- random problems for the law ------------------------------------------------------------

// splitmix64: tiny, constexpr, and the same sequence everywhere.
struct random_stream {
  std::uint64_t state;
  constexpr explicit random_stream(std::uint64_t seed) : state(seed) {}
  constexpr std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  constexpr double uniform01() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  constexpr double uniform(double low, double high) { return low + (high - low) * uniform01(); }
  constexpr std::size_t below(std::size_t bound) {
    return static_cast<std::size_t>(next() % bound);
  }
};

// Weights as ctnn::initialize draws them (so activations see realistic pre-activations), and
// biases uniform in ±0.5 rather than 0 (a zero bias and a zero input would put z exactly on a
// kink).
template <class Net, class T>
std::unique_ptr<ctnn::parameters<Net, T>> random_parameters(std::uint64_t seed) {
  auto p = std::make_unique<ctnn::parameters<Net, T>>();
  ctnn::initialize(*p, seed);
  random_stream rng(seed ^ 0x5eedb1a5ull);
  for_each_index<Net::stage_count>([&]<std::size_t K>() {
    for (auto& b : p->template layer<K>().biases()) b = static_cast<T>(rng.uniform(-0.5, 0.5));
  });
  return p;
}

template <class T>
std::vector<T> random_values(std::size_t count, std::uint64_t seed, double low = -1.5,
                             double high = 1.5) {
  random_stream rng(seed);
  std::vector<T> v(count);
  for (auto& e : v) e = static_cast<T>(rng.uniform(low, high));
  return v;
}

// Targets that suit the loss, `samples` rows of `width`: any real values for squared_error,
// probabilities for binary_cross_entropy, probability vectors (soft labels) for
// softmax_cross_entropy.
template <class Loss, class T>
std::vector<T> random_targets(std::size_t samples, std::size_t width, std::uint64_t seed) {
  random_stream rng(seed);
  std::vector<T> t(samples * width);
  if constexpr (std::is_same_v<Loss, ctnn::softmax_cross_entropy>) {
    for (std::size_t s = 0; s < samples; ++s) {
      double total = 0;
      std::vector<double> w(width);
      for (auto& v : w) total += (v = rng.uniform(0.05, 1.0));
      for (std::size_t k = 0; k < width; ++k) t[s * width + k] = static_cast<T>(w[k] / total);
    }
  } else if constexpr (std::is_same_v<Loss, ctnn::binary_cross_entropy>) {
    for (auto& v : t) v = static_cast<T>(rng.uniform(0.0, 1.0));
  } else {
    for (auto& v : t) v = static_cast<T>(rng.uniform(-1.0, 1.0));
  }
  return t;
}

}  // namespace laws
