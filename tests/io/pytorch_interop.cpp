// The ctnn side of tests/io/pytorch_interop.py, which uses PyTorch as the oracle. For one of the
// networks below (each the twin of a torch.nn.Module in the script) and one scalar type it
//   1. loads a safetensors file written from PyTorch,
//   2. prints the outputs (batch and one-sample passes, and the outputs the gradient pass returns),
//      the mean loss, the parameter gradient and the gradient of every input on a batch, and the
//      loss and gradients of the first sample alone, and the Hessian-vector product H·u of the mean
//      loss along a fixed direction u,
//   3. saves the parameters back unchanged (the script checks ctnn's writer bit for bit),
//   4. trains them for a few steps with momentum SGD or Adam, prints the outputs and saves the
//      trained parameters (the script loads them into PyTorch, which must reproduce the outputs,
//      and compares them with PyTorch's own training from the same start).
// The chains (network<...>) take their loss at the call; the graphs (ctnn::graph<...>) carry an
// objective of their own, except residual_at_call, a graph without one that takes it at the call.
// Three of the graphs are convolutional (conv2d, max/average/global pooling; lenet, odd_conv and
// bn_cnn, which has batch normalisation): their input is an image, one row of C·H·W values per
// sample. The net with state (bn_cnn) also prints the running statistics' next values ("next").
//
//   pytorch_interop <case> <float|double> <model> <batch.txt> <roundtrip> <trained> <sgd|adam>
//                   <steps> <learning rate>
// batch.txt: n, then n rows of each input (input by input, in the graph's input order), then n rows
// of each target (one per loss node, in the graph's loss order). Output lines, values in %.17g,
// k the position of the output or the input:
//   y k <out values>   (per sample, forward_batch)     y1 k <out values>  (per sample, forward)
//   yg k <out values>  (per sample, the outputs loss_and_gradient_batch returns)
//   loss <v>   lossb <v> (loss_batch)   grad <tensor name> <values>   dx k <in values> (per sample)
//   loss1 <v>  grad1 <tensor name> <values>  dx1 k <in values>   (the first sample alone)
//   dir <tensor name> <values>   hvp <tensor name> <values>   (u and H·u)
//   trained_loss <v>  trained_y k <out values> (per sample)

#include <algorithm>
#include <array>
#include <cstddef>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctnn/ctnn.hpp>
#include <ctnn/io/safetensors.hpp>
#include <ctnn/nn/recurrent.hpp>
#include <exception>
#include <fstream>
#include <memory>
#include <ratio>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

using namespace ctnn;

// ---- chains: the twins of nn.Sequential, the loss given at the call --------------------------

// nn.Sequential(Linear(4, 8), Tanh(), Linear(8, 6), ReLU(), Linear(6, 3)); cross_entropy on labels.
using tanh_relu = network<input<4>, dense<8>, ctnn::tanh, dense<6>, relu, dense<3>>;
// Linear(5, 7), Sigmoid(), Linear(7, 6), GELU() (erf form), Linear(6, 2); ½ squared error.
using sigmoid_gelu = network<input<5>, dense<7>, sigmoid, dense<6>, gelu, dense<2>>;
// Linear(3, 8), SiLU(), Linear(8, 5), Softplus(), Linear(5, 4); binary_cross_entropy_with_logits.
using silu_softplus = network<input<3>, dense<8>, silu, dense<5>, softplus, dense<4>>;
// Linear(6, 8), ELU(0.5), Linear(8, 8), LeakyReLU(0.1), Linear(8, 6), Mish(), Linear(6, 4),
// Softmax(dim=1); cross-entropy with soft targets.
using elu_leaky_mish_softmax =
    network<input<6>, dense<8>, elu<std::ratio<1, 2>>, dense<8>, leaky_relu<std::ratio<1, 10>>,
            dense<6>, mish, dense<4>, softmax>;
// Linear(4, 6), ReLU(), Linear(6, 5), Linear(5, 3), Sigmoid(): two Linear in a row; BCE of the
// probabilities.
using relu_linear_sigmoid = network<input<4>, dense<6>, relu, dense<5>, dense<3>, sigmoid>;
// Linear(2, 6), LeakyReLU() (slope 0.01), Linear(6, 6), ELU() (α = 1), Linear(6, 3), Tanh(); ½
// squared error through the last activation.
using leaky_elu_tanh = network<input<2>, dense<6>, leaky_relu<>, dense<6>, elu<>, dense<3>, ctnn::tanh>;

