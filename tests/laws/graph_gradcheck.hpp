#pragma once
// The gradient law of gradcheck.hpp for any graph with an objective (several inputs, several loss
// nodes with one target each, shared parameter blocks):
//
//   const auto data = laws::random_graph_data<net, T>(n, seed);   // inputs and fitting targets
//   const auto r = laws::check_graph_gradient_batch(*p, data);    // or <ctnn::simd::scalar_arch>
//   const auto r = laws::check_graph_gradient(*p, data);          // one sample (n = 1)
//   CHECK_MESSAGE(r.ok(), r.describe());
//
// The same law, run by the same code (laws::detail::run): backprop in T with the library
// (ctnn::loss_and_gradient[_batch], with ∇ₓ of every input) against Richardson-extrapolated
// central differences of the objective computed IN DOUBLE (ctnn::loss_batch on
// ctnn::parameters<Net, double>), with the tolerances, floors and kink rule documented there. The
// graph is kinked when any node applies relu, leaky_relu or elu, or is an op that declares kinks
// (max_pool2d). Its state entries (batch norm's running statistics) are left out.
//
// The law's problem has one input buffer: the graph's inputs are laid out side by side per sample
// (row s holds sample s of input 0, then of input 1, ...), so a report's "input x[sample s][i]"
// is column i of that row; describe_graph says which input each column belongs to. Parameters
// are reported by dense layer (ctnn::parameters::layer<K>: dense blocks in block order), and
// describe_graph names each layer's block.

#include <array>
#include <cstddef>
#include <cstdint>
#include <ctnn/ctnn.hpp>
#include <memory>
#include <span>
#include <sstream>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "gradcheck.hpp"

