// ctnn::inspect::dot: the DOT text is parsed here (a small parser for the subset of the DOT
// language it uses) and checked against what the network type implies:
//   - the structure is valid: one digraph, balanced braces, statements that end in ';', every
//     edge's endpoints declared as nodes, no node declared twice;
//   - the node set, the forward (solid) edges and the backward (dashed) edges are exactly the ones
//     written out here from the stage list (and by hand for a residual block, whose δ sums two
//     contributions); dotted edges only go from forward values, parameters and targets into
//     backward nodes; the labels carry the shapes and say what equations<...>() says;
//   - when Graphviz's `dot` is on PATH, `dot -Tsvg` accepts the text (else that part is skipped
//     with a message: graphviz is not a build dependency);
//   - the parser itself rejects broken text, so the checks above can fail.

#include <doctest/doctest.h>
#include <unistd.h>

#include <boost/hana/for_each.hpp>
#include <cctype>
#include <cstddef>
#include <cstdlib>
#include <ctnn/inspect/dot.hpp>
#include <ctnn/inspect/equations.hpp>
#include <ctnn/nn/network.hpp>
#include <ctnn/ops/arithmetic.hpp>
#include <ctnn/ops/loss.hpp>
#include <filesystem>
#include <sstream>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

// ---- a parser for the DOT subset: digraph ID { (attr_stmt | node_stmt | edge_stmt) ; ... } ----

struct edge {
  std::string from, to;
  std::map<std::string, std::string> attributes;
};

struct graph {
  std::string error;  // empty when the text parsed
  std::map<std::string, std::map<std::string, std::string>> nodes;
  std::vector<edge> edges;
};

struct token {
  enum kind_t { id, quoted, punct, arrow, end } kind;
  std::string text;
};

// Splits DOT text into tokens; returns false (with a message) on text that is not DOT.
bool tokenize(std::string_view s, std::vector<token>& out, std::string& error) {
  std::size_t k = 0;
  while (k < s.size()) {
    const char c = s[k];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++k;
    } else if (s.substr(k, 2) == "//") {
      while (k < s.size() && s[k] != '\n') ++k;
    } else if (c == '"') {
      std::string text;
      ++k;
      while (k < s.size() && s[k] != '"') {
        if (s[k] == '\\' && k + 1 < s.size()) text += s[k++];
        text += s[k++];
      }
      if (k == s.size()) {
        error = "unterminated string";
        return false;
      }
      ++k;
      out.push_back({token::quoted, text});
    } else if (s.substr(k, 2) == "->") {
      out.push_back({token::arrow, "->"});
      k += 2;
    } else if (std::string_view("{}[];,=").find(c) != std::string_view::npos) {
      out.push_back({token::punct, std::string(1, c)});
      ++k;
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '#') {
      std::string text;
      while (k < s.size() && (std::isalnum(static_cast<unsigned char>(s[k])) || s[k] == '_' ||
                              s[k] == '.' || s[k] == '#'))
        text += s[k++];
      out.push_back({token::id, text});
    } else {
      error = "unexpected character '" + std::string(1, c) + "'";
      return false;
    }
  }
  out.push_back({token::end, ""});
  return true;
}

