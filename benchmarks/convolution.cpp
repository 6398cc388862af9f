// LeNet-5's two convolutions as ctnn graphs whose output is the conv2d node, against a
// hand-written im2col + Eigen GEMM convolution:
//   conv1  1×28×28 → 6 channels, kernel 5, padding 2 (→ 6×28×28)
//   conv2  6×14×14 → 16 channels, kernel 5           (→ 16×10×10)
// Cases, for each: the forward pass of one sample (ctnn::forward from the parameters),
// forward_batch at 64, and a training step at 64 on one thread and on two (ctnn::thread_pool).
//
// The training step: the mean over the batch of ½‖y − t‖² (op::squared_error on the conv
// output), its gradient ∂W, ∂b AND the input gradient δx = Wᵀ ⋆ δy (the adjoint a conv needs
// when something is before it, as conv2 has pool1 in LeNet), then SGD p −= lr·g. ctnn:
// loss_and_gradient_batch with an input_gradient buffer, then sgd::step (the fused
// train_step_batch of mlp_batch.cpp / residual.cpp has no input gradient to ask for, and
// without one a conv on a graph input skips δx: Eigen would do a third product ctnn does not).
// Eigen: forward, δ, ∂W = δ·colsᵀ, ∂b = Σδ, δcols = Wᵀ·δ then col2im, then the update.
//
// Eigen baseline: W is Out × C·K·K row-major, ctnn's (and PyTorch's) Out×C×KH×KW block as it
// is. One sample: cols (C·K·K × OH·OW, row-major: one row per kernel tap, one column per output
// position) from im2col, then y = W·cols + b, written straight into the CHW output (Out × OH·OW
// row-major is that layout). A batch runs sample by sample (forward; training: forward,
// δ = (y − t)/n, ∂W += δ·colsᵀ, ∂b += Σδ, δcols = Wᵀ·δ, col2im), the patches still in cache for
// the three products. Every buffer is sized before the timed loops; Eigen is held to 1 thread.
//
// The 2-thread Eigen twin (eigen/) cuts the batch in halves as ctnn's pool does, and runs the
// one-thread code on each half on an OpenMP thread, then adds the partial gradients. The kind of
// twin mlp_threads.cpp has, Eigen's own threaded products (Eigen::setNbThreads(2)), is measured
// too, as eigen-threaded-gemm/ (bench_report.py: vs_eigen_threaded_gemm): with the batch's
// patches side by side (C·K·K × n·OH·OW) so that the forward pass, ∂W and δcols are one GEMM each
// over the whole batch, it is slower on 2 threads than the one-thread twin (conv1 2.5 against
// 1.5 ms, conv2 3.3 against 1.6 ms: products of 6 or 16 rows split badly), so it is no fair twin.
//
// FLOPs (the performance model): ctnn::cost_model of the graph, i.e. the op's forward_flops
// (2·Out·C·K·K·OH·OW + Out·OH·OW for the bias) per sample, its vjp_flops (∂W, ∂b) and
// input_vjp_flops (δx) for training, plus 2 per parameter for the update.

#include <Eigen/Dense>
#include <omp.h>
#include <algorithm>
#include <array>
#include <cstddef>
#include <ctnn/ctnn.hpp>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "common.hpp"

