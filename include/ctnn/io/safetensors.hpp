#pragma once
// safetensors files with the graph's parameter names, so parameters move between ctnn and PyTorch.
//
//   ctnn::io::save_safetensors("model.safetensors", p);
//   ctnn::io::load_safetensors("model.safetensors", p);   // p is changed only if the file is valid
//
// A tensor per parameter block, named "owner.role": op::dense<"fc1", ...> gives "fc1.weight"
// [out, in] and "fc1.bias" [out], as a PyTorch module with an nn.Linear attribute fc1 names them
// in model.state_dict(). network<input<4>, dense<8>, relu, dense<3>> names its layers after the
// modules of nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)) (every layer after
// input<N> is one module, an activation too): "0.weight" [8, 4], "0.bias" [8], "2.weight" [3, 8]
// and "2.bias" [3]. W is out × in row-major in both.
//
// Format: an 8-byte little-endian header length N, N bytes of JSON (padded with spaces so the
// data starts 8-byte aligned)
//   {"__metadata__": {"format": "pt", "ctnn.network": "input<4>,dense<8>,relu,dense<3>"},
//    "0.weight": {"dtype": "F32", "shape": [8, 4], "data_offsets": [0, 128]}, ...}
// then the tensors' raw little-endian bytes.
//
// Reading: F32 and F64 tensors are both accepted and converted to the program's T (double ->
// float rounds to nearest; a finite value beyond float's range is an error, not an infinity).
// The reader is strict, as the reference implementation is: the header length must fit in the
// file, every tensor's byte range must match its shape and dtype, lie inside the data and not
// overlap another, and the tensors must cover the data exactly. Tensor names and shapes must be
// exactly the network's (a missing, extra or differently shaped tensor is named in the message).
// "__metadata__" is optional (PyTorch writes none); when it holds "ctnn.network" (ctnn writes
// it), that signature must be this program's network, so activations are checked too.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../nn/network.hpp"
#include "detail/architecture.hpp"
#include "detail/atomic_write.hpp"
#include "detail/byte_order.hpp"
#include "detail/json.hpp"
#include "file_error.hpp"
#include "model_file.hpp"