graph parse_dot(std::string_view text) {
  graph g;
  std::vector<token> t;
  if (!tokenize(text, t, g.error)) return g;
  std::size_t k = 0;
  auto fail = [&](const std::string& why) {
    if (g.error.empty())
      g.error = why + " at token " + std::to_string(k) + " ('" + t[k].text + "')";
  };
  auto is = [&](token::kind_t kind, std::string_view s = {}) {
    return t[k].kind == kind && (s.empty() || t[k].text == s);
  };
  auto value = [&] { return is(token::id) || is(token::quoted); };
  // [a=b, c="d"]
  auto attributes = [&](std::map<std::string, std::string>& into) {
    ++k;  // '['
    while (g.error.empty() && !is(token::punct, "]")) {
      if (!is(token::id)) return fail("expected an attribute name");
      const std::string name = t[k++].text;
      if (!is(token::punct, "=")) return fail("expected '='");
      ++k;
      if (!value()) return fail("expected an attribute value");
      into[name] = t[k++].text;
      if (is(token::punct, ","))
        ++k;
      else if (!is(token::punct, "]"))
        return fail("expected ',' or ']'");
    }
    ++k;  // ']'
  };

  if (!is(token::id, "digraph")) {
    fail("expected 'digraph'");
    return g;
  }
  ++k;
  if (is(token::id)) ++k;
  if (!is(token::punct, "{")) {
    fail("expected '{'");
    return g;
  }
  ++k;
  std::set<std::string> declared;
  while (g.error.empty() && !is(token::punct, "}")) {
    if (is(token::end)) {
      fail("missing '}'");
      break;
    }
    if (!is(token::id)) {
      fail("expected a statement");
      break;
    }
    const std::string first = t[k++].text;
    std::map<std::string, std::string> attrs;
    if (first == "graph" || first == "node" || first == "edge") {
      if (!is(token::punct, "["))
        fail("expected '[' after " + first);
      else
        attributes(attrs);
    } else if (is(token::arrow)) {
      std::vector<std::string> chain = {first};
      while (g.error.empty() && is(token::arrow)) {
        ++k;
        if (!is(token::id))
          fail("expected a node id after '->'");
        else
          chain.push_back(t[k++].text);
      }
      if (g.error.empty() && is(token::punct, "[")) attributes(attrs);
      for (std::size_t e = 0; e + 1 < chain.size(); ++e)
        g.edges.push_back({chain[e], chain[e + 1], attrs});
    } else {
      if (is(token::punct, "[")) attributes(attrs);
      if (!declared.insert(first).second) fail("node '" + first + "' declared twice");
      g.nodes[first] = attrs;
    }
    if (g.error.empty()) {
      if (!is(token::punct, ";"))
        fail("expected ';'");
      else
        ++k;
    }
  }
  if (g.error.empty()) {
    ++k;  // '}'
    if (!is(token::end)) fail("text after the closing '}'");
  }
  if (g.error.empty()) {
    for (const edge& e : g.edges) {
      if (!g.nodes.count(e.from)) g.error = "edge from undeclared node '" + e.from + "'";
      if (!g.nodes.count(e.to)) g.error = "edge to undeclared node '" + e.to + "'";
    }
  }
  return g;
}

// Braces outside quoted strings: never more closing than opening, and as many of each.
bool balanced_braces(std::string_view text) {
  long depth = 0;
  bool in_string = false;
  for (std::size_t k = 0; k < text.size(); ++k) {
    const char c = text[k];
    if (in_string) {
      if (c == '\\')
        ++k;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}' && --depth < 0) {
      return false;
    }
  }
  return depth == 0 && !in_string;
}

// ---- what a network's graph must contain --------------------------------------------------------
// Ids (inspect/dot.hpp): inputs by name (x), n<k> for the values of graph node k, p<b> for
// parameter block b and g<b> for its gradient, d<k> for the δ of node k (d0: ∇ₓC, x being node
// 0), C the loss and t its target. In a chain x is node 0 and each dense layer is the node after
// the previous layer's last node, followed by its activation's node if it has one; layer l's W
// and b are blocks 2(l−1) and 2(l−1) + 1.

struct stage_shape {
  std::size_t in, out;
  bool activation;  // an activation layer follows (a node of its own)
  bool elementwise;  // ... which the next dense layer takes through its derivative
};

template <class Net>
std::vector<stage_shape> shapes_of() {
  std::vector<stage_shape> shapes;
  boost::hana::for_each(Net::stages, [&](auto stage) {
    using S = typename decltype(stage)::type;
    constexpr bool activation = S::activation_position != ctnn::nn::no_position;
    shapes.push_back({S::in, S::out, activation, activation && ctnn::elementwise<typename S::activation>});
  });
  return shapes;
}

