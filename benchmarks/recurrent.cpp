// Recurrent nets (nn/recurrent.hpp) against hand-written Eigen twins in PyTorch's gate order and
// parameter layout (gru.weight_ih_l0 3H×In with rows r, z, n; lstm.weight_ih_l0 4H×In with rows
// i, f, g, o; the hh matrices and both biases likewise), each filled from the same parameter
// blocks, found by name (Net::block_owner, Net::block_role, Net::layout::offset):
//
//   stream_step/<cell>-<In>-<H>   one step of streaming inference, ctnn::recurrent_stream::step
//                                 (the state updated in place, h returned), GRU and LSTM, In 16,
//                                 H 32 and 128; successive steps read successive inputs of a
//                                 256-step sequence. Eigen: fixed-size matrices and vectors in a
//                                 heap-allocated struct, gates = W_ih x + b_ih and W_hh h + b_hh
//                                 (the LSTM adds the two biases once, at load time), the cell's
//                                 equations as array expressions (logistic(), tanh()).
//   train/gru-rows-28x28-128-10/batch:64/threads:1|2
//                                 training steps of the row-by-row GRU of examples/fashion_gru.cpp
//                                 (28 steps of 28 pixels, hidden 128, its last h into dense 10,
//                                 softmax cross-entropy, mean over the batch) with SGD
//                                 p −= lr·g: ctnn's train_step_batch (BPTT generated from the
//                                 cell's graph, the update fused into it), on one thread and on a
//                                 ctnn::thread_pool of 2. Eigen: BPTT written by hand (below),
//                                 then the update; on 2 threads the batch is cut in halves as
//                                 ctnn's pool cuts it, each half on an OpenMP thread, and the
//                                 partial gradients are added before the update.
//
// ns_per_sample is per step (stream_step) or per sequence (train); the training cases also count
// sequences_per_second.
//
// Eigen's layout, chosen by measuring (g++ 12 -O3, AVX-512): column-major W everywhere (the
// row-major PyTorch layout as it is made the fixed-size GRU step 2.2× slower at H = 32 and 1.5×
// at H = 128: Eigen's row-major matrix-vector product is a dot product per row, reduced across
// lanes at the end of each). A fixed-size G×H W_hh (G = 3H or 4H) larger than Eigen's limit on
// fixed-size objects (EIGEN_STACK_ALLOCATION_LIMIT, 128 KiB, so at H = 128) is kept as one
// fixed-size block per gate, one product each, rather than raising the limit for this file only
// (the limit also decides where Eigen puts its temporaries; the binary's other files keep the
// default). At H = 128 the per-gate products are also the faster form: one product of the whole
// 3H×H matrix (the limit raised) took 2.3 µs per GRU step, the per-gate ones 1.6 µs.
//
// The training twin: column-major, one column per sample; the batch's inputs gathered once into
// time-major columns (step t of sample j at column t·n + j, so each step's block is contiguous),
// the input part of every step in one GEMM (W_ih X + b_ih for all T·n columns), then step by step
// W_hh h + b_hh (one GEMM of 3H × H × n) and the gates, keeping r, z, the candidate n,
// W_hn h + b_hn and every h for the backward pass. Backward through time: per step the gates' δ
// from δh, then δh_{t−1} = δh ⊙ z + W_hhᵀ δ(W_hh h + b_hh) (not at t = 0: h_0 = 0 is no parameter),
// the δ of both affine parts stored by step, and ∂W_ih, ∂W_hh as one GEMM each over all T·n columns
// at the end (cuDNN's order). ctnn keeps only the inputs and states by step and runs each step's
// forward pass again in the backward pass (ops/unroll.hpp); the FLOPs counted (and gflops) are the
// useful work, without that recomputation:
//   per sequence  T·(2·3H·In + 2·3H·H) forward, as much again for ∂W_ih and ∂W_hh,
//                 (T − 1)·2·3H·H for δh, 3·2·H·10 for the head; 2 per parameter for the update.