namespace {

namespace op = ctnn::op;

// ---- the two shapes ---------------------------------------------------------------------------
struct conv1 {
  using x = op::input<"x", 1, 28, 28>;
  using y = op::conv2d<"c1", 6, op::kernel<5>, x, op::padding<2>>;
  static constexpr int channels = 1, height = 28, width = 28, out_channels = 6, kernel = 5,
                       padding = 2;
  static constexpr std::string_view name = "conv1-1x28x28-6c-k5-p2";
};
struct conv2 {
  using x = op::input<"x", 6, 14, 14>;
  using y = op::conv2d<"c2", 16, op::kernel<5>, x>;
  static constexpr int channels = 6, height = 14, width = 14, out_channels = 16, kernel = 5,
                       padding = 0;
  static constexpr std::string_view name = "conv2-6x14x14-16c-k5";
};

constexpr std::size_t batch = 64;
constexpr std::size_t data_rows = 256;  // successive steps take successive batches
constexpr float learning_rate = 1e-3f;
constexpr std::size_t threads = 2;

template <class S>
struct shape_of {
  using net = ctnn::graph<ctnn::inputs<typename S::x>, ctnn::outputs<typename S::y>,
                          ctnn::objective<op::squared_error<typename S::y>>>;
  using cost = ctnn::cost_model<net, float>;
  static constexpr int C = S::channels, H = S::height, W = S::width, Out = S::out_channels,
                       K = S::kernel, pad = S::padding;
  static constexpr int OH = H + 2 * pad - K + 1, OW = W + 2 * pad - K + 1;
  static constexpr int positions = OH * OW, taps = C * K * K;
  static constexpr std::size_t in = std::size_t(C) * H * W, out = std::size_t(Out) * positions;
  // The hand-written geometry is the op's.
  static_assert(std::is_same_v<ctnn::core::shape_of<typename S::y>, ctnn::shape<Out, OH, OW>>);
  static_assert(net::block_count == 2 && net::layout::offset[1] == std::size_t(Out) * taps &&
                net::layout::offset[2] == std::size_t(Out) * taps + Out);  // W, then b
  // Per sample: conv MACs = Out·C·K·K·OH·OW, 2 FLOPs each, each of the three products.
  static constexpr double macs = double(Out) * taps * positions;
  static_assert(cost::forward_flops == 2 * std::size_t(macs) + out);
  static_assert(cost::gradient_flops == 2 * (2 * std::size_t(macs) + out));  // forward, ∂W and ∂b
  static_assert(cost::input_gradient_flops == 2 * std::size_t(macs));          // δx
  static double forward_flops() { return cost::forward_flops; }
  static double train_flops(std::size_t n) {
    return double(n) * double(cost::gradient_flops + cost::input_gradient_flops) +
           2.0 * net::parameter_count;
  }
};

// ---- the Eigen baseline -----------------------------------------------------------------------
template <class S>
struct eigen_conv {
  using G = shape_of<S>;
  using row_major = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using map = Eigen::Map<row_major>;
  using const_map = Eigen::Map<const row_major>;
  static constexpr int C = G::C, H = G::H, W = G::W, Out = G::Out, K = G::K, pad = G::pad,
                       OH = G::OH, OW = G::OW, P = G::positions, taps = G::taps;

  row_major w, gw;  // Out × taps
  Eigen::VectorXf b, gb;
  // One sample at a time: its patches (taps × P), its δ (Out × P), the patches' adjoint.
  row_major cols1, delta1, dcols1;
  // The whole batch side by side: patches and their adjoint (taps × n·P), outputs then δ
  // (Out × n·P).
  row_major cols, dcols, y_all;
  Eigen::Index n = 0;

  explicit eigen_conv(const ctnn::parameters<typename G::net, float>& p) {
    w = const_map(p.data(), Out, taps);
    b = Eigen::Map<const Eigen::VectorXf>(p.data() + Out * taps, Out);
    gw.resize(Out, taps);
    gb.resize(Out);
    cols1.resize(taps, P);
    delta1.resize(Out, P);
    dcols1.resize(taps, P);
  }

  // Sizes the buffers of a batch of batch_size samples (outside the timed loops); whole_batch:
  // also those of loss_and_gradient_whole_batch.
  void reserve(Eigen::Index batch_size, bool whole_batch = false) {
    n = batch_size;
    if (whole_batch) {
      cols.resize(taps, n * P);
      dcols.resize(taps, n * P);
      y_all.resize(Out, n * P);
    }
  }

  // The patches of one CHW sample into a taps × P block whose rows are `stride` floats apart:
  // row (c, p, q), column oh·OW + ow = x[c, oh + p − pad, ow + q − pad], 0 in the padding.
  static void im2col(const float* x, float* c, Eigen::Index stride) {
    for (int ch = 0; ch < C; ++ch)
      for (int p = 0; p < K; ++p)
        for (int q = 0; q < K; ++q) {
          float* row = c + ((ch * K + p) * K + q) * stride;
          // the output columns whose input column ow + q − pad is inside the image
          const int lo = std::max(0, pad - q), hi = std::min(OW, W + pad - q);
          for (int oh = 0; oh < OH; ++oh) {
            float* d = row + oh * OW;
            const int ih = oh + p - pad;
            if (ih < 0 || ih >= H) {
              std::fill(d, d + OW, 0.0f);
              continue;
            }
            const float* s = x + (ch * H + ih) * W + (q - pad);
            std::fill(d, d + lo, 0.0f);
            std::copy(s + lo, s + hi, d + lo);
            std::fill(d + hi, d + OW, 0.0f);
          }
        }
  }