using edge_set = std::set<std::pair<std::string, std::string>>;

std::string id(const char* prefix, std::size_t k) {
  std::string s(prefix);
  s += std::to_string(k);
  return s;
}

// "[" + text + "]", without operator+ on temporaries (g++ 12 -O3 warns -Wrestrict on those).
std::string bracketed(const std::string& text) {
  std::string s = "[";
  s += text;
  s += "]";
  return s;
}

edge_set edges_with_style(const graph& g, const std::string& style) {
  edge_set out;
  for (const edge& e : g.edges) {
    const auto s = e.attributes.find("style");
    if ((s == e.attributes.end() ? std::string() : s->second) == style) out.insert({e.from, e.to});
  }
  return out;
}

std::string label_of(const graph& g, const std::string& node) {
  const auto n = g.nodes.find(node);
  REQUIRE_MESSAGE(n != g.nodes.end(), node);
  const auto l = n->second.find("label");
  REQUIRE(l != n->second.end());
  return l->second;
}

// The graph node indices of a chain's layers: dense[l], and act[l] (0 when there is none).
struct chain_nodes {
  std::vector<std::size_t> dense, act;
};
chain_nodes number_nodes(const std::vector<stage_shape>& shapes) {
  chain_nodes n;
  std::size_t k = 0;  // x
  for (const stage_shape& s : shapes) {
    n.dense.push_back(++k);
    n.act.push_back(s.activation ? ++k : 0);
  }
  return n;
}