#include <Eigen/Dense>
#include <omp.h>
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdio>
#include <ctnn/ctnn.hpp>
#include <ctnn/nn/recurrent.hpp>
#include <ctnn/nn/recurrent_stream.hpp>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common.hpp"

namespace {

namespace op = ctnn::op;

// Eigen on 1 thread everywhere but in the 2-thread cases (as mlp_threads.cpp; said here too, so
// the one-thread baselines below do not depend on that file being built). The 2-thread twin below
// runs the one-thread code on two OpenMP threads.
const bool eigen_one_thread = [] {
  Eigen::setNbThreads(1);
  return true;
}();

// ---- parameter blocks by name ------------------------------------------------------------------

// Net's block owner.role (core::none when it has none).
template <class Net>
constexpr std::size_t block_index(std::string_view owner, std::string_view role) {
  for (std::size_t b = 0; b < Net::block_count; ++b)
    if (Net::block_owner(b) == owner && Net::block_role(b) == role) return b;
  return ctnn::core::none;
}

// Where the block owner.role of `size` values starts in Net's flat parameters; a block missing or
// of another size does not compile.
template <class Net, ctnn::name Owner, ctnn::name Role, std::size_t Size>
constexpr std::size_t block_at() {
  constexpr std::size_t b = block_index<Net>(Owner.view(), Role.view());
  static_assert(b != ctnn::core::none, "no parameter block of that name");
  static_assert(Net::layout::offset[b + 1] - Net::layout::offset[b] == Size);
  return Net::layout::offset[b];
}

using row_major = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// The rows × cols row-major block at `offset` of flat parameters, into any Eigen matrix.
template <class M>
void read_block(M& m, const float* flat, std::size_t offset, Eigen::Index rows, Eigen::Index cols) {
  m = Eigen::Map<const row_major>(flat + offset, rows, cols);
}
template <class M>
void write_block(const M& m, float* flat, std::size_t offset) {
  Eigen::Map<row_major>(flat + offset, m.rows(), m.cols()) = m;
}

// PyTorch-like initial values for every block, biases included (so that the bias paths are
// checked on non-zero values): uniform in ±1/√H.
template <class P>
void fill_uniform(P& p, std::size_t hidden, unsigned seed) {
  const float k = 1.0f / std::sqrt(static_cast<float>(hidden));
  const auto v = bench::uniform(p.size(), -k, k, seed);
  std::copy(v.begin(), v.end(), p.data());
}

// ---- streaming inference: one step --------------------------------------------------------------

constexpr int stream_in = 16;
constexpr std::size_t stream_steps = 256;  // the input sequence the steps cycle through

// W_hh (Gates·H × H, column-major): one fixed-size matrix, or one per gate when the whole would
// pass Eigen's limit on fixed-size objects.
template <int H, int Gates>
struct eigen_hh {
  static constexpr int G = Gates * H;
  static constexpr int blocks =
      std::size_t(G) * H * sizeof(float) <= EIGEN_STACK_ALLOCATION_LIMIT ? 1 : Gates;
  static constexpr int rows = G / blocks;
  std::array<Eigen::Matrix<float, rows, H>, blocks> w;

  void read(const float* flat, std::size_t offset) {
    for (int k = 0; k < blocks; ++k)
      read_block(w[k], flat, offset + std::size_t(k) * rows * H, rows, H);
  }
  // out = W_hh h, or out += W_hh h.
  template <bool Add, class Out>
  void times(const Eigen::Matrix<float, H, 1>& h, Out& out) const {
    for (int k = 0; k < blocks; ++k) {
      auto part = out.template segment<rows>(k * rows);
      if constexpr (Add)
        part.noalias() += w[k] * h;
      else
        part.noalias() = w[k] * h;
    }
  }
};

template <int In, int H>
struct eigen_gru_cell {
  static constexpr int G = 3 * H;
  using cell = ctnn::gru_cell<"gru", In, H>;
  using net = ctnn::cell_network<cell>;
  using vec = Eigen::Matrix<float, H, 1>;
  using gates = Eigen::Matrix<float, G, 1>;