  // The adjoint of im2col: each patch value's adjoint added to the input position it came from
  // (dx zeroed first).
  static void col2im(const float* c, Eigen::Index stride, float* dx) {
    std::fill(dx, dx + C * H * W, 0.0f);
    for (int ch = 0; ch < C; ++ch)
      for (int p = 0; p < K; ++p)
        for (int q = 0; q < K; ++q) {
          const float* row = c + ((ch * K + p) * K + q) * stride;
          const int lo = std::max(0, pad - q), hi = std::min(OW, W + pad - q);
          for (int oh = 0; oh < OH; ++oh) {
            const int ih = oh + p - pad;
            if (ih < 0 || ih >= H) continue;
            const float* s = row + oh * OW;
            float* d = dx + (ch * H + ih) * W + (q - pad);
            for (int ow = lo; ow < hi; ++ow) d[ow] += s[ow];
          }
        }
  }

  // ---- one sample: y (CHW) = W·cols + b ----
  void forward(const float* x, float* y) {
    im2col(x, cols1.data(), P);
    map ys(y, Out, P);
    ys.noalias() = w * cols1;
    ys.colwise() += b;
  }

  // ---- a batch of n (reserve(n) first), sample by sample ----
  void forward_batch(const float* x, float* y) {
    for (Eigen::Index s = 0; s < n; ++s) forward(x + s * G::in, y + s * G::out);
  }

  // Mean of ½‖y − t‖² over the batch; gw, gb its gradient, dx (n CHW rows) its input gradient.
  float loss_and_gradient_batch(const float* x, const float* t, float* dx) {
    return static_cast<float>(gradient_rows(x, t, dx, n, 1.0f / static_cast<float>(n)) /
                              static_cast<double>(n));
  }

  // Rows x, t of `rows` samples, sample by sample (the patches stay in cache from the forward
  // product to ∂W and δcols): gw, gb = the gradient of scale·Σ½‖y − t‖², dx its input gradient;
  // returns Σ½‖y − t‖². Sample by sample is faster on one thread than the whole-batch form below
  // (conv1 1.66 against 2.30 ms, conv2 1.89 against 2.09 ms, one run, g++ -O3, AVX-512), as the
  // sample-by-sample forward_batch is (0.57 against 0.63 ms, 0.73 against 0.75 ms).
  double gradient_rows(const float* x, const float* t, float* dx, Eigen::Index rows, float scale) {
    double loss = 0;
    gw.setZero();
    gb.setZero();
    for (Eigen::Index s = 0; s < rows; ++s) {
      im2col(x + s * G::in, cols1.data(), P);
      delta1.noalias() = w * cols1;
      delta1 = (delta1.colwise() + b) - const_map(t + s * G::out, Out, P);
      loss += static_cast<double>(delta1.squaredNorm());
      delta1 *= scale;
      gw.noalias() += delta1 * cols1.transpose();
      gb += delta1.rowwise().sum();
      dcols1.noalias() = w.transpose() * delta1;
      col2im(dcols1.data(), P, dx + s * G::in);
    }
    return 0.5 * loss;
  }

  // The same as three GEMMs over the whole batch (reserve(n, true) first): the products are
  // large enough for Eigen to split them over its threads (eigen-threaded-gemm/; sample by
  // sample, each small product pays OpenMP's fork and join, and 2 threads ran 50-100 times
  // slower).
  float loss_and_gradient_whole_batch(const float* x, const float* t, float* dx) {
    for (Eigen::Index s = 0; s < n; ++s) im2col(x + s * G::in, cols.data() + s * P, n * P);
    y_all.noalias() = w * cols;
    const float scale = 1.0f / static_cast<float>(n);
    double loss = 0;
    for (Eigen::Index s = 0; s < n; ++s) {
      auto e = y_all.middleCols(s * P, P);
      e = (e.colwise() + b) - const_map(t + s * G::out, Out, P);
      loss += static_cast<double>(e.squaredNorm());
      e *= scale;  // δ
    }
    gw.noalias() = y_all * cols.transpose();
    gb = y_all.rowwise().sum();
    dcols.noalias() = w.transpose() * y_all;
    for (Eigen::Index s = 0; s < n; ++s) col2im(dcols.data() + s * P, n * P, dx + s * G::in);
    return static_cast<float>(0.5 * loss / static_cast<double>(n));
  }