// loss_fused: the loss takes the last activation into its own δ (a cross-entropy after its
// sigmoid or softmax), so that activation has no δ node.
void check_graph(std::string_view text, const std::vector<stage_shape>& shapes, bool loss_fused) {
  CHECK(balanced_braces(text));
  const graph g = parse_dot(text);
  REQUIRE_MESSAGE(g.error.empty(), g.error);
  const std::size_t L = shapes.size();
  const chain_nodes n = number_nodes(shapes);
  const std::size_t last = shapes.back().activation ? n.act.back() : n.dense.back();
  const bool last_has_delta = shapes.back().activation && !loss_fused;
  // The first δ the loss writes: of the last activation, or straight of the last dense layer.
  const std::string first_delta = id("d", last_has_delta ? n.act.back() : n.dense.back());

  std::set<std::string> nodes = {"x", "t", "C", "d0"};
  edge_set forward = {{id("n", last), "C"}, {"t", "C"}};
  edge_set backward = {{"C", first_delta}};
  edge_set reads = {{"t", first_delta}};  // the loss's δ reads the target
  if (last_has_delta) backward.insert({first_delta, id("d", n.dense.back())});
  for (std::size_t l = 1; l <= L; ++l) {
    const stage_shape& s = shapes[l - 1];
    const std::size_t z = n.dense[l - 1], w = 2 * (l - 1), b = w + 1;
    for (const std::string& name : {id("n", z), id("d", z), id("p", w), id("p", b), id("g", w), id("g", b)})
      nodes.insert(name);
    if (s.activation) {
      nodes.insert(id("n", n.act[l - 1]));
      if (l < L || last_has_delta) nodes.insert(id("d", n.act[l - 1]));
      forward.insert({id("n", z), id("n", n.act[l - 1])});
    }
    const std::size_t input = l == 1 ? 0 : (shapes[l - 2].activation ? n.act[l - 2] : n.dense[l - 2]);
    forward.insert({l == 1 ? std::string("x") : id("n", input), id("n", z)});
    forward.insert({id("p", w), id("n", z)});
    forward.insert({id("p", b), id("n", z)});
    backward.insert({id("d", z), id("g", w)});
    backward.insert({id("d", z), id("g", b)});
    // δ of the input: ∇ₓC; through the previous activation (δa, then its δ); or straight.
    backward.insert({id("d", z), id("d", input)});
    if (l > 1 && shapes[l - 2].activation) {
      backward.insert({id("d", input), id("d", n.dense[l - 2])});
      // An elementwise activation is taken through its derivative, which reads its values.
      if (shapes[l - 2].elementwise) reads.insert({id("n", input), id("d", n.dense[l - 2])});
    }
  }
  std::set<std::string> got_nodes;
  for (const auto& [name, attrs] : g.nodes) got_nodes.insert(name);
  CHECK(got_nodes == nodes);
  CHECK(edges_with_style(g, "") == forward);
  CHECK(edges_with_style(g, "dashed") == backward);

  // Dotted edges: a backward step reading a forward value, a parameter or the target; at least
  // the ones above (see the test case on reads below for the rest).
  const edge_set dotted = edges_with_style(g, "dotted");
  for (const auto& read : reads) {
    CAPTURE(read.first);
    CAPTURE(read.second);
    CHECK(dotted.count(read) == 1);
  }
  for (const auto& read : dotted) {
    CAPTURE(read.first);
    CAPTURE(read.second);
    CHECK(std::string("dg").find(read.first[0]) == std::string::npos);  // x, t, n<k>, p<b>
    CHECK(std::string("dg").find(read.second[0]) != std::string::npos);  // d<k>, g<b>
  }
  for (const edge& e : g.edges) {
    if (e.attributes.count("style")) {
      CHECK(e.attributes.count("color") == 1);  // backward edges are coloured, forward ones not
    }
    CHECK(e.attributes.count("label") == 0);  // no "+=": a chain sums no contributions
  }

  // Labels carry the shapes.
  CHECK(label_of(g, "x").find(bracketed(std::to_string(shapes.front().in))) != std::string::npos);
  CHECK(label_of(g, "t").find(bracketed(std::to_string(shapes.back().out))) != std::string::npos);
  CHECK(label_of(g, "d0").find(bracketed(std::to_string(shapes.front().in))) != std::string::npos);
  for (std::size_t l = 1; l <= L; ++l) {
    const std::string in = std::to_string(shapes[l - 1].in), out = std::to_string(shapes[l - 1].out);
    const std::size_t z = n.dense[l - 1], w = 2 * (l - 1);
    CAPTURE(l);
    CHECK(label_of(g, id("p", w)).find(bracketed(out + "×" + in)) != std::string::npos);
    CHECK(label_of(g, id("g", w)).find(bracketed(out + "×" + in)) != std::string::npos);
    CHECK(label_of(g, id("p", w + 1)).find(bracketed(out)) != std::string::npos);
    CHECK(label_of(g, id("g", w + 1)).find(bracketed(out)) != std::string::npos);
    CHECK(label_of(g, id("n", z)).find(bracketed(out)) != std::string::npos);
    CHECK(label_of(g, id("d", z)).find(bracketed(out)) != std::string::npos);
    if (shapes[l - 1].activation) {
      CHECK(label_of(g, id("n", n.act[l - 1])).find(bracketed(out)) != std::string::npos);
      if (nodes.count(id("d", n.act[l - 1])))
        CHECK(label_of(g, id("d", n.act[l - 1])).find(bracketed(out)) != std::string::npos);
    }
  }
}

// Every label says what equations<...>() says: a value node's and a gradient's equation is a line
// of the equations (shapes written differently), a δ node's symbol is the left-hand side of one.
void check_labels_match(const graph& g, std::string_view equations) {
  REQUIRE(g.error.empty());
  std::size_t checked = 0;
  for (const auto& node : g.nodes) {
    const std::string& name = node.first;  // not a structured binding: CAPTURE below is a lambda
    const auto l = node.second.find("label");
    if (l == node.second.end()) continue;
    const std::string label = l->second;
    const std::string first = label.substr(0, label.find("\\n"));
    CAPTURE(name);
    CAPTURE(label);
    if (name[0] == 'n' || name[0] == 'g') {
      CHECK(equations.find("\n  " + first) != std::string_view::npos);
      ++checked;
    } else if (name[0] == 'd') {
      const std::string symbol = first.substr(0, first.find(" = Σ"));
      CHECK((equations.find("\n  " + symbol + " = ") != std::string_view::npos ||
             equations.find("\n  " + symbol + " += ") != std::string_view::npos));
      ++checked;
    }
  }
  CHECK(checked > 0);
}