// ---- graphs: the twins of the script's Residual and TwoHeads modules ---------------------------

// Residual: h = relu(fc1(x)), r = h + relu(fc2(h)), y = head(r); cross-entropy on labels. h is read
// twice (by fc2 and by the sum), so its adjoint is the sum of two contributions.
namespace residual_net {
using x = op::input<"x", 20>;
using h = op::relu<op::dense<"fc1", 32, x>>;
using r = op::add<h, op::relu<op::dense<"fc2", 32, h>>>;
using y = op::dense<"head", 5, r>;
}  // namespace residual_net
using residual = graph<inputs<residual_net::x>, outputs<residual_net::y>,
                       objective<op::softmax_cross_entropy<residual_net::y>>>;
// The same graph without an objective: the loss is given at the call, as for a chain.
using residual_at_call = graph<outputs<residual_net::y>>;

// TwoHeads: inputs a (7) and b (4); trunk t = silu(trunk(cat(a, b))); outputs logits = cls(t)
// (soft-target cross-entropy) and v = tanh(reg(t)) (½ squared error through the tanh); objective
// CE + ½·SE. t feeds both heads; a and b get their gradients through the concatenation.
namespace two_heads_net {
using a = op::input<"a", 7>;
using b = op::input<"b", 4>;
using t = op::silu<op::dense<"trunk", 16, op::concat<a, b>>>;
using logits = op::dense<"cls", 3, t>;
using v = op::tanh<op::dense<"reg", 2, t>>;
using cost = op::add<op::softmax_cross_entropy<logits>, op::scale<op::squared_error<v>, std::ratio<1, 2>>>;
}  // namespace two_heads_net
using two_heads = graph<inputs<two_heads_net::a, two_heads_net::b>,
                        outputs<two_heads_net::logits, two_heads_net::v>, objective<two_heads_net::cost>>;

static_assert(two_heads::input_count == 2 && two_heads::output_count == 2 && two_heads::target_count == 2);
static_assert(two_heads::target_sizes == std::array<std::size_t, 2>{3, 2});
static_assert(residual::block_count == 6 && two_heads::block_count == 6);

// ---- convolutional graphs: the twins of the script's LeNet and OddConv modules -----------------
// An image is one input row of C·H·W values, channels first (PyTorch's NCHW with N the batch row);
// conv weights are "name.weight" (Out × C × KH × KW, nn.Conv2d's layout) and "name.bias".

// LeNet: 1×12×12 → conv 4, 5×5, padding 2 → relu → 2×2 max pool → conv 6, 3×3 → tanh → 2×2
// average pool → flatten (6·2·2) → dense 10; cross-entropy on labels.
namespace lenet_net {
using x = op::input<"x", 1, 12, 12>;
using c1 = op::conv2d<"c1", 4, op::kernel<5>, x, op::padding<2>>;
using p1 = op::max_pool2d<op::relu<c1>, op::kernel<2>>;
using c2 = op::conv2d<"c2", 6, op::kernel<3>, p1>;
using p2 = op::avg_pool2d<op::tanh<c2>, op::kernel<2>>;
using y = op::dense<"head", 10, op::flatten<p2>>;
}  // namespace lenet_net
using lenet = graph<inputs<lenet_net::x>, outputs<lenet_net::y>,
                    objective<op::softmax_cross_entropy<lenet_net::y>>>;
static_assert(std::is_same_v<lenet_net::c1::shape, shape<4, 12, 12>> &&
              std::is_same_v<lenet_net::p1::shape, shape<4, 6, 6>> &&
              std::is_same_v<lenet_net::c2::shape, shape<6, 4, 4>> &&
              std::is_same_v<lenet_net::p2::shape, shape<6, 2, 2>>);
static_assert(lenet::input_sizes[0] == 144 && lenet::block_count == 6);