  Eigen::Matrix<float, G, In> w_ih;
  eigen_hh<H, 3> w_hh;
  gates b_ih, b_hh;
  gates gi, gh;  // W_ih x + b_ih, W_hh h + b_hh
  vec h = vec::Zero();

  explicit eigen_gru_cell(const ctnn::parameters<net, float>& p) {
    const float* f = p.data();
    read_block(w_ih, f, block_at<net, "gru", "weight_ih_l0", G * In>(), G, In);
    w_hh.read(f, block_at<net, "gru", "weight_hh_l0", G * H>());
    b_ih = Eigen::Map<const gates>(f + block_at<net, "gru", "bias_ih_l0", G>());
    b_hh = Eigen::Map<const gates>(f + block_at<net, "gru", "bias_hh_l0", G>());
  }

  // h ← GRU(x, h)
  const vec& step(const float* x) {
    gi.noalias() = w_ih * Eigen::Map<const Eigen::Matrix<float, In, 1>>(x);
    gi += b_ih;
    w_hh.template times<false>(h, gh);
    gh += b_hh;
    const auto r = (gi.template head<H>() + gh.template head<H>()).array().logistic();
    const auto z = (gi.template segment<H>(H) + gh.template segment<H>(H)).array().logistic();
    const Eigen::Array<float, H, 1> n =
        (gi.template tail<H>().array() + r * gh.template tail<H>().array()).tanh();
    h = (n + z * (h.array() - n)).matrix();  // (1 − z) ⊙ n + z ⊙ h
    return h;
  }
  std::vector<float> state() const { return {h.data(), h.data() + H}; }
};

template <int In, int H>
struct eigen_lstm_cell {
  static constexpr int G = 4 * H;
  using cell = ctnn::lstm_cell<"lstm", In, H>;
  using net = ctnn::cell_network<cell>;
  using vec = Eigen::Matrix<float, H, 1>;
  using gates = Eigen::Matrix<float, G, 1>;

  Eigen::Matrix<float, G, In> w_ih;
  eigen_hh<H, 4> w_hh;
  gates b;  // b_ih + b_hh
  gates g;  // W_ih x + W_hh h + b
  vec h = vec::Zero(), c = vec::Zero();

  explicit eigen_lstm_cell(const ctnn::parameters<net, float>& p) {
    const float* f = p.data();
    read_block(w_ih, f, block_at<net, "lstm", "weight_ih_l0", G * In>(), G, In);
    w_hh.read(f, block_at<net, "lstm", "weight_hh_l0", G * H>());
    b = Eigen::Map<const gates>(f + block_at<net, "lstm", "bias_ih_l0", G>()) +
        Eigen::Map<const gates>(f + block_at<net, "lstm", "bias_hh_l0", G>());
  }