using xor_net =
    ctnn::network<ctnn::input<2>, ctnn::dense<8>, ctnn::tanh, ctnn::dense<1>, ctnn::sigmoid>;
using mnist_net = ctnn::network<ctnn::input<784>, ctnn::dense<128>, ctnn::relu, ctnn::dense<10>>;
using three = ctnn::network<ctnn::input<4>, ctnn::dense<6>, ctnn::relu, ctnn::dense<5>,
                            ctnn::softmax, ctnn::dense<3>, ctnn::sigmoid>;
using single = ctnn::network<ctnn::input<3>, ctnn::dense<2>>;
using stacked = ctnn::network<ctnn::input<3>, ctnn::dense<4>, ctnn::dense<5>, ctnn::tanh,
                              ctnn::dense<2>, ctnn::softmax>;

// A residual block: h = relu(W¹x + b¹) feeds both the second layer and the sum, so its δ sums
// two contributions.
namespace op = ctnn::op;
using rx = op::input<"x", 3>;
using rh = op::relu<op::dense<"fc1", 4, rx>>;
using ry = op::dense<"head", 2, op::add<rh, op::relu<op::dense<"fc2", 4, rh>>>>;
using residual = ctnn::graph<ctnn::outputs<ry>, ctnn::objective<op::squared_error<ry>>>;

}  // namespace

TEST_CASE("dot: the parser used below rejects broken text") {
  CHECK(parse_dot("digraph g {\n  x [label=\"x\"];\n  x -> x;\n}\n").error.empty());
  CHECK_FALSE(parse_dot("digraph g {\n  x [label=\"x\"];\n").error.empty());  // no '}'
  CHECK_FALSE(parse_dot("digraph g {\n  x [label=\"x\"];\n  x -> y;\n}\n").error.empty());
  CHECK_FALSE(parse_dot("digraph g {\n  x [label=\"x];\n}\n").error.empty());   // string
  CHECK_FALSE(parse_dot("digraph g {\n  x [label=\"x\"]\n}\n").error.empty());  // ';'
  CHECK_FALSE(parse_dot("digraph g {\n  x;\n  x;\n}\n").error.empty());         // twice
  CHECK_FALSE(parse_dot("digraph g {\n  x;\n}\n}\n").error.empty());
  CHECK_FALSE(balanced_braces("digraph g { { }"));
  CHECK_FALSE(balanced_braces("digraph g } {"));
  CHECK(balanced_braces("digraph g { x [label=\"}\"]; }"));
}

TEST_CASE("dot: nodes, forward and backward edges and shapes follow the network") {
  check_graph(ctnn::inspect::dot<xor_net, ctnn::binary_cross_entropy>().view(),
              shapes_of<xor_net>(), true);
  check_graph(ctnn::inspect::dot<xor_net, ctnn::squared_error>().view(), shapes_of<xor_net>(),
              false);
  check_graph(ctnn::inspect::dot<mnist_net, ctnn::softmax_cross_entropy>().view(),
              shapes_of<mnist_net>(), false);
  check_graph(ctnn::inspect::dot<three, ctnn::squared_error>().view(), shapes_of<three>(), false);
  check_graph(ctnn::inspect::dot<single, ctnn::squared_error>().view(), shapes_of<single>(), false);
  check_graph(ctnn::inspect::dot<stacked, ctnn::softmax_cross_entropy>().view(),
              shapes_of<stacked>(), true);
}

