#pragma once
// The op concept. A node of the expression graph is a type: an op applied to its input nodes,
// for example op::add<a, b> or op::dense<"fc1", 256, x>; an edge is a type argument, so a node
// used twice is one type, hence one node. Each op says in one place:
//
//   using inputs = core::list<A, B, ...>;      the input nodes
//   using shape = ctnn::shape<...>;            the output shape, computed from the inputs' shapes
//                                              (and checked there, with a plain-words error)
//   using parameters = core::list<core::parameter<Owner, Role, Shape>...>;   optional: the
//                                              blocks it owns, by name; nodes naming the same
//                                              block share it (core::state_parameter: a block
//                                              kept with the weights but not trained)
//   forward<Arch>(core::forward_args)          y from x (and θ), for a tile of n samples (its
//                                              mode: the training or the evaluation rule)
//   vjp<Arch>(core::vjp_args)                  reverse mode: δx_k into the adjoint sinks, ∂θ into
//                                              the gradient sink, from δy
//   jvp<Arch>(core::jvp_args)                  forward mode: ẏ from ẋ_k (and θ̇)
//
// and, where they apply, facts that the derivation (autodiff/) and the lowering (exec/) read
// through the traits below. The derivation never names an op: it only reads these.
//
//   is_input            a graph input: no rules, its values come from the caller
//   is_view             y is x₀'s values reinterpreted (reshape, flatten): no work, no buffer;
//                       its adjoint is x₀'s adjoint
//   stops_gradient      a view whose adjoint is dropped (stop_gradient): nothing behind it
//                       gets a gradient through it
//   is_loss             a loss node: one number per sample against an implicit target of its
//                       input's shape (see ops/loss.hpp for its rules)
//   linear_coefficients y = Σ c_k x_k with constant c (add, sub, scale): how a weighted sum of
//                       losses forms an objective
//   elementwise_function y = F(x) value by value, with F::value(x) and F::derivative(x, y) over
//                       scalars and packs: the lowering may run it inside its producer's kernel
//                       (forward) and apply F' inside its consumer's adjoint store (backward)
//   pointwise           y = apply(x₀, x₁, ...) value by value, apply a formula over scalars and
//                       packs (activations, add, sub, mul, scale): neighbouring pointwise nodes
//                       are computed in one pass, their intermediate values kept in registers
//   absorbs_input<K>    the vjp can take δ of an elementwise input K through that input's
//                       derivative itself (it writes through the adjoint sink it is handed)
//   differentiable      false for an op with a value but no derivative (step, sign): the
//                       passes that differentiate refuse a graph that needs its vjp
//   kinked              the value is continuous but its derivative jumps somewhere (max pooling,
//                       where the largest value changes): finite differences across such a point
//                       disagree with the vjp, so gradient checks take smaller steps there
//   vjp_reads_inputs / vjp_reads_output   what the vjp reads of the forward values (default:
//                       everything), for the buffer plan's lifetimes
//   sample_kernels      the op has one-sample kernels for SIMD architectures: forward_sample
//                       (its input as packs, an elementwise epilogue applied in registers, its
//                       output returned as packs) and vjp_sample (see op::dense)
//   work_size(tile, backward)   room the op keeps right after its values, from its forward
//                       rule to its vjp, in a workspace planned for tiles of `tile` samples (an
//                       unrolled loop's states and its steps' buffers: ops/unroll.hpp): the
//                       forward rule finds it at out + n·size, the vjp at work; backward is false
//                       for a plan of forward passes only (inference), which never runs the vjp
//   forward_flops / vjp_flops             per sample, for the cost model
//   op_name, label, signature_numbers     how model files and printouts name the node
//   notation            how inspect/ writes the op in the seeds' notation, as patterns: value
//                       (y's right-hand side), adjoint[k] (δx_k's), gradient[j] (∂θ_j's), with
//                       {y} {x0} {x1} {p0} {p1} {dy} {f} {f'} {n0} {n1} {slot} standing for the
//                       node, its inputs, its parameters, its adjoint, its activation, that
//                       activation's derivative at x0, its numbers and the input's position
//   spelling            the C++ type as a pattern, for exported headers: {label}, {n0}, {n1}, ...
//                       (signature_numbers), {numbers} (all of them), {in0}, {in1}, ... and
//                       {inputs} (the input nodes), {f} (the activation), {loss} (the loss)

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "list.hpp"
#include "name.hpp"
#include "shape.hpp"