namespace ctnn::io {

namespace detail {

// One tensor of the network as safetensors names it.
struct tensor_slot {
  std::string name;                 // "2.weight"
  std::vector<std::uint64_t> shape;  // {out, in} or {out}
  std::size_t offset = 0;           // first value in the flat parameter block
  std::size_t count = 0;
};

// The graph's parameter blocks as tensors named "owner.role" (a dense node "fc1": "fc1.weight",
// "fc1.bias"; network<...> names its layers by module index: "0.weight", "2.weight", ...).
template <class Net>
std::vector<tensor_slot> graph_tensors() {
  std::vector<tensor_slot> slots;
  for (std::size_t b = 0; b < Net::block_count; ++b) {
    const auto& r = Net::table::records[Net::layout::first_record[b]];
    tensor_slot slot;
    slot.name = std::string(Net::block_owner(b)) + "." + std::string(Net::block_role(b));
    for (std::size_t d = 0; d < r.rank; ++d) slot.shape.push_back(r.dims[d]);
    slot.offset = Net::layout::offset[b];
    slot.count = r.size;
    slots.push_back(std::move(slot));
  }
  return slots;
}

inline std::string shape_text(const std::vector<std::uint64_t>& shape) {
  std::string s = "[";
  for (std::size_t k = 0; k < shape.size(); ++k) s += (k ? ", " : "") + std::to_string(shape[k]);
  return s + "]";
}

inline std::string json_quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\u00";
      out += hex[(c >> 4) & 0xF];
      out += hex[c & 0xF];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// Bytes per value of a safetensors dtype ctnn reads, or 0 (with `known` saying whether the name
// is a dtype at all).
inline std::size_t dtype_size(std::string_view dtype, bool& known) {
  known = true;
  if (dtype == "F32") return 4;
  if (dtype == "F64") return 8;
  constexpr std::string_view others[] = {"BOOL", "U8",  "I8",  "F8_E5M2", "F8_E4M3", "I16", "U16",
                                         "F16",  "BF16", "I32", "U32",     "I64",     "U64"};
  known = std::find(std::begin(others), std::end(others), dtype) != std::end(others);
  return 0;
}

struct tensor_entry {
  std::string name;
  std::size_t value_bytes = 0;
  std::vector<std::uint64_t> shape;
  std::uint64_t begin = 0, end = 0;
};

}  // namespace detail

// Writes p as a safetensors file (replacing `file` atomically), dtype F32 for float, F64 for
// double. Throws file_error if the file cannot be written; the previous file is then unchanged.
template <class Net, class T>
void save_safetensors(const std::filesystem::path& file, const parameters<Net, T>& p) {
  const auto slots = detail::graph_tensors<Net>();
  const char* dtype = sizeof(T) == 4 ? "F32" : "F64";
  std::string header = "{\"__metadata__\":{\"format\":\"pt\",\"ctnn.network\":" +
                       detail::json_quoted(architecture_signature<Net>) + "}";
  std::uint64_t at = 0;
  for (const auto& slot : slots) {
    const std::uint64_t bytes = slot.count * sizeof(T);
    // Appended piece by piece (g++ 12 -O3 warns falsely about "literal" + std::string, bug 105329).
    header += ',';
    header += detail::json_quoted(slot.name);
    header += ":{\"dtype\":\"";
    header += dtype;
    header += "\",\"shape\":";
    header += detail::shape_text(slot.shape);
    header += ",\"data_offsets\":[";
    header += std::to_string(at);
    header += ',';
    header += std::to_string(at + bytes);
    header += "]}";
    at += bytes;
  }
  header += "}";
  header.append((8 - header.size() % 8) % 8, ' ');  // the data then starts 8-byte aligned

  std::vector<unsigned char> out(8 + header.size() + p.size() * sizeof(T));
  detail::store_le<std::uint64_t>(out.data(), header.size());
  std::copy(header.begin(), header.end(), out.begin() + 8);
  unsigned char* data = out.data() + 8 + header.size();
  for (const auto& slot : slots)
    for (std::size_t k = 0; k < slot.count; ++k, data += sizeof(T))
      detail::store_le<T>(data, p[slot.offset + k]);
  detail::atomic_write("save_safetensors", file, out);
}

// Reads a safetensors file into p (see the top of this header for what is checked). Throws
// file_error naming the file and the problem; p is then unchanged.
template <class Net, class T>
void load_safetensors(const std::filesystem::path& file, parameters<Net, T>& p) {
  const char* reader = "load_safetensors";
  const auto fail = [&](const std::string& problem) { detail::file_failed(reader, file, "", problem); };
  const std::uint64_t size = detail::regular_file_size(reader, file);
  if (size < 8)
    fail("the file is truncated: " + std::to_string(size) +
         " bytes, a safetensors file starts with an 8-byte header length");
  const auto length_bytes = detail::read_prefix(reader, file, 8);
  if (length_bytes.size() != 8) fail("the file changed while it was read");
  const auto header_length = detail::load_le<std::uint64_t>(length_bytes.data());
  constexpr std::uint64_t max_header = 100'000'000;  // the reference implementation's limit
  if (header_length > size - 8)
    fail("the header length " + std::to_string(header_length) + " exceeds the file (" +
         std::to_string(size) + " bytes): the file is truncated or not a safetensors file");
  if (header_length > max_header)
    fail("the header length " + std::to_string(header_length) + " exceeds 100 MB");
  if (header_length == 0) fail("the header is empty (length 0)");
  auto bytes = detail::read_prefix(reader, file, 8 + header_length);
  if (bytes.size() != 8 + header_length) fail("the file changed while it was read");
  const std::string_view text(reinterpret_cast<const char*>(bytes.data() + 8), header_length);
  if (text.front() != '{') fail("the header does not start with '{' (not a safetensors file?)");
  const auto root = detail::json_parser(reader, file, text, 8).parse_document();
  const std::uint64_t data_size = size - 8 - header_length;

  // The header on its own: well-formed entries whose byte ranges tile the data exactly.
  std::vector<detail::tensor_entry> entries;
  const detail::json_value* metadata = nullptr;
  for (std::size_t m = 0; m < root.keys.size(); ++m) {
    const std::string& name = root.keys[m];
    const auto& info = root.items[m];
    const std::string what = "tensor '" + name + "'";
    if (name == "__metadata__") {
      if (info.type != detail::json_value::kind::object)
        fail("__metadata__ is " + std::string(detail::json_kind_name(info.type)) + ", not an object");
      for (std::size_t k = 0; k < info.keys.size(); ++k)
        if (info.items[k].type != detail::json_value::kind::string)
          fail("__metadata__ entry '" + info.keys[k] + "' is not a string");
      metadata = &info;
      continue;
    }
    if (info.type != detail::json_value::kind::object) fail(what + " is not described by an object");
    for (const auto& key : info.keys)
      if (key != "dtype" && key != "shape" && key != "data_offsets")
        fail(what + " has an unknown field '" + key + "'");
    const auto* dtype = info.find("dtype");
    const auto* shape = info.find("shape");
    const auto* offsets = info.find("data_offsets");
    if (!dtype || !shape || !offsets) fail(what + " lacks one of dtype, shape, data_offsets");
    if (dtype->type != detail::json_value::kind::string) fail(what + ": dtype is not a string");
    detail::tensor_entry e;
    e.name = name;
    bool known = false;
    e.value_bytes = detail::dtype_size(dtype->string, known);
    if (e.value_bytes == 0)
      fail(what + " has " + (known ? "dtype " : "an unknown dtype ") + dtype->string +
           (known ? ", which ctnn does not read (it reads F32 and F64)" : ""));
    if (shape->type != detail::json_value::kind::array) fail(what + ": shape is not an array");
    std::uint64_t values = 1;
    bool overflow = false;
    for (const auto& d : shape->items) {
      if (d.type != detail::json_value::kind::integer) fail(what + ": shape holds a non-integer");
      e.shape.push_back(d.integer);
      if (d.integer != 0 && values > UINT64_MAX / d.integer) overflow = true;
      else values *= d.integer;
    }
    if (offsets->type != detail::json_value::kind::array || offsets->items.size() != 2 ||
        offsets->items[0].type != detail::json_value::kind::integer ||
        offsets->items[1].type != detail::json_value::kind::integer)
      fail(what + ": data_offsets is not a pair of integers [begin, end]");
    e.begin = offsets->items[0].integer;
    e.end = offsets->items[1].integer;
    const std::string range = "data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) + "]";
    if (e.begin > e.end) fail(what + ": " + range + " end before they begin");
    if (e.end > data_size)
      fail(what + ": " + range + " reach past the end of the data (" + std::to_string(data_size) +
           " bytes): the file is truncated or its header is wrong");
    if (overflow || values > UINT64_MAX / e.value_bytes || values * e.value_bytes != e.end - e.begin)
      fail(what + ": shape " + detail::shape_text(e.shape) + " of dtype " + dtype->string +
           (overflow ? " overflows" : " needs " + std::to_string(values * e.value_bytes) + " bytes") +
           ", but " + range + " hold " + std::to_string(e.end - e.begin));
    entries.push_back(std::move(e));
  }
  std::vector<const detail::tensor_entry*> by_offset;
  for (const auto& e : entries) by_offset.push_back(&e);
  std::sort(by_offset.begin(), by_offset.end(),
            [](auto* a, auto* b) { return a->begin != b->begin ? a->begin < b->begin : a->end < b->end; });
  std::uint64_t covered = 0;
  const detail::tensor_entry* previous = nullptr;
  for (const auto* e : by_offset) {
    if (e->begin < covered)
      fail("tensors '" + previous->name + "' and '" + e->name + "' overlap in the data (bytes " +
           std::to_string(e->begin) + " to " + std::to_string(std::min(covered, e->end)) + ")");
    if (e->begin > covered)
      fail("bytes " + std::to_string(covered) + " to " + std::to_string(e->begin) +
           " of the data belong to no tensor");
    covered = e->end;
    previous = e;
  }
  if (covered != data_size)
    fail(std::to_string(data_size - covered) + " bytes after the last tensor belong to no tensor");