  // [h, c] ← LSTM(x, [h, c]); returns h.
  const vec& step(const float* x) {
    g.noalias() = w_ih * Eigen::Map<const Eigen::Matrix<float, In, 1>>(x);
    w_hh.template times<true>(h, g);
    g += b;
    const auto a = g.array();
    c = (a.template segment<H>(H).logistic() * c.array() +
         a.template head<H>().logistic() * a.template segment<H>(2 * H).tanh())
            .matrix();
    h = (a.template tail<H>().logistic() * c.array().tanh()).matrix();
    return h;
  }
  std::vector<float> state() const {
    std::vector<float> s(h.data(), h.data() + H);
    s.insert(s.end(), c.data(), c.data() + H);
    return s;
  }
};

// Both sides of a stream case start from these: seeded parameters (the cell's net) and a
// sequence of stream_steps inputs in [−1, 1).
template <class Eigen_cell>
struct stream_setup {
  using cell = typename Eigen_cell::cell;
  using net = typename Eigen_cell::net;
  static constexpr int In = static_cast<int>(cell::input_size);
  static constexpr std::size_t H = cell::hidden_size;
  ctnn::parameters<net, float> p;
  std::vector<float> x = bench::uniform(stream_steps * In, -1, 1, 51);
  stream_setup() { fill_uniform(p, H, 53); }
  std::span<const float, In> input(std::size_t k) const {
    return std::span<const float, In>(x.data() + k * In, In);
  }
};

template <class Eigen_cell>
double stream_flops() {
  using cell = typename Eigen_cell::cell;
  return 2.0 * Eigen_cell::G * double(cell::input_size + cell::hidden_size);
}

// Every h of 2·stream_steps steps from the zero state, then the whole final state.
template <class Eigen_cell>
bool check_stream() {
  using S = stream_setup<Eigen_cell>;
  auto s = std::make_unique<S>();
  auto stream = std::make_unique<ctnn::recurrent_stream<typename S::cell, float>>(s->p);
  auto e = std::make_unique<Eigen_cell>(s->p);
  std::vector<float> hs, ehs;
  for (std::size_t k = 0; k < 2 * stream_steps; ++k) {
    const auto h = stream->step(s->input(k % stream_steps));
    hs.insert(hs.end(), h.begin(), h.end());
    const auto& eh = e->step(s->input(k % stream_steps).data());
    ehs.insert(ehs.end(), eh.data(), eh.data() + eh.size());
  }
  bool ok = bench::close("h of every step", hs, ehs);
  const auto st = stream->state();
  ok &= bench::close("final state", std::vector<float>(st.begin(), st.end()), e->state());
  return ok;
}

template <class Eigen_cell>
void ctnn_stream_step(benchmark::State& state) {
  using S = stream_setup<Eigen_cell>;
  auto s = std::make_unique<S>();
  auto stream = std::make_unique<ctnn::recurrent_stream<typename S::cell, float>>(s->p);
  std::size_t k = 0;
  for (auto _ : state) {
    const auto h = stream->step(s->input(k));
    benchmark::DoNotOptimize(h.data());
    benchmark::ClobberMemory();
    k = (k + 1) % stream_steps;
  }
  bench::report(state, stream_flops<Eigen_cell>(), 1);
}

template <class Eigen_cell>
void eigen_stream_step(benchmark::State& state) {
  using S = stream_setup<Eigen_cell>;
  auto s = std::make_unique<S>();
  auto e = std::make_unique<Eigen_cell>(s->p);
  std::size_t k = 0;
  for (auto _ : state) {
    const auto& h = e->step(s->input(k).data());
    benchmark::DoNotOptimize(h.data());
    benchmark::ClobberMemory();
    k = (k + 1) % stream_steps;
  }
  bench::report(state, stream_flops<Eigen_cell>(), 1);
}

template <class Eigen_cell>
void register_stream(const char* kind) {
  const std::string name = std::string("stream_step/") + kind + "-" +
                           std::to_string(Eigen_cell::cell::input_size) + "-" +
                           std::to_string(Eigen_cell::cell::hidden_size);
  benchmark::RegisterBenchmark(("ctnn/" + name).c_str(), ctnn_stream_step<Eigen_cell>);
  benchmark::RegisterBenchmark(("eigen/" + name).c_str(), eigen_stream_step<Eigen_cell>);
  bench::checks().emplace_back(name, check_stream<Eigen_cell>);
}

// ---- training: the row-by-row GRU of examples/fashion_gru.cpp -----------------------------------

namespace gru_rows {

constexpr int steps = 28, in = 28, hidden = 128, out = 10, G = 3 * hidden;
constexpr std::size_t batch = 64;
constexpr std::size_t data_rows = 256;  // successive steps take successive batches
constexpr std::size_t threads = 2;
constexpr float learning_rate = 1e-3f;

using rows = op::input<"x", steps, in>;  // 28 steps of 28 pixels
using layer = ctnn::recurrent<ctnn::gru_cell<"gru", in, hidden>, steps, rows>;
using logits = op::dense<"fc", out, ctnn::last_hidden<layer>>;
using net = ctnn::graph<ctnn::inputs<rows>, ctnn::outputs<logits>,
                        ctnn::objective<op::softmax_cross_entropy<logits>>>;
inline std::string shape() { return "gru-rows-28x28-128-10"; }

constexpr std::size_t at_w_ih = block_at<net, "gru", "weight_ih_l0", G * in>();
constexpr std::size_t at_w_hh = block_at<net, "gru", "weight_hh_l0", G * hidden>();
constexpr std::size_t at_b_ih = block_at<net, "gru", "bias_ih_l0", G>();
constexpr std::size_t at_b_hh = block_at<net, "gru", "bias_hh_l0", G>();
constexpr std::size_t at_w_fc = block_at<net, "fc", "weight", out * hidden>();
constexpr std::size_t at_b_fc = block_at<net, "fc", "bias", out>();
static_assert(net::parameter_count == std::size_t(G) * (in + hidden + 2) + out * (hidden + 1));

inline double train_flops(std::size_t n) {
  const double cell = 2.0 * G * (in + hidden);  // one step's forward products
  const double per_sequence =
      steps * 2 * cell + (steps - 1) * 2.0 * G * hidden + 3 * 2.0 * hidden * out;
  return double(n) * per_sequence + 2.0 * net::parameter_count;
}

// The Eigen twin: see the top of the file.
struct eigen_gru_rows {
  using matrix = Eigen::MatrixXf;  // column-major
  using vector = Eigen::VectorXf;
  static constexpr int H = hidden, T = steps;