TEST_CASE("dot: the labels say what the equations say") {
  const auto& text = ctnn::inspect::dot<xor_net, ctnn::binary_cross_entropy>();
  const graph g = parse_dot(text.view());
  REQUIRE(g.error.empty());
  // Written out by hand from the XOR net: x is node 0, z¹ 1, a¹ 2, z² 3, a² 4.
  CHECK(g.nodes.at("x").at("label") == "x\\n[2]");
  CHECK(g.nodes.at("p0").at("label") == "W¹\\n[8×2]");
  CHECK(g.nodes.at("p3").at("label") == "b²\\n[1]");
  CHECK(g.nodes.at("n1").at("label") == "z¹ = W¹ x + b¹\\n[8]");
  CHECK(g.nodes.at("n4").at("label") == "a² = σ(z²)\\n[1]");
  CHECK(g.nodes.at("C").at("label") == "C = Σ (softplus(z²) − t ⊙ z²)\\nbinary_cross_entropy");
  CHECK(g.nodes.at("d3").at("label") == "δ²\\n[1]");
  CHECK(g.nodes.at("d2").at("label") == "δa¹\\n[8]");
  CHECK(g.nodes.at("d1").at("label") == "δ¹\\n[8]");
  CHECK(g.nodes.at("g0").at("label") == "∂W¹ = δ¹ xᵀ\\n[8×2]");
  CHECK(g.nodes.at("g3").at("label") == "∂b² = δ²\\n[1]");
  CHECK(g.nodes.at("d0").at("label") == "∇ₓC\\n[2] (on request)");
  check_labels_match(g, ctnn::inspect::equations<xor_net, ctnn::binary_cross_entropy>().view());
  check_labels_match(parse_dot(ctnn::inspect::dot<three, ctnn::squared_error>().view()),
                     ctnn::inspect::equations<three, ctnn::squared_error>().view());
  check_labels_match(parse_dot(ctnn::inspect::dot<residual>().view()),
                     ctnn::inspect::equations<residual>().view());
}

TEST_CASE("dot: a node read twice sums its δ, the second contribution labelled +=") {
  const std::string_view text = ctnn::inspect::dot<residual>().view();
  CHECK(balanced_braces(text));
  const graph g = parse_dot(text);
  REQUIRE_MESSAGE(g.error.empty(), g.error);
  // Nodes: x 0, z¹ 1, a¹ 2, z² 3, a² 4, v₅ = a¹ + a² 5, z³ 6; blocks fc1 0-1, fc2 2-3, head 4-5.
  std::set<std::string> got_nodes;
  for (const auto& [name, attrs] : g.nodes) got_nodes.insert(name);
  const std::set<std::string> nodes = {"x",  "t",  "C",  "n1", "n2", "n3", "n4", "n5", "n6",
                                       "p0", "p1", "p2", "p3", "p4", "p5", "g0", "g1", "g2",
                                       "g3", "g4", "g5", "d0", "d1", "d2", "d3", "d4", "d5", "d6"};
  CHECK(got_nodes == nodes);
  const edge_set forward = {{"x", "n1"},  {"p0", "n1"}, {"p1", "n1"}, {"n1", "n2"}, {"n2", "n3"},
                            {"p2", "n3"}, {"p3", "n3"}, {"n3", "n4"}, {"n2", "n5"}, {"n4", "n5"},
                            {"n5", "n6"}, {"p4", "n6"}, {"p5", "n6"}, {"n6", "C"},  {"t", "C"}};
  CHECK(edges_with_style(g, "") == forward);
  // Backward: δz³ from C; ∂W³, ∂b³ and δv₅ from it; the sum passes δv₅ to a¹ and a²; relu'
  // takes δa² to δz², which gives ∂W², ∂b² and adds W²ᵀδz² into δa¹; relu' takes δa¹ to δz¹.
  const edge_set backward = {{"C", "d6"},  {"d6", "g4"}, {"d6", "g5"}, {"d6", "d5"},
                             {"d5", "d2"}, {"d5", "d4"}, {"d4", "d3"}, {"d3", "g2"},
                             {"d3", "g3"}, {"d3", "d2"}, {"d2", "d1"}, {"d1", "g0"},
                             {"d1", "g1"}, {"d1", "d0"}};
  CHECK(edges_with_style(g, "dashed") == backward);
  std::vector<std::pair<std::string, std::string>> added;
  for (const edge& e : g.edges) {
    const auto l = e.attributes.find("label");
    if (l != e.attributes.end()) {
      CHECK(l->second == "+=");
      added.push_back({e.from, e.to});
    }
  }
  // The sum writes δa¹ first (its step runs before the second layer's), the second layer adds.
  CHECK(added == std::vector<std::pair<std::string, std::string>>{{"d3", "d2"}});
  CHECK(g.nodes.at("d2").at("label") == "δa¹ = Σ of 2\\n[4]");
  CHECK(g.nodes.at("n5").at("label") == "v₅ = a¹ + a²\\n[4]");
  CHECK(g.nodes.at("g4").at("label") == "∂W³ = δ³ v₅ᵀ\\n[2×4]");
}