// OddConv: 3×9×8 → conv 5, kernel 3×2, stride 2, padding (1, 2), dilation (2, 1) → sigmoid →
// max pool 3×3, stride 2, padding 1 (overlapping windows, −∞ padding) → conv 4, 1×1, no bias →
// global average pool → dense 2; ½ squared error. The rectangular kernel, the unequal padding and
// dilation, and every stride leave out the last rows or columns of their input.
namespace odd_conv_net {
using x = op::input<"x", 3, 9, 8>;
using c1 = op::conv2d<"c1", 5, op::kernel<3, 2>, x, op::stride<2>, op::padding<1, 2>, op::dilation<2, 1>>;
using p = op::max_pool2d<op::sigmoid<c1>, op::kernel<3>, op::stride<2>, op::padding<1>>;
using c2 = op::conv2d<"c2", 4, op::kernel<1>, p, op::no_bias>;
using y = op::dense<"head", 2, op::global_avg_pool<c2>>;
}  // namespace odd_conv_net
using odd_conv = graph<inputs<odd_conv_net::x>, outputs<odd_conv_net::y>,
                       objective<op::squared_error<odd_conv_net::y>>>;
static_assert(std::is_same_v<odd_conv_net::c1::shape, shape<5, 4, 6>> &&
              std::is_same_v<odd_conv_net::p::shape, shape<5, 2, 3>> &&
              std::is_same_v<odd_conv_net::c2::shape, shape<4, 2, 3>>);
static_assert(odd_conv::input_sizes[0] == 216 && odd_conv::block_count == 5);

// BnCnn: 2×6×6 → conv 4, 3×3, padding 1, no bias → batch norm → relu → 2×2 max pool → conv 5, 3×3,
// padding 1, no bias → batch norm → tanh → global average pool → dense 3; cross-entropy on labels.
// Batch normalisation trains with the batch's statistics (the batch fits one tile) and evaluates
// with the running ones; the running statistics are state, written and read with the weights.
namespace bn_cnn_net {
using x = op::input<"x", 2, 6, 6>;
using c1 = op::conv2d<"c1", 4, op::kernel<3>, x, op::padding<1>, op::no_bias>;  // β is the bias
using p1 = op::max_pool2d<op::relu<op::batch_norm<"bn1", c1>>, op::kernel<2>>;
using c2 = op::conv2d<"c2", 5, op::kernel<3>, p1, op::padding<1>, op::no_bias>;
using y = op::dense<"head", 3, op::global_avg_pool<op::tanh<op::batch_norm<"bn2", c2>>>>;
}  // namespace bn_cnn_net
using bn_cnn = graph<inputs<bn_cnn_net::x>, outputs<bn_cnn_net::y>,
                     objective<op::softmax_cross_entropy<bn_cnn_net::y>>>;
static_assert(bn_cnn::input_sizes[0] == 72 && bn_cnn::block_count == 12 && bn_cnn::has_state);

// Recurrent graphs (nn/recurrent.hpp), input rows batch-first (T steps of In values per sample):
// rnn: nn.RNN(3, 5) over 4 steps → head (3) on the last hidden state; cross-entropy on labels;
// also outputs the final state. gru: nn.GRU(4, 6, num_layers = 2) over 5 steps → head (2) on
// every step (dense_rows); ½ squared error over all steps. lstm: nn.LSTM(3, 4) over 6 steps from
// a given state [h₀, c₀] (the second input, which gets a gradient) → head (3) on h_T; ½ squared
// error; also outputs the final state [h_T, c_T].
namespace rnn_net {
using x = op::input<"x", 4, 3>;
using layer = recurrent<rnn_cell<"rnn", 3, 5>, 4, x>;
using y = op::dense<"head", 3, last_hidden<layer>>;
}  // namespace rnn_net
using rnn = graph<inputs<rnn_net::x>, outputs<rnn_net::y, final_state<rnn_net::layer>>,
                  objective<op::softmax_cross_entropy<rnn_net::y>>>;