  void sgd_step(float lr) {
    w -= lr * gw;
    b -= lr * gb;
  }

  // In ctnn's layout (W, then b), for the start-up checks.
  static std::vector<float> flat(const row_major& wa, const Eigen::VectorXf& ba) {
    std::vector<float> v(std::size_t(Out) * taps + Out);
    map(v.data(), Out, taps) = wa;
    Eigen::Map<Eigen::VectorXf>(v.data() + Out * taps, Out) = ba;
    return v;
  }
  std::vector<float> flat_parameters() const { return flat(w, b); }
  std::vector<float> flat_gradient() const { return flat(gw, gb); }
};

// The 2-thread Eigen twin: the batch cut in two halves, as ctnn's pool cuts it, each thread running
// the one-thread code above on its half (OpenMP), the two partial gradients then added and the
// update made. (Eigen's own threaded products, mlp_threads.cpp's way, are the case
// eigen-threaded-gemm/: slower on 2 threads than on 1, here, as its products are small.)
template <class S>
struct eigen_conv_data_parallel {
  // part[0] holds the parameters the update changes; part[1] thread 1's buffers and a copy.
  std::array<eigen_conv<S>, 2> part;
  int threads_seen = 0;  // how many threads the last step ran on

  explicit eigen_conv_data_parallel(const ctnn::parameters<typename shape_of<S>::net, float>& p)
      : part{eigen_conv<S>(p), eigen_conv<S>(p)} {}

  float loss_and_gradient_batch(const float* x, const float* t, float* dx, Eigen::Index n) {
    const Eigen::Index half = (n + 1) / 2;
    const float scale = 1.0f / static_cast<float>(n);
    double loss[2] = {0, 0};
    int seen = 0;
#pragma omp parallel num_threads(2) reduction(+ : seen)
    {
      const int k = omp_get_thread_num();
      const Eigen::Index first = k == 0 ? 0 : half, rows = k == 0 ? half : n - half;
      loss[k] = part[k].gradient_rows(x + first * shape_of<S>::in, t + first * shape_of<S>::out,
                                      dx + first * shape_of<S>::in, rows, scale);
      seen = 1;
    }
    threads_seen = seen;
    part[0].gw += part[1].gw;
    part[0].gb += part[1].gb;
    return static_cast<float>((loss[0] + loss[1]) / static_cast<double>(n));
  }

