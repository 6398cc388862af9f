// One sample through the small tanh nets 16-32-32-1 and 64-64-64-1 (tanh after every dense layer,
// the output too, as FANN's symmetric-sigmoid nets): forward, and gradient = forward + backward
// of the squared error ½‖a − t‖². Baseline: fixed-size Eigen matrices, written as a careful
// engineer would (z = W a + b, tanh via .array().tanh(), backward with transposes and noalias).
// Both sides copy the weights once into the layout their forward pass wants: Eigen into its
// column-major matrices, ctnn into ctnn::inference_weights (forward/<shape>). The case
// forward_from_parameters/<shape> runs ctnn::forward on the row-major parameter block itself, as
// training and the gradient do.

#include <Eigen/Dense>
#include <array>
#include <ctnn/ctnn.hpp>

#include "common.hpp"

namespace {

template <int In, int H1, int H2, int Out>
using tanh_net = ctnn::network<ctnn::input<In>, ctnn::dense<H1>, ctnn::tanh, ctnn::dense<H2>,
                               ctnn::tanh, ctnn::dense<Out>, ctnn::tanh>;

template <int In, int H1, int H2, int Out>
struct eigen_tanh_net {
  template <int R, int C>
  using mat = Eigen::Matrix<float, R, C>;
  template <int R>
  using vec = Eigen::Matrix<float, R, 1>;

  mat<H1, In> w1;  vec<H1> b1;
  mat<H2, H1> w2;  vec<H2> b2;
  mat<Out, H2> w3; vec<Out> b3;
  // Activations kept by the forward pass for the backward pass.
  vec<H1> a1; vec<H2> a2; vec<Out> a3;
  // Gradient.
  mat<H1, In> gw1; vec<H1> gb1;
  mat<H2, H1> gw2; vec<H2> gb2;
  mat<Out, H2> gw3; vec<Out> gb3;
  vec<H1> d1; vec<H2> d2; vec<Out> d3;

  // Copies ctnn's parameters (each W out×in row-major, then b) into the Eigen matrices.
  template <class P>
  void assign(const P& p) {
    auto copy = [](auto& w, auto& b, auto layer) {
      using W = std::remove_reference_t<decltype(w)>;
      using RowMajor = Eigen::Matrix<float, W::RowsAtCompileTime, W::ColsAtCompileTime,
                                     W::ColsAtCompileTime == 1 ? Eigen::ColMajor : Eigen::RowMajor>;
      w = Eigen::Map<const RowMajor>(layer.weights().data());
      b = Eigen::Map<const std::remove_reference_t<decltype(b)>>(layer.biases().data());
    };
    copy(w1, b1, p.template layer<0>());
    copy(w2, b2, p.template layer<1>());
    copy(w3, b3, p.template layer<2>());
  }

  void forward(const vec<In>& x) {
    a1.noalias() = w1 * x;
    a1 = (a1 + b1).array().tanh().matrix();
    a2.noalias() = w2 * a1;
    a2 = (a2 + b2).array().tanh().matrix();
    a3.noalias() = w3 * a2;
    a3 = (a3 + b3).array().tanh().matrix();
  }

  // Loss ½‖a − t‖² and its gradient; tanh' = 1 − a².
  float loss_and_gradient(const vec<In>& x, const vec<Out>& t) {
    forward(x);
    d3 = a3 - t;
    const float loss = 0.5f * d3.squaredNorm();
    d3.array() *= 1 - a3.array().square();
    gw3.noalias() = d3 * a2.transpose();
    gb3 = d3;
    d2.noalias() = w3.transpose() * d3;
    d2.array() *= 1 - a2.array().square();
    gw2.noalias() = d2 * a1.transpose();
    gb2 = d2;
    d1.noalias() = w2.transpose() * d2;
    d1.array() *= 1 - a1.array().square();
    gw1.noalias() = d1 * x.transpose();
    gb1 = d1;
    return loss;
  }

  // The gradient in ctnn's flat layout, for the start-up check.
  std::vector<float> flat_gradient() const {
    std::vector<float> g;
    auto append = [&](const auto& w, const auto& b) {
      for (int o = 0; o < w.rows(); ++o)
        for (int i = 0; i < w.cols(); ++i) g.push_back(w(o, i));
      for (int o = 0; o < b.size(); ++o) g.push_back(b(o));
    };
    append(gw1, gb1);
    append(gw2, gb2);
    append(gw3, gb3);
    return g;
  }
};

// Both sides of a case start from the same seeded parameters, input and target.
template <int In, int H1, int H2, int Out>
struct small_case {
  using net = tanh_net<In, H1, H2, Out>;
  ctnn::parameters<net, float> p;
  ctnn::gradient<net, float> g;
  ctnn::inference_weights<net, float> w;
  eigen_tanh_net<In, H1, H2, Out> e;
  std::array<float, In> x;
  std::array<float, Out> t;
  Eigen::Matrix<float, In, 1> ex;
  Eigen::Matrix<float, Out, 1> et;