namespace gru_net {
using x = op::input<"x", 5, 4>;
using layer0 = recurrent<gru_cell<"gru", 4, 6, 0>, 5, x>;
using layer1 = recurrent<gru_cell<"gru", 6, 6, 1>, 5, hidden_sequence<layer0>>;
using y = op::dense_rows<"head", 2, hidden_sequence<layer1>>;
}  // namespace gru_net
using gru = graph<inputs<gru_net::x>, outputs<gru_net::y>, objective<op::squared_error<gru_net::y>>>;
static_assert(gru::block_count == 10);
namespace lstm_net {
using x = op::input<"x", 6, 3>;
using start = op::input<"start", 8>;
using layer = recurrent<lstm_cell<"lstm", 3, 4>, 6, x, start>;
using y = op::dense<"head", 3, last_hidden<layer>>;
}  // namespace lstm_net
using lstm = graph<inputs<lstm_net::x, lstm_net::start>, outputs<lstm_net::y, final_state<lstm_net::layer>>,
                   objective<op::squared_error<lstm_net::y>>>;

// ---- the passes, for a loss at the call (Loss) or the graph's own objective (Loss = void) -------

template <class Net, class Loss>
struct passes {
  static constexpr bool own = std::is_void_v<Loss>;
  static constexpr auto target_sizes = [] {
    if constexpr (own) return Net::target_sizes;
    else return std::array<std::size_t, 1>{Net::output_size};
  }();

  template <class T, class... A>
  static T loss_and_gradient_batch(const parameters<Net, T>& p, A&&... a) {
    if constexpr (own) return ctnn::loss_and_gradient_batch(p, std::forward<A>(a)...);
    else return ctnn::loss_and_gradient_batch(p, Loss{}, std::forward<A>(a)...);
  }
  template <class T, class... A>
  static T loss_batch(const parameters<Net, T>& p, A&&... a) {
    if constexpr (own) return ctnn::loss_batch(p, std::forward<A>(a)...);
    else return ctnn::loss_batch(p, Loss{}, std::forward<A>(a)...);
  }
  template <class T, class... A>
  static T hessian_vector(const parameters<Net, T>& p, A&&... a) {
    if constexpr (own) return ctnn::hessian_vector(p, std::forward<A>(a)...);
    else return ctnn::hessian_vector(p, Loss{}, std::forward<A>(a)...);
  }
  template <class T, class... A>
  static T loss_and_gradient(const parameters<Net, T>& p, A&&... a) {
    if constexpr (own) return ctnn::loss_and_gradient(p, std::forward<A>(a)...);
    else return ctnn::loss_and_gradient(p, Loss{}, std::forward<A>(a)...);
  }
};

// ---- data -----------------------------------------------------------------------------------------

// One buffer per input (target, output, ...), n rows of its width each.
template <class T>
using buffers = std::vector<std::vector<T>>;

template <class T, std::size_t N>
buffers<T> make_buffers(std::size_t n, const std::array<std::size_t, N>& widths) {
  buffers<T> b;
  for (std::size_t w : widths) b.emplace_back(n * w);
  return b;
}

// The batch argument of a pass: a span (one buffer) or a std::array of spans.
template <class Batch, class T>
Batch batch_of(buffers<T>& b) {
  if constexpr (requires { Batch::extent; }) {
    return Batch(b[0]);
  } else {
    Batch out;
    for (std::size_t k = 0; k < out.size(); ++k) out[k] = typename Batch::value_type(b[k]);
    return out;
  }
}

// Sample s as a one-sample argument: a fixed-extent span or a std::tuple of them.
template <class Sample, class T>
Sample sample_of(buffers<T>& b, std::size_t s) {
  if constexpr (requires { Sample::extent; }) {
    return Sample(b[0].data() + s * Sample::extent, Sample::extent);
  } else {
    return [&]<std::size_t... K>(std::index_sequence<K...>) {
      return Sample{std::tuple_element_t<K, Sample>(b[K].data() + s * std::tuple_element_t<K, Sample>::extent,
                                                    std::tuple_element_t<K, Sample>::extent)...};
    }(std::make_index_sequence<std::tuple_size_v<Sample>>{});
  }
}

struct options {
  const char* model;
  const char* batch;
  const char* roundtrip;
  const char* trained;
  std::string_view optimizer;
  int steps;
  double learning_rate;
};

template <class T>
void print_values(const T* v, std::size_t count) {
  for (std::size_t k = 0; k < count; ++k) std::printf(" %.17g", static_cast<double>(v[k]));
  std::printf("\n");
}

template <class T>
void print_scalar(const char* word, T v) {
  std::printf("%s", word);
  print_values(&v, 1);
}