  void sgd_step(float lr) {
    part[0].sgd_step(lr);
    part[1].w = part[0].w;
    part[1].b = part[0].b;
  }
  std::vector<float> flat_parameters() const { return part[0].flat_parameters(); }
  std::vector<float> flat_gradient() const { return part[0].flat_gradient(); }
};

// ---- shared setup -----------------------------------------------------------------------------

// Eigen on 1 thread everywhere but in the 2-thread cases (as mlp_threads.cpp; said here too, so
// the one-thread baselines below do not depend on that file being built).
const bool eigen_one_thread = [] {
  Eigen::setNbThreads(1);
  return true;
}();

struct eigen_threads {
  explicit eigen_threads(int k) { Eigen::setNbThreads(k); }
  ~eigen_threads() { Eigen::setNbThreads(1); }
  eigen_threads(const eigen_threads&) = delete;
  eigen_threads& operator=(const eigen_threads&) = delete;
};

// Both sides start from these: seeded parameters (He-initialised W, and a small random bias so
// that ∂b and the bias add are checked on non-zero values), data_rows inputs in [0, 1) and
// targets in [−1, 1).
template <class S>
struct setup {
  using G = shape_of<S>;
  using net = typename G::net;
  ctnn::parameters<net, float> p;
  ctnn::gradient<net, float> g;
  std::vector<float> x = bench::uniform(data_rows * G::in, 0, 1, 41);
  std::vector<float> t = bench::uniform(data_rows * G::out, -1, 1, 43);
  std::vector<float> dx = std::vector<float>(batch * G::in);
  setup() {
    ctnn::initialize(p, 9);
    const auto bias = bench::uniform(G::Out, -0.1f, 0.1f, 47);
    std::copy(bias.begin(), bias.end(), p.data() + net::layout::offset[1]);
  }
  std::span<const float> xs(std::size_t row, std::size_t n) const {
    return {x.data() + row * G::in, n * G::in};
  }
  std::span<const float> ts(std::size_t row, std::size_t n) const {
    return {t.data() + row * G::out, n * G::out};
  }
  std::span<const float, G::in> sample(std::size_t row) const {
    return std::span<const float, G::in>(x.data() + row * G::in, G::in);
  }
};

template <class S>
using workspace = ctnn::workspace<typename shape_of<S>::net, float>;
template <class S>
using parallel_workspace = ctnn::parallel_workspace<typename shape_of<S>::net, float>;
template <class S>
using optimizer = ctnn::sgd<typename shape_of<S>::net, float>;

template <class S>
float ctnn_train_step(setup<S>& s, optimizer<S>& opt, workspace<S>& ws, std::size_t row) {
  const float loss =
      ctnn::loss_and_gradient_batch(s.p, s.xs(row, batch), s.ts(row, batch), s.g, ws, s.dx);
  opt.step(s.p, s.g, learning_rate);
  return loss;
}

template <class S>
float ctnn_train_step(ctnn::thread_pool& pool, setup<S>& s, optimizer<S>& opt,
                      parallel_workspace<S>& pws, std::size_t row) {
  const float loss = ctnn::loss_and_gradient_batch(pool, s.p, s.xs(row, batch), s.ts(row, batch),
                                                   s.g, pws, s.dx);
  opt.step(s.p, s.g, learning_rate);
  return loss;
}

// The Eigen side of a training case: one thread (sample by sample), two threads over the two
// halves of the batch (the eigen/ twin of the 2-thread case), or the whole-batch GEMMs on Eigen's
// two threads (eigen-threaded-gemm/).
enum class eigen_form { one_thread, data_parallel, threaded_gemm };

template <class S>
struct eigen_trainer {
  eigen_form form;
  std::unique_ptr<eigen_conv<S>> one;                     // one_thread, threaded_gemm
  std::unique_ptr<eigen_conv_data_parallel<S>> parallel;  // data_parallel

  eigen_trainer(eigen_form f, const setup<S>& s) : form(f) {
    if (form == eigen_form::data_parallel) {
      parallel = std::make_unique<eigen_conv_data_parallel<S>>(s.p);
    } else {
      one = std::make_unique<eigen_conv<S>>(s.p);
      one->reserve(batch, form == eigen_form::threaded_gemm);
    }
  }

