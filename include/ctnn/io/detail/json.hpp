#pragma once
// Internal (ctnn::io::detail, unstable): a small, strict JSON reader for safetensors headers. It
// accepts exactly what such a header needs (objects, arrays, strings with every JSON escape, and
// non-negative integers) and rejects everything else with a file_error that names the byte:
// true/false/null, negative or fractional numbers, duplicate keys, trailing commas, nesting
// deeper than 16 levels, anything after the top-level value except whitespace.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "../file_error.hpp"

namespace ctnn::io::detail {

struct json_value {
  enum class kind { object, array, string, integer };
  kind type = kind::integer;
  std::uint64_t integer = 0;
  std::string string;
  std::vector<json_value> items;  // array elements, or object member values
  std::vector<std::string> keys;  // object member names, parallel to items

  // The member named `key` of an object, or nullptr.
  const json_value* find(std::string_view key) const {
    for (std::size_t k = 0; k < keys.size(); ++k)
      if (keys[k] == key) return &items[k];
    return nullptr;
  }
};

inline const char* json_kind_name(json_value::kind k) {
  switch (k) {
    case json_value::kind::object: return "an object";
    case json_value::kind::array: return "an array";
    case json_value::kind::string: return "a string";
    default: return "an integer";
  }
}

class json_parser {
 public:
  // `text` starts at byte `base` of `file` (used in messages).
  json_parser(const char* reader, const std::filesystem::path& file, std::string_view text,
              std::size_t base)
      : reader_(reader), file_(file), text_(text), base_(base) {}

  json_value parse_document() {
    skip_space();
    json_value v = parse_value(0);
    skip_space();
    if (pos_ != text_.size()) fail("unexpected text after the end of the JSON header");
    return v;
  }

 private:
  static constexpr int max_depth = 16;

  [[noreturn]] void fail(const std::string& problem) const {
    file_failed(reader_, file_, "byte " + std::to_string(base_ + pos_),
                "invalid safetensors header: " + problem);
  }

  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }

  void skip_space() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) ++pos_;
  }

  void expect(char c) {
    if (at_end()) fail(std::string("the header ends where '") + c + "' is expected");
    if (peek() != c) fail(std::string("expected '") + c + "', found '" + peek() + "'");
    ++pos_;
  }

  json_value parse_value(int depth) {
    if (depth > max_depth) fail("nesting deeper than 16 levels");
    if (at_end()) fail("the header ends where a value is expected");
    const char c = peek();
    if (c == '{') return parse_object(depth);
    if (c == '[') return parse_array(depth);
    if (c == '"') {
      json_value v;
      v.type = json_value::kind::string;
      v.string = parse_string();
      return v;
    }
    if (c >= '0' && c <= '9') return parse_integer();
    if (c == '-') fail("negative numbers have no meaning in a safetensors header");
    if (c == 't' || c == 'f' || c == 'n')
      fail("true, false and null have no meaning in a safetensors header (this reader accepts "
           "objects, arrays, strings and non-negative integers)");
    fail(std::string("unexpected character '") + c + "'");
  }

  json_value parse_object(int depth) {
    json_value v;
    v.type = json_value::kind::object;
    expect('{');
    skip_space();
    if (peek() == '}') {
      ++pos_;
      return v;
    }
    for (;;) {
      skip_space();
      if (peek() != '"') fail("expected a member name (a string)");
      std::string key = parse_string();
      if (v.find(key) != nullptr) fail("duplicate key \"" + key + "\"");
      skip_space();
      expect(':');
      skip_space();
      v.items.push_back(parse_value(depth + 1));
      v.keys.push_back(std::move(key));
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      expect('}');
      return v;
    }
  }

  json_value parse_array(int depth) {
    json_value v;
    v.type = json_value::kind::array;
    expect('[');
    skip_space();
    if (peek() == ']') {
      ++pos_;
      return v;
    }
    for (;;) {
      skip_space();
      v.items.push_back(parse_value(depth + 1));
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      expect(']');
      return v;
    }
  }

  json_value parse_integer() {
    json_value v;
    v.type = json_value::kind::integer;
    if (peek() == '0' && pos_ + 1 < text_.size() && text_[pos_ + 1] >= '0' && text_[pos_ + 1] <= '9')
      fail("a number with a leading zero");
    while (!at_end() && peek() >= '0' && peek() <= '9') {
      const unsigned digit = static_cast<unsigned>(peek() - '0');
      if (v.integer > (UINT64_MAX - digit) / 10) fail("an integer larger than 2^64 - 1");
      v.integer = v.integer * 10 + digit;
      ++pos_;
    }
    if (peek() == '.' || peek() == 'e' || peek() == 'E')
      fail("fractional numbers have no meaning in a safetensors header");
    return v;
  }

  unsigned parse_hex4() {
    unsigned u = 0;
    for (int k = 0; k < 4; ++k, ++pos_) {
      if (at_end()) fail("the header ends inside a \\u escape");
      const char c = peek();
      u <<= 4;
      if (c >= '0' && c <= '9') u |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') u |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') u |= static_cast<unsigned>(c - 'A' + 10);
      else fail("a \\u escape needs four hexadecimal digits");
    }
    return u;
  }

  static void put_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::string parse_string() {
    expect('"');
    std::string out;
    for (;;) {
      if (at_end()) fail("the header ends inside a string");
      const char c = text_[pos_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) {
        --pos_;
        fail("a control character inside a string (it must be escaped)");
      }
      if (c != '\\') {
        out += c;
        continue;
      }
      if (at_end()) fail("the header ends inside an escape");
      const char e = text_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp = parse_hex4();
          if (cp >= 0xDC00 && cp <= 0xDFFF) fail("a \\u escape holds a lone low surrogate");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (pos_ + 1 >= text_.size() || text_[pos_] != '\\' || text_[pos_ + 1] != 'u')
              fail("a \\u escape holds a high surrogate without its low surrogate");
            pos_ += 2;
            const unsigned low = parse_hex4();
            if (low < 0xDC00 || low > 0xDFFF)
              fail("a \\u escape holds a high surrogate without its low surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          put_utf8(out, cp);
          break;
        }
        default:
          --pos_;
          fail(std::string("unknown escape '\\") + e + "' in a string");
      }
    }
  }

  const char* reader_;
  const std::filesystem::path& file_;
  std::string_view text_;
  std::size_t base_;
  std::size_t pos_ = 0;
};

}  // namespace ctnn::io::detail