  matrix w_ih, w_hh, w_fc, gw_ih, gw_hh, gw_fc;
  vector b_ih, b_hh, b_fc, gb_ih, gb_hh, gb_fc;
  Eigen::Index n = 0;
  // Forward (time-major: step t's n columns from column t·n): the inputs (In × T·n), their part
  // W_ih x + b_ih (G × T·n), h_0 .. h_T (H × (T+1)·n), r, z, the candidate and W_hn h + b_hn
  // (H × T·n each); W_hh h + b_hh of the step (G × n); the logits (out × n), then their δ.
  matrix xs, gi, hs, r, z, cand, hn, gh, y;
  Eigen::RowVectorXf col_max, col_sum, target_mass;
  // Backward: δ of W_ih x + b_ih and of W_hh h + b_hh by step (G × T·n), δh (H × n).
  matrix dgi, dgh, dh;

  explicit eigen_gru_rows(const ctnn::parameters<net, float>& p) {
    const float* f = p.data();
    read_block(w_ih, f, at_w_ih, G, in);
    read_block(w_hh, f, at_w_hh, G, H);
    read_block(w_fc, f, at_w_fc, out, H);
    b_ih = Eigen::Map<const vector>(f + at_b_ih, G);
    b_hh = Eigen::Map<const vector>(f + at_b_hh, G);
    b_fc = Eigen::Map<const vector>(f + at_b_fc, out);
    gw_ih.resize(G, in), gw_hh.resize(G, H), gw_fc.resize(out, H);
    gb_ih.resize(G), gb_hh.resize(G), gb_fc.resize(out);
  }

  // Sizes the buffers for `rows` samples (outside the timed loops).
  void reserve(Eigen::Index rows) {
    n = rows;
    xs.resize(in, T * n), gi.resize(G, T * n), hs.resize(H, (T + 1) * n);
    r.resize(H, T * n), z.resize(H, T * n), cand.resize(H, T * n), hn.resize(H, T * n);
    gh.resize(G, n), y.resize(out, n);
    col_max.resize(n), col_sum.resize(n), target_mass.resize(n);
    dgi.resize(G, T * n), dgh.resize(G, T * n), dh.resize(H, n);
  }