  // The header against the network.
  const std::string_view signature = architecture_signature<Net>;
  const auto slots = detail::graph_tensors<Net>();
  if (metadata != nullptr) {
    const auto* saved = metadata->find("ctnn.network");
    if (saved != nullptr && saved->string != signature)
      fail("the file was saved for network " + saved->string + " but this program's network is " +
           std::string(signature));
  }
  std::vector<const detail::tensor_entry*> source(slots.size(), nullptr);
  for (std::size_t s = 0; s < slots.size(); ++s) {
    for (const auto& e : entries)
      if (e.name == slots[s].name) source[s] = &e;
    if (source[s] == nullptr)
      fail("tensor '" + slots[s].name + "' (shape " + detail::shape_text(slots[s].shape) +
           ") is missing; network " + std::string(signature) + " needs it");
    if (source[s]->shape != slots[s].shape)
      fail("tensor '" + slots[s].name + "' has shape " + detail::shape_text(source[s]->shape) +
           ", network " + std::string(signature) + " expects " + detail::shape_text(slots[s].shape));
  }
  for (const auto& e : entries) {
    const bool expected = std::any_of(slots.begin(), slots.end(),
                                      [&](const auto& slot) { return slot.name == e.name; });
    if (!expected) {
      std::string names;
      for (const auto& slot : slots) names += (names.empty() ? "" : ", ") + slot.name;
      fail("unexpected tensor '" + e.name + "': network " + std::string(signature) +
           " has exactly " + names);
    }
  }

  // The data: now known to be exactly the network's tensors, so its size is bounded.
  bytes = detail::read_prefix(reader, file, size);
  if (bytes.size() != size) fail("the file changed while it was read");
  const unsigned char* data = bytes.data() + 8 + header_length;
  std::vector<T> values(p.size());
  for (std::size_t s = 0; s < slots.size(); ++s) {
    const auto& e = *source[s];
    for (std::size_t k = 0; k < slots[s].count; ++k) {
      const unsigned char* at = data + e.begin + k * e.value_bytes;
      if (e.value_bytes == sizeof(T)) {
        values[slots[s].offset + k] = detail::load_le<T>(at);
      } else if (e.value_bytes == 4) {
        values[slots[s].offset + k] = static_cast<T>(detail::load_le<float>(at));
      } else {
        const double v = detail::load_le<double>(at);
        if (std::isfinite(v) && std::fabs(v) > double(std::numeric_limits<T>::max())) {
          char text[32];
          std::snprintf(text, sizeof text, "%.17g", v);
          detail::file_failed(reader, file, "byte " + std::to_string(8 + header_length + e.begin + k * 8),
                              std::string("value ") + text + " of tensor '" + e.name + "' (element " +
                                  std::to_string(k) + ") is beyond the range of float");
        }
        values[slots[s].offset + k] = static_cast<T>(v);
      }
    }
  }
  std::copy(values.begin(), values.end(), p.data());
}

}  // namespace ctnn::io