  small_case() {
    ctnn::initialize(p, 7);
    w.assign(p);
    e.assign(p);
    const auto xs = bench::uniform(In, -1, 1, 11), ts = bench::uniform(Out, -0.9f, 0.9f, 13);
    std::copy(xs.begin(), xs.end(), x.begin());
    std::copy(ts.begin(), ts.end(), t.begin());
    ex = Eigen::Map<const Eigen::Matrix<float, In, 1>>(x.data());
    et = Eigen::Map<const Eigen::Matrix<float, Out, 1>>(t.data());
  }

  static double forward_flops() { return bench::forward_flops({{In, H1}, {H1, H2}, {H2, Out}}); }
  static double gradient_flops() { return bench::gradient_flops({{In, H1}, {H1, H2}, {H2, Out}}); }

  static bool check() {
    small_case c;
    const auto y = ctnn::forward(c.p, c.x);
    c.e.forward(c.ex);
    bool ok = bench::close("forward output", y, std::span<const float>(c.e.a3.data(), Out));
    ok &= bench::close("inference forward output", ctnn::forward(c.w, c.x),
                       std::span<const float>(c.e.a3.data(), Out));
    const float loss = ctnn::loss_and_gradient(c.p, ctnn::squared_error{}, c.x, c.t, c.g);
    const float eloss = c.e.loss_and_gradient(c.ex, c.et);
    const auto eg = c.e.flat_gradient();
    ok &= bench::close("loss", loss, eloss);
    ok &= bench::close("gradient", c.g.flat(), eg);
    return ok;
  }
};

template <class Case>
void ctnn_forward(benchmark::State& state) {
  Case c;
  std::array<float, Case::net::output_size> y{};
  for (auto _ : state) {
    ctnn::forward(c.w, c.x, y);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  bench::report(state, Case::forward_flops(), 1);
}

template <class Case>
void ctnn_forward_from_parameters(benchmark::State& state) {
  Case c;
  std::array<float, Case::net::output_size> y{};
  for (auto _ : state) {
    ctnn::forward(c.p, c.x, y);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  bench::report(state, Case::forward_flops(), 1);
}

template <class Case>
void eigen_forward(benchmark::State& state) {
  Case c;
  for (auto _ : state) {
    c.e.forward(c.ex);
    benchmark::DoNotOptimize(c.e.a3.data());
    benchmark::ClobberMemory();
  }
  bench::report(state, Case::forward_flops(), 1);
}

template <class Case>
void ctnn_gradient(benchmark::State& state) {
  Case c;
  for (auto _ : state) {
    float loss = ctnn::loss_and_gradient(c.p, ctnn::squared_error{}, c.x, c.t, c.g);
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
  }
  bench::report(state, Case::gradient_flops(), 1);
}

template <class Case>
void eigen_gradient(benchmark::State& state) {
  Case c;
  for (auto _ : state) {
    float loss = c.e.loss_and_gradient(c.ex, c.et);
    benchmark::DoNotOptimize(loss);
    benchmark::ClobberMemory();
  }
  bench::report(state, Case::gradient_flops(), 1);
}

template <class Case>
bool register_case(const std::string& shape) {
  benchmark::RegisterBenchmark(("ctnn/forward/" + shape).c_str(), ctnn_forward<Case>);
  benchmark::RegisterBenchmark(("eigen/forward/" + shape).c_str(), eigen_forward<Case>);
  benchmark::RegisterBenchmark(("ctnn/forward_from_parameters/" + shape).c_str(),
                               ctnn_forward_from_parameters<Case>);
  benchmark::RegisterBenchmark(("eigen/forward_from_parameters/" + shape).c_str(),
                               eigen_forward<Case>);
  benchmark::RegisterBenchmark(("ctnn/gradient/" + shape).c_str(), ctnn_gradient<Case>);
  benchmark::RegisterBenchmark(("eigen/gradient/" + shape).c_str(), eigen_gradient<Case>);
  bench::checks().emplace_back(shape, &Case::check);
  return true;
}

const bool registered = register_case<small_case<16, 32, 32, 1>>("16-32-32-1") &&
                        register_case<small_case<64, 64, 64, 1>>("64-64-64-1");

}  // namespace