  // The n (reserved) samples at x (T·In values each) and t (one-hot rows): gw, gb = the gradient
  // of scale·Σ loss; returns Σ loss.
  double gradient_rows(const float* x, const float* t_ptr, float scale) {
    const Eigen::Map<const matrix> t(t_ptr, out, n);
    // ---- forward ----
    for (Eigen::Index j = 0; j < n; ++j)
      for (int s = 0; s < T; ++s)
        xs.col(s * n + j) = Eigen::Map<const vector>(x + (j * T + s) * in, in);
    gi.noalias() = w_ih * xs;
    gi.colwise() += b_ih;
    hs.leftCols(n).setZero();
    for (int s = 0; s < T; ++s) {
      const auto h = hs.middleCols(s * n, n);
      const auto g = gi.middleCols(s * n, n);
      auto rs = r.middleCols(s * n, n), zs = z.middleCols(s * n, n);
      auto ns = cand.middleCols(s * n, n), hns = hn.middleCols(s * n, n);
      gh.noalias() = w_hh * h;
      gh.colwise() += b_hh;
      rs = (g.topRows(H) + gh.topRows(H)).array().logistic().matrix();
      zs = (g.middleRows(H, H) + gh.middleRows(H, H)).array().logistic().matrix();
      hns = gh.bottomRows(H);
      ns = (g.bottomRows(H).array() + rs.array() * hns.array()).tanh().matrix();
      hs.middleCols((s + 1) * n, n) = ns + zs.cwiseProduct(h - ns);
    }
    const auto h_last = hs.rightCols(n);
    y.noalias() = w_fc * h_last;
    y.colwise() += b_fc;
    // C = Σt·logsumexp(y) − t·y;  δy = softmax(y)·Σt − t (each column a sample).
    col_max = y.colwise().maxCoeff();
    target_mass = t.colwise().sum();
    const float ty = t.cwiseProduct(y).sum();
    y = (y.rowwise() - col_max).array().exp().matrix();
    col_sum = y.colwise().sum();
    const float loss = ((col_max.array() + col_sum.array().log()) * target_mass.array()).sum() - ty;
    y = ((y.array().rowwise() * (target_mass.array() / col_sum.array())).matrix() - t) * scale;
    // ---- backward ----
    gw_fc.noalias() = y * h_last.transpose();
    gb_fc = y.rowwise().sum();
    dh.noalias() = w_fc.transpose() * y;
    for (int s = T; s-- > 0;) {
      const auto h = hs.middleCols(s * n, n);
      const auto rs = r.middleCols(s * n, n).array(), zs = z.middleCols(s * n, n).array();
      const auto ns = cand.middleCols(s * n, n).array(), hns = hn.middleCols(s * n, n).array();
      auto di = dgi.middleCols(s * n, n), dhh = dgh.middleCols(s * n, n);
      // h' = n + z ⊙ (h − n): δ of the candidate's, z's and r's pre-activations.
      di.bottomRows(H) = (dh.array() * (1 - zs) * (1 - ns.square())).matrix();
      di.middleRows(H, H) = (dh.array() * (h.array() - ns) * zs * (1 - zs)).matrix();
      di.topRows(H) = (di.bottomRows(H).array() * hns * rs * (1 - rs)).matrix();
      dhh.topRows(2 * H) = di.topRows(2 * H);
      dhh.bottomRows(H) = (di.bottomRows(H).array() * rs).matrix();
      if (s > 0) {
        dh.array() *= zs;
        dh.noalias() += w_hh.transpose() * dhh;
      }
    }
    gw_ih.noalias() = dgi * xs.transpose();
    gb_ih = dgi.rowwise().sum();
    gw_hh.noalias() = dgh * hs.leftCols(T * n).transpose();
    gb_hh = dgh.rowwise().sum();
    return loss;
  }

  void sgd_step(float lr) {
    w_ih -= lr * gw_ih;
    w_hh -= lr * gw_hh;
    w_fc -= lr * gw_fc;
    b_ih -= lr * gb_ih;
    b_hh -= lr * gb_hh;
    b_fc -= lr * gb_fc;
  }
  void add_gradient(const eigen_gru_rows& o) {
    gw_ih += o.gw_ih, gw_hh += o.gw_hh, gw_fc += o.gw_fc;
    gb_ih += o.gb_ih, gb_hh += o.gb_hh, gb_fc += o.gb_fc;
  }
  void copy_parameters(const eigen_gru_rows& o) {
    w_ih = o.w_ih, w_hh = o.w_hh, w_fc = o.w_fc;
    b_ih = o.b_ih, b_hh = o.b_hh, b_fc = o.b_fc;
  }