// "word k <row>" for every sample of every buffer.
template <class T, std::size_t N>
void print_rows(const char* word, const buffers<T>& b, std::size_t n, const std::array<std::size_t, N>& widths) {
  for (std::size_t k = 0; k < N; ++k)
    for (std::size_t s = 0; s < n; ++s) {
      std::printf("%s %zu", word, k);
      print_values(b[k].data() + s * widths[k], widths[k]);
    }
}

// One line per parameter block, named as in the safetensors file and in PyTorch's state_dict
// ("fc1.weight", or "0.weight" for a chain), from the graph's public layout.
template <class Net, class T>
void print_gradient(const char* word, const gradient<Net, T>& g, bool state = false) {
  for (std::size_t b = 0; b < Net::block_count; ++b) {
    // The trainable blocks (a derivative), or the state blocks (their next values).
    if (Net::block_is_state(b) != state) continue;
    std::printf("%s %s.%s", word, std::string(Net::block_owner(b)).c_str(), std::string(Net::block_role(b)).c_str());
    print_values(g.data() + Net::layout::offset[b], Net::layout::offset[b + 1] - Net::layout::offset[b]);
  }
}

template <class Net, class Loss, class T, class Optimizer>
void train(parameters<Net, T>& p, buffers<T>& x, buffers<T>& t, const options& o) {
  using pass = passes<Net, Loss>;
  Optimizer opt;
  gradient<Net, T> g;
  workspace<Net, T> ws;
  for (int step = 0; step < o.steps; ++step) {
    pass::loss_and_gradient_batch(p, batch_of<batch_inputs<Net, T>>(x), batch_of<batch_targets<Net, T>>(t), g, ws);
    opt.step(p, g, o.learning_rate);
  }
}

template <class Net, class Loss, class T>
int run(const options& o) {
  using pass = passes<Net, Loss>;
  constexpr auto in = Net::input_sizes, out = Net::output_sizes, tw = pass::target_sizes;
  parameters<Net, T> p;
  io::load_safetensors(o.model, p);

  std::ifstream file(o.batch);
  std::size_t n = 0;
  file >> n;
  // Read as double: the script writes each value exactly (shortest repr of a float or a double).
  auto x = make_buffers<T>(n, in);
  auto t = make_buffers<T>(n, tw);
  for (auto* b : {&x, &t})
    for (auto& v : *b)
      for (auto& e : v) {
        double d = 0;
        file >> d;
        e = static_cast<T>(d);
      }
  if (!file || n == 0) {
    std::fprintf(stderr, "cannot read %zu samples of the inputs and targets from %s\n", n, o.batch);
    return 2;
  }
  const auto X = batch_of<batch_inputs<Net, T>>(x);
  const auto Tg = batch_of<batch_targets<Net, T>>(t);

  workspace<Net, T> ws;
  auto y = make_buffers<T>(n, out);
  forward_batch(p, X, batch_of<batch_outputs<Net, T>>(y), ws);
  print_rows("y", y, n, out);
  auto y1 = make_buffers<T>(n, out);
  for (std::size_t s = 0; s < n; ++s) {
    const auto one = forward(p, sample_of<sample_inputs<Net, T>>(x, s));
    if constexpr (Net::output_count == 1) {
      std::copy(one.begin(), one.end(), y1[0].begin() + std::ptrdiff_t(s * out[0]));
    } else {
      [&]<std::size_t... K>(std::index_sequence<K...>) {
        (std::copy(std::get<K>(one).begin(), std::get<K>(one).end(), y1[K].begin() + std::ptrdiff_t(s * out[K])), ...);
      }(std::make_index_sequence<Net::output_count>{});
    }
  }
  print_rows("y1", y1, n, out);

  gradient<Net, T> g;
  auto dx = make_buffers<T>(n, in);
  auto yg = make_buffers<T>(n, out);
  const T loss = pass::loss_and_gradient_batch(p, X, Tg, g, ws, batch_of<batch_input_gradients<Net, T>>(dx),
                                               batch_of<batch_outputs<Net, T>>(yg));
  print_scalar("loss", loss);
  print_scalar("lossb", pass::loss_batch(p, X, Tg, ws));
  print_gradient("grad", g);
  if constexpr (Net::has_state) print_gradient("next", g, true);
  print_rows("dx", dx, n, in);
  print_rows("yg", yg, n, out);

  // H·u along a fixed direction, printed with it (PyTorch takes u block by block).
  auto u = std::make_unique<parameters<Net, T>>();
  for (std::size_t k = 0; k < u->size(); ++k) (*u)[k] = static_cast<T>(std::sin(0.37 * double(k) + 0.1));
  auto hu = std::make_unique<gradient<Net, T>>();
  auto hws = std::make_unique<hessian_workspace<Net, T>>();
  pass::hessian_vector(p, X, Tg, *u, *hu, *hws);
  print_gradient("dir", *u);
  print_gradient("hvp", *hu);

  gradient<Net, T> g1;
  auto dx1 = make_buffers<T>(1, in);
  const T loss1 = pass::loss_and_gradient(p, sample_of<sample_inputs<Net, T>>(x, 0),
                                          sample_of<sample_targets<Net, T>>(t, 0), g1,
                                          sample_of<sample_input_gradients<Net, T>>(dx1, 0));
  print_scalar("loss1", loss1);
  print_gradient("grad1", g1);
  print_rows("dx1", dx1, 1, in);

  io::save_safetensors(o.roundtrip, p);

  if (o.optimizer == "sgd")
    train<Net, Loss, T, momentum_sgd<Net, T>>(p, x, t, o);
  else if (o.optimizer == "adam")
    train<Net, Loss, T, adam<Net, T>>(p, x, t, o);
  else {
    std::fprintf(stderr, "unknown optimizer '%.*s' (sgd or adam)\n", int(o.optimizer.size()), o.optimizer.data());
    return 2;
  }
  print_scalar("trained_loss", pass::loss_batch(p, X, Tg, ws));
  forward_batch(p, X, batch_of<batch_outputs<Net, T>>(y), ws);
  print_rows("trained_y", y, n, out);
  io::save_safetensors(o.trained, p);
  return 0;
}