namespace laws {

// Whether any node of Net applies an activation with a kink (gradcheck.hpp: is_kinked) or is an
// op that says it has kinks (core/op.hpp: kinked; max pooling).
template <class Net>
constexpr bool graph_has_kinks() {
  return []<class... N>(ctnn::core::list<N...>) {
    return ([]<class M>() {
      if constexpr (requires { typename M::function; }) return is_kinked<typename M::function>::value;
      else return ctnn::core::is_kinked<M>();
    }.template operator()<N>() || ...);
  }(typename Net::nodes{});
}

// Inputs and targets of n samples for Net: input k holds n rows of Net::input_sizes[k] values,
// target k (of loss node k, in Net::loss_nodes order) n rows that suit that loss.
template <class Net, class T>
struct graph_data {
  std::size_t n = 0;
  std::array<std::vector<T>, Net::input_count> x;
  std::array<std::vector<T>, Net::target_count> t;
};

template <class Net, class T>
graph_data<Net, T> random_graph_data(std::size_t n, std::uint64_t seed) {
  graph_data<Net, T> d;
  d.n = n;
  for (std::size_t k = 0; k < Net::input_count; ++k)
    d.x[k] = random_values<T>(n * Net::input_sizes[k], seed + 17 * k);
  for_each_index<Net::target_count>([&]<std::size_t K>() {
    using loss = typename ctnn::core::at_t<typename Net::loss_nodes, K>::function;
    d.t[K] = random_targets<loss, T>(n, Net::target_sizes[K], seed + 1000 + 31 * K);
  });
  return d;
}

// Weights as ctnn::initialize draws them, biases uniform in ±0.5 (as random_parameters does for
// chains: a zero bias and a zero input would put z exactly on a kink).
template <class Net, class T>
std::unique_ptr<ctnn::parameters<Net, T>> random_graph_parameters(std::uint64_t seed) {
  auto p = std::make_unique<ctnn::parameters<Net, T>>();
  ctnn::initialize(*p, seed);
  random_stream rng(seed ^ 0x5eedb1a5ull);
  for (std::size_t b = 0; b < Net::block_count; ++b)
    if (Net::block_role(b) == "bias")
      for (std::size_t k = Net::layout::offset[b]; k < Net::layout::offset[b + 1]; ++k)
        (*p)[k] = static_cast<T>(rng.uniform(-0.5, 0.5));
  return p;
}

// "layer 0 = w00 [17 → 33], ...; row: x [0, 17), u [17, 20)": what the report's entries mean.
template <class Net>
std::string describe_graph() {
  using layers = ctnn::detail::dense_layers<Net>;
  std::ostringstream out;
  out << Net::node_count << " nodes, " << Net::parameter_count << " parameters; dense layers:";
  for_each_index<layers::count>([&]<std::size_t L>() {
    using N = typename Net::template node_at<layers::node[L]>;
    out << (L ? ", " : " ") << L << " = " << Net::block_owner(Net::block_of(layers::node[L], 0))
        << " [" << N::in << " → " << N::out << "]";
  });
  out << "; input row:";
  std::size_t at = 0;
  for_each_index<Net::input_count>([&]<std::size_t K>() {
    using I = ctnn::core::at_t<typename Net::input_nodes, K>;
    out << ' ' << I::label.view() << " [" << at << ", " << at + Net::input_sizes[K] << ")";
    at += Net::input_sizes[K];
  });
  return out.str();
}

namespace detail {

// A span per buffer (a span for one, a std::array of spans for several), as the batch passes take.
template <class Out, class Buffers>
Out dynamic_spans(Buffers& v) {
  if constexpr (requires { typename std::tuple_size<Out>::type; }) {
    Out a{};
    for (std::size_t k = 0; k < a.size(); ++k) a[k] = typename Out::value_type(v[k]);
    return a;
  } else {
    return Out(v[0]);
  }
}
// Fixed-extent spans (one, or a std::tuple of them), as the one-sample passes take.
template <class Out, class Buffers>
Out fixed_spans(Buffers& v) {
  if constexpr (requires { typename std::tuple_size<Out>::type; }) {
    return [&]<std::size_t... K>(std::index_sequence<K...>) {
      return Out{std::tuple_element_t<K, Out>(v[K].data(), std::tuple_element_t<K, Out>::extent)...};
    }(std::make_index_sequence<std::tuple_size_v<Out>>{});
  } else {
    return Out(v[0].data(), Out::extent);
  }
}

template <class Net>
gradient_entry graph_parameter_entry(std::size_t k) {
  using layers = ctnn::detail::dense_layers<Net>;
  gradient_entry e{entry_kind::weight, k, 0, 0, 0};
  for_each_index<layers::count>([&]<std::size_t L>() {
    constexpr std::size_t node = layers::node[L];
    using N = typename Net::template node_at<node>;
    constexpr std::size_t w = Net::parameter_offset(node, 0), b = Net::parameter_offset(node, 1);
    if (k >= w && k < w + N::in * N::out)
      e = {entry_kind::weight, k, L, (k - w) / N::in, (k - w) % N::in};
    else if (k >= b && k < b + N::out)
      e = {entry_kind::bias, k, L, k - b, 0};
  });
  return e;
}

template <std::size_t N>
constexpr std::array<std::size_t, N + 1> running_offsets_of(const std::array<std::size_t, N>& sizes) {
  std::array<std::size_t, N + 1> o{};
  for (std::size_t k = 0; k < N; ++k) o[k + 1] = o[k] + sizes[k];
  return o;
}

inline constexpr std::string_view objective_name = "the graph's objective";

// Runs the law on Net: backprop(g, dx) fills the gradient and the per-input ∇ₓ buffers and
// returns the objective, cost(x) the objective in double for per-input double buffers x.
template <class Net, class T, class Backprop, class Cost>
gradcheck_report run_graph_law(const ctnn::parameters<Net, T>& p, const graph_data<Net, T>& data,
                               Backprop backprop, Cost cost, const gradcheck_options& options,
                               bool batch) {
  constexpr std::size_t inputs = Net::input_count;
  constexpr auto offsets = running_offsets_of(Net::input_sizes);
  constexpr std::size_t row = offsets[inputs];
  const std::size_t n = data.n;

  gradcheck_report r;
  r.network = describe_graph<Net>();
  r.scalar = std::is_same_v<T, float> ? "float" : "double";
  r.loss = objective_name;

  auto g = std::make_unique<ctnn::gradient<Net, T>>();
  std::array<std::vector<T>, inputs> dx;
  for (std::size_t k = 0; k < inputs; ++k) dx[k].assign(n * Net::input_sizes[k], T(0));
  problem q;
  q.loss_value = static_cast<double>(backprop(*g, dx));

  // Parameters and the interleaved inputs in double; their gradients likewise.
  auto pd = std::make_unique<ctnn::parameters<Net, double>>();
  for (std::size_t k = 0; k < Net::parameter_count; ++k) (*pd)[k] = static_cast<double>(p[k]);
  std::vector<double> xd(n * row);
  q.backprop.assign(g->values.begin(), g->values.end());
  q.backprop.resize(Net::parameter_count + n * row);
  for (std::size_t s = 0; s < n; ++s)
    for (std::size_t k = 0; k < inputs; ++k)
      for (std::size_t i = 0; i < Net::input_sizes[k]; ++i) {
        const std::size_t from = s * Net::input_sizes[k] + i, to = s * row + offsets[k] + i;
        xd[to] = static_cast<double>(data.x[k][from]);
        q.backprop[Net::parameter_count + to] = static_cast<double>(dx[k][from]);
      }
  std::array<std::vector<double>, inputs> x_split;
  for (std::size_t k = 0; k < inputs; ++k) x_split[k].resize(n * Net::input_sizes[k]);
  q.parameters = std::span<double>(pd->data(), Net::parameter_count);
  q.inputs = std::span<double>(xd);
  q.input_size = row;
  q.kinked = graph_has_kinks<Net>();
  q.parameter_entry = graph_parameter_entry<Net>;
  if constexpr (Net::has_state) q.excluded = [](std::size_t k) { return Net::is_state(k); };
  q.cost = [&] {
    for (std::size_t s = 0; s < n; ++s)
      for (std::size_t k = 0; k < inputs; ++k)
        for (std::size_t i = 0; i < Net::input_sizes[k]; ++i)
          x_split[k][s * Net::input_sizes[k] + i] = xd[s * row + offsets[k] + i];
    return static_cast<double>(cost(*pd, x_split));
  };
  run(q, options, r);
  r.batch = batch;
  return r;
}

template <class T, std::size_t N>
std::array<std::vector<double>, N> in_double(const std::array<std::vector<T>, N>& v) {
  std::array<std::vector<double>, N> d;
  for (std::size_t k = 0; k < N; ++k) d[k].assign(v[k].begin(), v[k].end());
  return d;
}

}  // namespace detail

// One sample (data.n = 1): ctnn::loss_and_gradient with ∇ₓ of every input, against differences
// of the objective in double. The reference is ctnn::loss_batch on that one sample (the mean of
// one objective is the objective): the tile program, not the one-sample kernels under test, and
// the instantiation the batch checks use, which halves what a graph costs the compiler (the
// one-sample passes are flattened into one function each).
template <class Arch = ctnn::simd::default_arch, class Net, class T>
gradcheck_report check_graph_gradient(
    const ctnn::parameters<Net, T>& p, const graph_data<Net, T>& data,
    const gradcheck_options& options = gradcheck_options::for_type<T>()) {
  auto wsd = std::make_unique<ctnn::workspace<Net, double>>();
  // The differences of the objective the gradient pass differentiated: the training rule, with
  // the one-sample passes' draw (nn/run_mode.hpp).
  wsd->rule = ctnn::run_rule::training;
  const auto td = detail::in_double(data.t);
  return detail::run_graph_law(
      p, data,
      [&](ctnn::gradient<Net, T>& g, auto& dx) {
        return ctnn::loss_and_gradient<Arch>(
            p, detail::fixed_spans<ctnn::sample_inputs<Net, T>>(data.x),
            detail::fixed_spans<ctnn::sample_targets<Net, T>>(data.t), g,
            detail::fixed_spans<ctnn::sample_input_gradients<Net, T>>(dx));
      },
      [&](const ctnn::parameters<Net, double>& pd, const auto& xd) {
        return ctnn::loss_batch<Arch>(pd, detail::dynamic_spans<ctnn::batch_inputs<Net, double>>(xd),
                                      detail::dynamic_spans<ctnn::batch_targets<Net, double>>(td),
                                      *wsd);
      },
      options, false);
}

// A batch (data.n samples): ctnn::loss_and_gradient_batch (mean objective, with ∇ₓ of every
// input) against differences of ctnn::loss_batch in double; Tile is both workspaces' tile.
template <class Arch = ctnn::simd::default_arch, std::size_t Tile = 32, class Net, class T>
gradcheck_report check_graph_gradient_batch(
    const ctnn::parameters<Net, T>& p, const graph_data<Net, T>& data,
    const gradcheck_options& options = gradcheck_options::for_type<T>()) {
  auto ws = std::make_unique<ctnn::workspace<Net, T, Tile>>();
  auto wsd = std::make_unique<ctnn::workspace<Net, double, Tile>>();
  wsd->rule = ctnn::run_rule::training;  // and the gradient pass's draw (below)
  const auto td = detail::in_double(data.t);
  return detail::run_graph_law(
      p, data,
      [&](ctnn::gradient<Net, T>& g, auto& dx) {
        return ctnn::loss_and_gradient_batch<Arch>(
            p, detail::dynamic_spans<ctnn::batch_inputs<Net, T>>(data.x),
            detail::dynamic_spans<ctnn::batch_targets<Net, T>>(data.t), g, *ws,
            detail::dynamic_spans<ctnn::batch_input_gradients<Net, T>>(dx));
      },
      [&](const ctnn::parameters<Net, double>& pd, const auto& xd) {
        wsd->seed = ws->seed;
        wsd->draw = ws->draw;
        return ctnn::loss_batch<Arch>(pd, detail::dynamic_spans<ctnn::batch_inputs<Net, double>>(xd),
                                      detail::dynamic_spans<ctnn::batch_targets<Net, double>>(td),
                                      *wsd);
      },
      options, true);
}

}  // namespace laws