  // In ctnn's layout, for the start-up checks.
  static std::vector<float> flat(const matrix& wih, const matrix& whh, const vector& bih,
                                 const vector& bhh, const matrix& wfc, const vector& bfc) {
    std::vector<float> v(net::parameter_count);
    write_block(wih, v.data(), at_w_ih);
    write_block(whh, v.data(), at_w_hh);
    write_block(wfc, v.data(), at_w_fc);
    Eigen::Map<vector>(v.data() + at_b_ih, G) = bih;
    Eigen::Map<vector>(v.data() + at_b_hh, G) = bhh;
    Eigen::Map<vector>(v.data() + at_b_fc, out) = bfc;
    return v;
  }
  std::vector<float> flat_parameters() const { return flat(w_ih, w_hh, b_ih, b_hh, w_fc, b_fc); }
  std::vector<float> flat_gradient() const {
    return flat(gw_ih, gw_hh, gb_ih, gb_hh, gw_fc, gb_fc);
  }
};

// One thread (part[0] alone, the whole batch), or the batch cut in halves, each on an OpenMP
// thread running the one-thread code, then the partial gradients added in part[0], which holds
// the parameters the update changes (part[1] gets a copy).
struct eigen_trainer {
  std::size_t threads;
  std::array<std::unique_ptr<eigen_gru_rows>, 2> part;
  int threads_seen = 0;  // how many threads the last step ran on

  eigen_trainer(std::size_t k, const ctnn::parameters<net, float>& p) : threads(k) {
    const std::size_t half = (batch + 1) / 2;
    part[0] = std::make_unique<eigen_gru_rows>(p);
    part[0]->reserve(static_cast<Eigen::Index>(k == 1 ? batch : half));
    if (k == 2) {
      part[1] = std::make_unique<eigen_gru_rows>(p);
      part[1]->reserve(static_cast<Eigen::Index>(batch - half));
    }
  }

  // One SGD step on the batch at x, t; returns the mean loss before it.
  float step(const float* x, const float* t) {
    const float scale = 1.0f / static_cast<float>(batch);
    double loss[2] = {0, 0};
    if (threads == 1) {
      loss[0] = part[0]->gradient_rows(x, t, scale);
      threads_seen = 1;
    } else {
      int seen = 0;
#pragma omp parallel num_threads(2) reduction(+ : seen)
      {
        const int k = omp_get_thread_num();
        const std::size_t first = k == 0 ? 0 : (batch + 1) / 2;
        loss[k] = part[k]->gradient_rows(x + first * steps * in, t + first * out, scale);
        seen = 1;
      }
      threads_seen = seen;
      part[0]->add_gradient(*part[1]);
    }
    part[0]->sgd_step(learning_rate);
    if (threads == 2) part[1]->copy_parameters(*part[0]);
    return static_cast<float>((loss[0] + loss[1]) / static_cast<double>(batch));
  }
};

// Both sides start from these: seeded parameters, data_rows sequences of pixel-like inputs in
// [0, 1) and one-hot targets.
struct setup {
  ctnn::parameters<net, float> p;
  ctnn::gradient<net, float> g;
  std::vector<float> x = bench::uniform(data_rows * steps * in, 0, 1, 61);
  std::vector<float> t = bench::one_hot_rows(data_rows, out, 63);
  setup() { fill_uniform(p, hidden, 65); }
  std::span<const float> xs(std::size_t row) const {
    return {x.data() + row * steps * in, batch * steps * in};
  }
  std::span<const float> ts(std::size_t row) const { return {t.data() + row * out, batch * out}; }
};

using workspace = ctnn::workspace<net, float>;
using parallel_workspace = ctnn::parallel_workspace<net, float>;
using optimizer = ctnn::sgd<net, float>;

// The ctnn side on one thread (pool null) or on a pool.
struct ctnn_trainer {
  std::unique_ptr<ctnn::thread_pool> pool;
  std::unique_ptr<workspace> ws;
  std::unique_ptr<parallel_workspace> pws;
  optimizer opt;