  float step(setup<S>& s, std::size_t row) {
    const float* x = s.xs(row, batch).data();
    const float* t = s.ts(row, batch).data();
    float loss;
    switch (form) {
      case eigen_form::data_parallel:
        loss = parallel->loss_and_gradient_batch(x, t, s.dx.data(), batch);
        parallel->sgd_step(learning_rate);
        return loss;
      case eigen_form::threaded_gemm:
        loss = one->loss_and_gradient_whole_batch(x, t, s.dx.data());
        break;
      default:
        loss = one->loss_and_gradient_batch(x, t, s.dx.data());
    }
    one->sgd_step(learning_rate);
    return loss;
  }
  std::vector<float> flat_parameters() const {
    return parallel ? parallel->flat_parameters() : one->flat_parameters();
  }
  std::vector<float> flat_gradient() const {
    return parallel ? parallel->flat_gradient() : one->flat_gradient();
  }
};

// ---- agreement checks -------------------------------------------------------------------------

template <class S>
bool check_forward() {
  auto s = std::make_unique<setup<S>>();
  eigen_conv<S> e(s->p);
  std::vector<float> y(shape_of<S>::out), ey(shape_of<S>::out);
  ctnn::forward(s->p, s->sample(0), std::span<float, shape_of<S>::out>(y));
  e.forward(s->x.data(), ey.data());
  return bench::close("output", y, ey);
}

template <class S>
bool check_forward_batch() {
  auto s = std::make_unique<setup<S>>();
  auto ws = std::make_unique<workspace<S>>();
  eigen_conv<S> e(s->p);
  e.reserve(batch);
  std::vector<float> y(batch * shape_of<S>::out), ey(batch * shape_of<S>::out);
  ctnn::forward_batch(s->p, s->xs(0, batch), y, *ws);
  e.forward_batch(s->x.data(), ey.data());
  return bench::close("outputs", y, ey);
}

// The loss, gradient and input gradient of one step, and the parameters after it: ctnn on one
// thread or on a pool of 2, against the Eigen form of the same case.
template <class S>
bool check_train(eigen_form form) {
  const std::size_t k = form == eigen_form::one_thread ? 1 : threads;
  auto s = std::make_unique<setup<S>>();
  auto es = std::make_unique<setup<S>>();
  eigen_trainer<S> e(form, *es);
  optimizer<S> opt;
  float loss;
  if (k == 1) {
    auto ws = std::make_unique<workspace<S>>();
    loss = ctnn_train_step(*s, opt, *ws, 0);
  } else {
    ctnn::thread_pool pool(k);
    auto pws = std::make_unique<parallel_workspace<S>>(pool);
    loss = ctnn_train_step(pool, *s, opt, *pws, 0);
  }
  bool ok = true;
  float eloss;
  if (form == eigen_form::threaded_gemm) {
    // Eigen must really run on 2 threads, or this twin would measure one.
    const eigen_threads two(static_cast<int>(threads));
    ok = Eigen::nbThreads() == static_cast<int>(threads);
    if (!ok) std::fprintf(stderr, "  Eigen runs on %d thread(s), not %zu: built without OpenMP?\n",
                          Eigen::nbThreads(), threads);
    eloss = e.step(*es, 0);
  } else {
    eloss = e.step(*es, 0);
    if (form == eigen_form::data_parallel && e.parallel->threads_seen != int(threads)) {
      std::fprintf(stderr, "  the OpenMP region ran on %d thread(s), not %zu\n",
                   e.parallel->threads_seen, threads);
      ok = false;
    }
  }
  ok &= bench::close("loss", loss, eloss);
  ok &= bench::close("gradient", s->g.flat(), e.flat_gradient());
  ok &= bench::close("input gradient", s->dx, es->dx);
  ok &= bench::close("parameters after the step", s->p.flat(), e.flat_parameters());
  return ok;
}

// ---- cases ------------------------------------------------------------------------------------

template <class S>
void ctnn_forward(benchmark::State& state) {
  auto s = std::make_unique<setup<S>>();
  std::array<float, shape_of<S>::out> y{};
  std::size_t row = 0;
  for (auto _ : state) {
    ctnn::forward(s->p, s->sample(row), y);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
    row = (row + 1) % data_rows;
  }
  bench::report(state, shape_of<S>::forward_flops(), 1);
}

template <class S>
void eigen_forward(benchmark::State& state) {
  auto s = std::make_unique<setup<S>>();
  eigen_conv<S> e(s->p);
  std::array<float, shape_of<S>::out> y{};
  std::size_t row = 0;
  for (auto _ : state) {
    e.forward(s->sample(row).data(), y.data());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
    row = (row + 1) % data_rows;
  }
  bench::report(state, shape_of<S>::forward_flops(), 1);
}

template <class S>
void ctnn_forward_batch(benchmark::State& state) {
  auto s = std::make_unique<setup<S>>();
  auto ws = std::make_unique<workspace<S>>();
  std::vector<float> y(batch * shape_of<S>::out);
  std::size_t row = 0;
  for (auto _ : state) {
    ctnn::forward_batch(s->p, s->xs(row, batch), y, *ws);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
    row = (row + batch) % data_rows;
  }
  bench::report(state, batch * shape_of<S>::forward_flops(), batch);
}

template <class S>
void eigen_forward_batch(benchmark::State& state) {
  auto s = std::make_unique<setup<S>>();
  eigen_conv<S> e(s->p);
  e.reserve(batch);
  std::vector<float> y(batch * shape_of<S>::out);
  std::size_t row = 0;
  for (auto _ : state) {
    e.forward_batch(s->xs(row, batch).data(), y.data());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
    row = (row + batch) % data_rows;
  }
  bench::report(state, batch * shape_of<S>::forward_flops(), batch);
}

template <class S>
void ctnn_train(benchmark::State& state) {
  auto s = std::make_unique<setup<S>>();
  auto ws = std::make_unique<workspace<S>>();
  optimizer<S> opt;
  std::size_t row = 0;
  for (auto _ : state) {
    float loss = ctnn_train_step(*s, opt, *ws, row);
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
    row = (row + batch) % data_rows;
  }
  bench::report(state, shape_of<S>::train_flops(batch), batch);
}

template <class S>
void ctnn_train_threads(benchmark::State& state) {
  auto s = std::make_unique<setup<S>>();
  ctnn::thread_pool pool(threads);
  auto pws = std::make_unique<parallel_workspace<S>>(pool);
  optimizer<S> opt;
  std::size_t row = 0;
  for (auto _ : state) {
    float loss = ctnn_train_step(pool, *s, opt, *pws, row);
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
    row = (row + batch) % data_rows;
  }
  bench::report(state, shape_of<S>::train_flops(batch), batch);
}

template <class S>
void eigen_train(benchmark::State& state, eigen_form form) {
  auto s = std::make_unique<setup<S>>();
  eigen_trainer<S> e(form, *s);
  const eigen_threads k(form == eigen_form::threaded_gemm ? static_cast<int>(threads) : 1);
  std::size_t row = 0;
  for (auto _ : state) {
    float loss = e.step(*s, row);
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
    row = (row + batch) % data_rows;
  }
  bench::report(state, shape_of<S>::train_flops(batch), batch);
}

template <class S>
void register_cases() {
  static_assert(data_rows % batch == 0);
  const std::string shape(S::name);
  const auto both = [](const std::string& name, auto ctnn_case, auto eigen_case) {
    benchmark::RegisterBenchmark(("ctnn/" + name).c_str(), ctnn_case);
    benchmark::RegisterBenchmark(("eigen/" + name).c_str(), eigen_case);
  };
  const std::string f = "forward/" + shape;
  both(f, ctnn_forward<S>, eigen_forward<S>);
  bench::checks().emplace_back(f, check_forward<S>);

  const std::string fb = "forward_batch/" + shape + "/batch:" + std::to_string(batch);
  both(fb, ctnn_forward_batch<S>, eigen_forward_batch<S>);
  bench::checks().emplace_back(fb, check_forward_batch<S>);

  const std::string train = "train/" + shape + "/batch:" + std::to_string(batch) + "/threads:";
  benchmark::RegisterBenchmark(("ctnn/" + train + "1").c_str(), ctnn_train<S>);
  benchmark::RegisterBenchmark(("eigen/" + train + "1").c_str(), eigen_train<S>,
                               eigen_form::one_thread);
  bench::checks().emplace_back(train + "1", [] { return check_train<S>(eigen_form::one_thread); });

  // Wall-clock time on several threads (bench_report.py: vs_one_thread).
  const std::string tk = train + std::to_string(threads);
  benchmark::RegisterBenchmark(("ctnn/" + tk).c_str(), ctnn_train_threads<S>)->UseRealTime();
  benchmark::RegisterBenchmark(("eigen/" + tk).c_str(), eigen_train<S>, eigen_form::data_parallel)
      ->UseRealTime();
  bench::checks().emplace_back(tk, [] { return check_train<S>(eigen_form::data_parallel); });
  benchmark::RegisterBenchmark(("eigen-threaded-gemm/" + tk).c_str(), eigen_train<S>,
                               eigen_form::threaded_gemm)
      ->UseRealTime();
  bench::checks().emplace_back("eigen-threaded-gemm/" + tk,
                               [] { return check_train<S>(eigen_form::threaded_gemm); });
}

const bool registered = [] {
  register_cases<conv1>();
  register_cases<conv2>();
  return true;
}();

}  // namespace
