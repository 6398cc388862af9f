// The ctnn side of tests/io/pytorch_interop.py, which uses PyTorch as the oracle. For one of the
// networks below (each the twin of an nn.Sequential in the script) and one scalar type it
//   1. loads a safetensors file written from PyTorch,
//   2. prints the outputs (batch and one-sample passes), the mean loss, the parameter gradient and
//      the input gradient on a batch, and the loss and gradients of the first sample alone,
//   3. saves the parameters back unchanged (the script checks ctnn's writer bit for bit),
//   4. trains them for a few steps with momentum SGD or Adam, prints the outputs and saves the
//      trained parameters (the script loads them into PyTorch, which must reproduce the outputs,
//      and compares them with PyTorch's own training from the same start).
//
//   pytorch_interop <case> <float|double> <model> <batch.txt> <roundtrip> <trained> <sgd|adam>
//                   <steps> <learning rate>
// batch.txt: n, then n rows of inputs, then n rows of targets. Output lines, values in %.17g:
//   y <out values>  (per sample, forward_batch)    y1 <out values>  (per sample, forward)
//   loss <v>   grad <key> <values>   dx <in values> (per sample)
//   loss1 <v>  grad1 <key> <values>  dx1 <in values>   (the first sample alone)
//   trained_loss <v>  trained_y <out values> (per sample)

#include <cstdio>
#include <cstdlib>
#include <ctnn/ctnn.hpp>
#include <ctnn/io/safetensors.hpp>
#include <exception>
#include <fstream>
#include <ratio>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace ctnn;

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
void print_row(const char* word, const T* v, std::size_t count) {
  std::printf("%s", word);
  for (std::size_t k = 0; k < count; ++k) std::printf(" %.17g", static_cast<double>(v[k]));
  std::printf("\n");
}

template <class Net, class T>
void print_gradient(const char* word, const gradient<Net, T>& g) {
  for (const auto& slot : io::detail::sequential_tensors<Net>()) {
    std::printf("%s %s", word, slot.name.c_str());
    for (std::size_t k = 0; k < slot.count; ++k) std::printf(" %.17g", static_cast<double>(g[slot.offset + k]));
    std::printf("\n");
  }
}

template <class Net, class T, class Loss, class Optimizer>
void train(parameters<Net, T>& p, const std::vector<T>& x, const std::vector<T>& t, const options& o) {
  Optimizer opt;
  gradient<Net, T> g;
  workspace<Net, T> ws;
  for (int step = 0; step < o.steps; ++step) {
    loss_and_gradient_batch(p, Loss{}, x, t, g, ws);
    opt.step(p, g, o.learning_rate);
  }
}

template <class Net, class Loss, class T>
int run(const options& o) {
  constexpr std::size_t in = Net::input_size, out = Net::output_size;
  parameters<Net, T> p;
  io::load_safetensors(o.model, p);

  std::ifstream file(o.batch);
  std::size_t n = 0;
  file >> n;
  // Read as double: the script writes each value exactly (shortest repr of a float or a double).
  std::vector<T> x(n * in), t(n * out);
  for (auto* v : {&x, &t})
    for (auto& e : *v) {
      double d = 0;
      file >> d;
      e = static_cast<T>(d);
    }
  if (!file || n == 0) {
    std::fprintf(stderr, "cannot read %zu samples of %zu inputs and %zu targets from %s\n", n, in, out, o.batch);
    return 2;
  }

  workspace<Net, T> ws;
  std::vector<T> y(n * out), dx(n * in);
  forward_batch(p, x, y, ws);
  for (std::size_t s = 0; s < n; ++s) print_row("y", &y[s * out], out);
  for (std::size_t s = 0; s < n; ++s) {
    const auto one = forward(p, std::span<const T, in>(&x[s * in], in));
    print_row("y1", one.data(), out);
  }

  gradient<Net, T> g;
  const T loss = loss_and_gradient_batch(p, Loss{}, x, t, g, ws, dx);
  print_row("loss", &loss, 1);
  print_gradient("grad", g);
  for (std::size_t s = 0; s < n; ++s) print_row("dx", &dx[s * in], in);

  gradient<Net, T> g1;
  std::array<T, in> dx1;
  const T loss1 = loss_and_gradient(p, Loss{}, std::span<const T, in>(x.data(), in),
                                    std::span<const T, out>(t.data(), out), g1, std::span<T, in>(dx1));
  print_row("loss1", &loss1, 1);
  print_gradient("grad1", g1);
  print_row("dx1", dx1.data(), in);

  io::save_safetensors(o.roundtrip, p);

  if (o.optimizer == "sgd")
    train<Net, T, Loss, momentum_sgd<Net, T>>(p, x, t, o);
  else if (o.optimizer == "adam")
    train<Net, T, Loss, adam<Net, T>>(p, x, t, o);
  else {
    std::fprintf(stderr, "unknown optimizer '%.*s' (sgd or adam)\n", int(o.optimizer.size()), o.optimizer.data());
    return 2;
  }
  const T trained_loss = loss_batch(p, Loss{}, x, t, ws);
  print_row("trained_loss", &trained_loss, 1);
  forward_batch(p, x, y, ws);
  for (std::size_t s = 0; s < n; ++s) print_row("trained_y", &y[s * out], out);
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
  std::fprintf(stderr, "unknown case '%s'\n", argv[1]);
  return 2;
} catch (const std::exception& e) {
  std::fprintf(stderr, "%s\n", e.what());
  return 1;
}