  explicit ctnn_trainer(std::size_t k) {
    if (k == 1) {
      ws = std::make_unique<workspace>();
    } else {
      pool = std::make_unique<ctnn::thread_pool>(k);
      pws = std::make_unique<parallel_workspace>(*pool);
    }
  }
  float step(setup& s, std::size_t row) {
    if (pool)
      return ctnn::train_step_batch(*pool, s.p, s.xs(row), s.ts(row), opt, learning_rate, s.g,
                                    *pws);
    return ctnn::train_step_batch(s.p, s.xs(row), s.ts(row), opt, learning_rate, s.g, *ws);
  }
  float gradient(setup& s, ctnn::gradient<net, float>& g) {
    if (pool) return ctnn::loss_and_gradient_batch(*pool, s.p, s.xs(0), s.ts(0), g, *pws);
    return ctnn::loss_and_gradient_batch(s.p, s.xs(0), s.ts(0), g, *ws);
  }
};

// The gradient (unfused pass), the loss and the parameters after one fused step, against Eigen's
// on as many threads.
bool check_train(std::size_t k) {
  auto s = std::make_unique<setup>();
  ctnn_trainer c(k);
  eigen_trainer e(k, s->p);
  auto g = std::make_unique<ctnn::gradient<net, float>>();
  c.gradient(*s, *g);
  const float eloss = e.step(s->x.data(), s->t.data());
  const float loss = c.step(*s, 0);
  bool ok = true;
  if (e.threads_seen != static_cast<int>(k)) {
    std::fprintf(stderr, "  the Eigen twin ran on %d thread(s), not %zu: built without OpenMP?\n",
                 e.threads_seen, k);
    ok = false;
  }
  ok &= bench::close("loss", loss, eloss);
  ok &= bench::close("gradient", g->flat(), e.part[0]->flat_gradient());
  ok &= bench::close("parameters after the step", s->p.flat(), e.part[0]->flat_parameters());
  return ok;
}

void ctnn_train(benchmark::State& state, std::size_t k) {
  auto s = std::make_unique<setup>();
  ctnn_trainer c(k);
  std::size_t row = 0;
  for (auto _ : state) {
    float loss = c.step(*s, row);
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
    row = (row + batch) % data_rows;
  }
  bench::report(state, train_flops(batch), batch);
  state.counters["sequences_per_second"] =
      benchmark::Counter(double(batch) * double(state.iterations()), benchmark::Counter::kIsRate);
}

void eigen_train(benchmark::State& state, std::size_t k) {
  auto s = std::make_unique<setup>();
  eigen_trainer e(k, s->p);
  std::size_t row = 0;
  for (auto _ : state) {
    float loss = e.step(s->xs(row).data(), s->ts(row).data());
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
    row = (row + batch) % data_rows;
  }
  bench::report(state, train_flops(batch), batch);
  state.counters["sequences_per_second"] =
      benchmark::Counter(double(batch) * double(state.iterations()), benchmark::Counter::kIsRate);
}

void register_cases() {
  static_assert(data_rows % batch == 0);
  const std::string train = "train/" + shape() + "/batch:" + std::to_string(batch) + "/threads:";
  benchmark::RegisterBenchmark(("ctnn/" + train + "1").c_str(), ctnn_train, 1);
  benchmark::RegisterBenchmark(("eigen/" + train + "1").c_str(), eigen_train, 1);
  bench::checks().emplace_back(train + "1", [] { return check_train(1); });
  // Wall-clock time on several threads (bench_report.py: vs_one_thread).
  const std::string tk = train + std::to_string(threads);
  benchmark::RegisterBenchmark(("ctnn/" + tk).c_str(), ctnn_train, threads)->UseRealTime();
  benchmark::RegisterBenchmark(("eigen/" + tk).c_str(), eigen_train, threads)->UseRealTime();
  bench::checks().emplace_back(tk, [] { return check_train(threads); });
}

}  // namespace gru_rows

const bool registered = [] {
  register_stream<eigen_gru_cell<stream_in, 32>>("gru");
  register_stream<eigen_gru_cell<stream_in, 128>>("gru");
  register_stream<eigen_lstm_cell<stream_in, 32>>("lstm");
  register_stream<eigen_lstm_cell<stream_in, 128>>("lstm");
  gru_rows::register_cases();
  return true;
}();

}  // namespace