namespace ctnn::core {

// Whether a consumer takes its input's derivative into its own rule (autodiff/reverse.hpp):
// maybe stands for a loss chosen later, which may or may not.
enum class fusion : unsigned char { no, yes, maybe };

// A named parameter block: "fc1.weight" is parameter<"fc1", "weight", shape<out, in>>.
template <name Owner, name Role, class Shape>
struct parameter {
  static constexpr auto owner = Owner;
  static constexpr auto role = Role;
  static constexpr bool state = false;
  using shape = Shape;
};
// A state block (batch_norm's running statistics): saved and loaded with the parameters but not
// trained. A training pass gives, in its gradient block, the block's next value, which the
// optimizers' steps copy instead of stepping (optim/optimizer.hpp); gradient checks and clipping
// leave it out.
template <name Owner, name Role, class Shape>
struct state_parameter : parameter<Owner, Role, Shape> {
  static constexpr bool state = true;
};

template <class P>
constexpr bool same_parameter_name(std::string_view owner, std::string_view role) {
  return P::owner.view() == owner && P::role.view() == role;
}

// ---- the concept --------------------------------------------------------------------------

template <class N>
concept node = requires {
  typename N::inputs;
  typename N::shape;
};

// ---- traits with their defaults -------------------------------------------------------------

template <node N>
using inputs_of = typename N::inputs;

template <node N>
using shape_of = typename N::shape;

template <class N>
struct parameters_list {
  using type = list<>;
};
template <class N>
  requires requires { typename N::parameters; }
struct parameters_list<N> {
  using type = typename N::parameters;
};
template <class N>
using parameters_of = typename parameters_list<N>::type;

template <class N>
constexpr bool is_input() {
  if constexpr (requires { N::is_input; }) return bool(N::is_input);
  else return false;
}
template <class N>
constexpr bool is_view() {
  if constexpr (requires { N::is_view; }) return bool(N::is_view);
  else return false;
}
template <class N>
constexpr bool stops_gradient() {
  if constexpr (requires { N::stops_gradient; }) return bool(N::stops_gradient);
  else return false;
}
template <class N>
constexpr bool is_loss() {
  if constexpr (requires { N::is_loss; }) return bool(N::is_loss);
  else return false;
}
template <class N>
constexpr bool is_linear_combination() {
  return requires { N::linear_coefficients; };
}
template <class N>
constexpr bool is_elementwise() {
  return requires { typename N::elementwise_function; };
}
template <class N, std::size_t K>
constexpr bool absorbs_input() {
  if constexpr (requires { N::template absorbs_input<K>; }) return bool(N::template absorbs_input<K>);
  else return false;
}
template <class N>
constexpr bool vjp_reads_inputs() {
  if constexpr (requires { N::vjp_reads_inputs; }) return bool(N::vjp_reads_inputs);
  else return true;
}
template <class N>
constexpr bool vjp_reads_output() {
  if constexpr (requires { N::vjp_reads_output; }) return bool(N::vjp_reads_output);
  else return true;
}
template <class N>
constexpr bool is_pointwise() {
  if constexpr (requires { N::pointwise; }) return bool(N::pointwise);
  else return false;
}
template <class N>
constexpr bool has_sample_kernels() {
  if constexpr (requires { N::sample_kernels; }) return bool(N::sample_kernels);
  else return false;
}
template <class N>
constexpr bool differentiable() {
  if constexpr (requires { N::differentiable; }) return bool(N::differentiable);
  else return true;
}
template <class N>
constexpr bool is_kinked() {
  if constexpr (requires { N::kinked; }) return bool(N::kinked);
  else return false;
}
// The room an op keeps after the values of a tile of `tile` samples (work_size above).
template <class N>
constexpr std::size_t work_size(std::size_t tile, bool backward = true) {
  if constexpr (requires { N::work_size(tile, backward); }) return N::work_size(tile, backward);
  else return 0;
}
template <class N>
constexpr std::size_t forward_flops() {
  if constexpr (requires { N::forward_flops; }) return N::forward_flops;
  else return 0;
}
template <class N>
constexpr std::size_t vjp_flops() {
  if constexpr (requires { N::vjp_flops; }) return N::vjp_flops;
  else return 0;
}

// ---- what the rules receive ----------------------------------------------------------------
// Values of a tile are row-major: sample s of a node of size m is at [s·m, (s+1)·m).

// Which rule a pass runs for the ops that have two (dropout; nn/run_mode.hpp says which pass
// runs which): the training rule draws from the stream `seed`, sample s of the tile being sample
// first_sample + s of its batch, so a draw depends on the sample's place in the batch and never
// on how the batch is split into tiles or threads; the evaluation rule is deterministic.
struct run_mode {
  bool training = false;
  std::uint64_t seed = 0;
  std::size_t first_sample = 0;
};

template <class T, std::size_t Inputs, std::size_t Params>
struct forward_args {
  std::size_t n;                           // samples in the tile
  std::array<const T*, Inputs> in;         // the inputs' values
  T* out;                                  // y
  std::array<const T*, Params> param;      // the parameter blocks, in the op's order
  run_mode mode{};
};

// Input adjoints go to sinks (exec/sinks.hpp): sink.put<Count, Arch>(k, v) takes the values k ..
// k + Count − 1 of δx (row-major, like the values); the sink stores them, adds them to earlier
// contributions, or first multiplies them by an elementwise input's derivative. A sink whose
// active() is false wants nothing (no adjoint is needed there, or the caller did not ask for ∇ₓ):
// the rule then skips that product. Parameter gradients go to one sink positioned at the op's
// first parameter block, the op's blocks following each other: value i of block j is at
// param_offset[j] + i; when accumulate[j], g_in (positioned the same way) holds the sums of
// earlier tiles or earlier users of a shared block, to be added (else the op's value is the
// first).
template <class T, std::size_t Params, class GradientSink, class... AdjointSinks>
struct vjp_args {
  std::size_t n;
  std::array<const T*, sizeof...(AdjointSinks)> in;  // the inputs' values
  const T* out;                                      // y
  const T* dout;                                     // δy
  std::tuple<AdjointSinks...> din;                   // where δx_k goes
  std::array<const T*, Params> param;
  std::array<std::size_t, Params> param_offset;
  std::array<bool, Params> accumulate;
  const T* g_in;
  GradientSink gradient;
  run_mode mode{};
  // The factor the pass gave its losses' seeds (1/N for the mean over a batch of N samples):
  // n · batch_scale is the tile's share of the batch, for state blocks' next values.
  T batch_scale = T(1);
  T* work = nullptr;  // the op's work (work_size), as its forward rule left it
};

// Tangents: tin[k] is ẋ_k, tparam[j] is θ̇_j, all of the values' layout (never null).
template <class T, std::size_t Inputs, std::size_t Params>
struct jvp_args {
  std::size_t n;
  std::array<const T*, Inputs> in;
  std::array<const T*, Inputs> tin;
  const T* out;
  T* tout;
  std::array<const T*, Params> param;
  std::array<const T*, Params> tparam;
  run_mode mode{};
};

}  // namespace ctnn::core