template <class Net, class Loss>
int run(std::string_view type, const options& o) {
  if (type == "float") return run<Net, Loss, float>(o);
  if (type == "double") return run<Net, Loss, double>(o);
  std::fprintf(stderr, "unknown scalar type '%.*s' (float or double)\n", int(type.size()), type.data());
  return 2;
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc != 10) {
    std::fprintf(stderr,
                 "usage: %s case float|double model.safetensors batch.txt roundtrip.safetensors "
                 "trained.safetensors sgd|adam steps learning_rate\n",
                 argv[0]);
    return 2;
  }
  const std::string_view name = argv[1], type = argv[2];
  const options o{argv[3], argv[4], argv[5], argv[6], argv[7], std::atoi(argv[8]), std::atof(argv[9])};
  if (name == "tanh_relu") return run<tanh_relu, softmax_cross_entropy>(type, o);
  if (name == "sigmoid_gelu") return run<sigmoid_gelu, squared_error>(type, o);
  if (name == "silu_softplus") return run<silu_softplus, binary_cross_entropy>(type, o);
  if (name == "elu_leaky_mish_softmax") return run<elu_leaky_mish_softmax, softmax_cross_entropy>(type, o);
  if (name == "relu_linear_sigmoid") return run<relu_linear_sigmoid, binary_cross_entropy>(type, o);
  if (name == "leaky_elu_tanh") return run<leaky_elu_tanh, squared_error>(type, o);
  if (name == "residual") return run<residual, void>(type, o);
  if (name == "residual_at_call") return run<residual_at_call, softmax_cross_entropy>(type, o);
  if (name == "two_heads") return run<two_heads, void>(type, o);
  if (name == "lenet") return run<lenet, void>(type, o);
  if (name == "odd_conv") return run<odd_conv, void>(type, o);
  if (name == "bn_cnn") return run<bn_cnn, void>(type, o);
  if (name == "rnn") return run<rnn, void>(type, o);
  if (name == "gru") return run<gru, void>(type, o);
  if (name == "lstm") return run<lstm, void>(type, o);
  std::fprintf(stderr, "unknown case '%s'\n", argv[1]);
  return 2;
} catch (const std::exception& e) {
  std::fprintf(stderr, "%s\n", e.what());
  return 1;
}
