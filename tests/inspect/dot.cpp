// ctnn::inspect::dot: the DOT text is parsed here (a small parser for the subset of the DOT
// language it uses) and checked against what the network type implies:
//   - the structure is valid: one digraph, balanced braces, statements that end in ';', every
//     edge's endpoints declared as nodes, no node declared twice;
//   - the node set, the forward (solid) edges and the backward (dashed) edges are exactly the ones
//     written out here from the stage list; dotted edges only go from forward values into
//     backward nodes; the labels carry the shapes;
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
#include <ctnn/nn/network.hpp>
#include <filesystem>
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

struct stage_shape {
  std::size_t in, out;
};

template <class Net>
std::vector<stage_shape> shapes_of() {
  std::vector<stage_shape> shapes;
  boost::hana::for_each(Net::stages, [&](auto stage) {
    using S = typename decltype(stage)::type;
    shapes.push_back({S::in, S::out});
  });
  return shapes;
}

using edge_set = std::set<std::pair<std::string, std::string>>;

std::string id(const char* prefix, std::size_t l) {
  std::string s(prefix);
  s += std::to_string(l);
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

void check_graph(std::string_view text, const std::vector<stage_shape>& shapes) {
  CHECK(balanced_braces(text));
  const graph g = parse_dot(text);
  REQUIRE_MESSAGE(g.error.empty(), g.error);
  const std::size_t L = shapes.size();

  std::set<std::string> nodes = {"x", "t", "C", "dx"};
  edge_set forward = {{id("a", L), "C"}, {"t", "C"}};
  edge_set backward = {{"C", id("dz", L)}, {"dz1", "dx"}};
  for (std::size_t l = 1; l <= L; ++l) {
    for (const char* p : {"W", "b", "z", "a", "dz", "dW", "db"}) nodes.insert(id(p, l));
    if (l < L) nodes.insert(id("da", l));
    const std::string input = l == 1 ? std::string("x") : id("a", l - 1);
    forward.insert({input, id("z", l)});
    forward.insert({id("W", l), id("z", l)});
    forward.insert({id("b", l), id("z", l)});
    forward.insert({id("z", l), id("a", l)});
    backward.insert({id("dz", l), id("dW", l)});
    backward.insert({id("dz", l), id("db", l)});
    if (l > 1) {
      backward.insert({id("dz", l), id("da", l - 1)});
      backward.insert({id("da", l - 1), id("dz", l - 1)});
    }
  }
  std::set<std::string> got_nodes;
  for (const auto& [name, attrs] : g.nodes) got_nodes.insert(name);
  CHECK(got_nodes == nodes);
  CHECK(edges_with_style(g, "") == forward);
  CHECK(edges_with_style(g, "dashed") == backward);

  // Dotted edges: a backward step reading a forward value or a parameter.
  const edge_set reads = edges_with_style(g, "dotted");
  CHECK(reads.size() >= 2 * L);
  for (const auto& read : reads) {
    CAPTURE(read.first);
    CAPTURE(read.second);
    CHECK(read.first[0] != 'd');   // forward nodes and parameters: x, t, W, b, z, a
    CHECK(read.second[0] == 'd');  // backward nodes: dz, da, dW, db, dx
  }
  for (const edge& e : g.edges) {
    if (e.attributes.count("style")) {
      CHECK(e.attributes.count("color") == 1);  // backward edges are coloured, forward ones not
    }
  }

  // Labels carry the shapes.
  auto label = [&](const std::string& node) {
    const auto n = g.nodes.find(node);
    REQUIRE(n != g.nodes.end());
    const auto l = n->second.find("label");
    REQUIRE(l != n->second.end());
    return l->second;
  };
  CHECK(label("x").find("[" + std::to_string(shapes.front().in) + "]") != std::string::npos);
  CHECK(label("t").find("[" + std::to_string(shapes.back().out) + "]") != std::string::npos);
  for (std::size_t l = 1; l <= L; ++l) {
    const std::string in = std::to_string(shapes[l - 1].in),
                      out = std::to_string(shapes[l - 1].out);
    CAPTURE(l);
    CHECK(label(id("W", l)).find(bracketed(out + "×" + in)) != std::string::npos);
    CHECK(label(id("dW", l)).find(bracketed(out + "×" + in)) != std::string::npos);
    CHECK(label(id("b", l)).find(bracketed(out)) != std::string::npos);
    CHECK(label(id("z", l)).find(bracketed(out)) != std::string::npos);
    CHECK(label(id("dz", l)).find(bracketed(out)) != std::string::npos);
    if (l < L) CHECK(label(id("da", l)).find(bracketed(out)) != std::string::npos);
  }
}

using xor_net =
    ctnn::network<ctnn::input<2>, ctnn::dense<8>, ctnn::tanh, ctnn::dense<1>, ctnn::sigmoid>;
using mnist_net = ctnn::network<ctnn::input<784>, ctnn::dense<128>, ctnn::relu, ctnn::dense<10>>;
using three = ctnn::network<ctnn::input<4>, ctnn::dense<6>, ctnn::relu, ctnn::dense<5>,
                            ctnn::softmax, ctnn::dense<3>, ctnn::sigmoid>;
using single = ctnn::network<ctnn::input<3>, ctnn::dense<2>>;

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
              shapes_of<xor_net>());
  check_graph(ctnn::inspect::dot<mnist_net, ctnn::softmax_cross_entropy>().view(),
              shapes_of<mnist_net>());
  check_graph(ctnn::inspect::dot<three, ctnn::squared_error>().view(), shapes_of<three>());
  check_graph(ctnn::inspect::dot<single, ctnn::squared_error>().view(), shapes_of<single>());
}

TEST_CASE("dot: the labels say what the equations say") {
  const auto& text = ctnn::inspect::dot<xor_net, ctnn::binary_cross_entropy>();
  const graph g = parse_dot(text.view());
  REQUIRE(g.error.empty());
  CHECK(g.nodes.at("z1").at("label") == "z¹ = W¹ x + b¹\\n[8]");
  CHECK(g.nodes.at("a2").at("label") == "a² = σ(z²)\\n[1]");
  CHECK(g.nodes.at("dz2").at("label") == "δ² = a² − t\\n[1]");
  CHECK(g.nodes.at("dz1").at("label") == "δ¹ = tanh'(z¹) ⊙ δa¹\\n[8]");
  CHECK(g.nodes.at("da1").at("label") == "δa¹ = W²ᵀ δ²\\n[8]");
  CHECK(g.nodes.at("dW1").at("label") == "∂W¹ = δ¹ xᵀ\\n[8×2]");
  CHECK(g.nodes.at("dx").at("label") == "∇ₓC = W¹ᵀ δ¹\\n[2] (on request)");
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