// The header promises a dotted edge for every value or parameter a backward step reads: the
// dense layers' steps read their input (∂W = δ inputᵀ) and their W (δ input = Wᵀ δ), the loss
// the target.
TEST_CASE("dot: every value and parameter the backward pass reads has a dotted edge") {
  const graph g = parse_dot(ctnn::inspect::dot<xor_net, ctnn::binary_cross_entropy>().view());
  REQUIRE(g.error.empty());
  std::set<std::string> read;
  for (const auto& [from, to] : edges_with_style(g, "dotted")) read.insert(from);
  for (const std::string source : {"x", "n2", "p0", "p2", "t"}) {
    CAPTURE(source);
    CHECK(read.count(source) == 1);
  }
}

TEST_CASE("dot: Graphviz renders it (skipped when dot is not installed)") {
  if (std::system("command -v dot >/dev/null 2>&1") != 0) {
    MESSAGE("Graphviz 'dot' is not on PATH: rendering not checked (Debian package graphviz)");
    return;
  }
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("ctnn_inspect_dot_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto render = [&](std::string_view text, const std::string& name) {
    const auto dot_file = dir / (name + ".dot"), svg_file = dir / (name + ".svg");
    std::ofstream(dot_file) << text;
    const std::string command =
        "dot -Tsvg '" + dot_file.string() + "' -o '" + svg_file.string() + "'";
    CHECK_MESSAGE(std::system(command.c_str()) == 0, command);
    std::ifstream svg(svg_file);
    const std::string content((std::istreambuf_iterator<char>(svg)),
                              std::istreambuf_iterator<char>());
    CHECK(content.find("<svg") != std::string::npos);
  };
  render(ctnn::inspect::dot<xor_net, ctnn::binary_cross_entropy>().view(), "xor");
  render(ctnn::inspect::dot<three, ctnn::squared_error>().view(), "three");
  // The check itself can fail: dot rejects text that is not DOT.
  CHECK(std::system(
            ("echo 'digraph {' | dot -Tsvg -o '" + (dir / "bad.svg").string() + "' 2>/dev/null")
                .c_str()) != 0);
  std::filesystem::remove_all(dir);
}

TEST_CASE("equations and dot print with operator<< on any stream") {
  // std::cout << ctnn::inspect::equations<net, loss>() is what a first program writes.
  std::ostringstream out;
  out << ctnn::inspect::equations<xor_net, ctnn::binary_cross_entropy>() << '|'
      << ctnn::inspect::dot<xor_net, ctnn::binary_cross_entropy>();
  CHECK(out.str() ==
        std::string(ctnn::inspect::equations<xor_net, ctnn::binary_cross_entropy>().view()) + "|" +
            std::string(ctnn::inspect::dot<xor_net, ctnn::binary_cross_entropy>().view()));
  CHECK(out.str().find("digraph") != std::string::npos);
}
