#pragma once
// A reader for numeric CSV files: every field a number, every row the same number of fields,
// optionally one header row of column names. gzip-compressed files are read the same way.
//
//   auto table = ctnn::io::read_csv<double>("iris.csv", {.delimiter = ',', .has_header = true});
//   auto data = ctnn::io::read_csv_labelled<float>("train.csv", /*label_column=*/0);
//
// Decisions, each made so that bad data fails loudly instead of training on something else:
// - The header is never guessed: a first row with a typo would silently become "names".
// - A field is a decimal or scientific number ("-1.5", "2e-3", "+4", ".5"), optionally padded with
//   spaces or tabs and optionally in double quotes. Empty fields, trailing characters ("1.5x"),
//   hex, and numbers beyond the range of T are errors.
// - "nan" and "inf" are rejected: one NaN in the inputs turns every gradient into NaN far from its
//   cause. Clean or impute missing values before training.
// - Empty lines are only allowed at the end of the file (a blank line in the middle may be a lost
//   record). Quoted fields with the delimiter inside them are not supported (not numeric data).
// - A UTF-8 byte order mark at the start (Excel writes one) and \r\n line ends are accepted.
// Errors throw file_error naming the file, the line and column, and the problem.

#include <charconv>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "byte_stream.hpp"
#include "file_error.hpp"
#include "matrix.hpp"

namespace ctnn::io {

struct csv_options {
  char delimiter = ',';
  bool has_header = false;  // the first line holds column names
};

template <std::floating_point T>
struct csv_table {
  std::vector<std::string> column_names;  // empty without a header
  matrix<T> values;                       // one row per data line
};

// Inputs with a class label per row, e.g. from a CSV file whose first column is the class.
template <std::floating_point T>
struct labelled_table {
  matrix<T> inputs;                 // the other columns, in file order
  std::vector<std::size_t> labels;  // one per row of inputs
};
// Its old name, which ctnn::labelled_data<T> (fit's spans of inputs and targets) also bears.
template <std::floating_point T>
using labelled_data [[deprecated("ctnn::io::labelled_data is now ctnn::io::labelled_table")]] =
    labelled_table<T>;

namespace detail {

// A field as it may appear in a message: quoted, non-printable bytes escaped, long ones cut.
inline std::string field_excerpt(std::string_view field) {
  static constexpr char hex_digits[] = "0123456789ABCDEF";
  std::string s = "\"";
  for (std::size_t i = 0; i < field.size() && i < 40; ++i) {
    const auto c = static_cast<unsigned char>(field[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      s += static_cast<char>(c);
    } else {
      s += "\\x";
      s += hex_digits[c >> 4];
      s += hex_digits[c & 15];
    }
  }
  if (field.size() > 40) s += "...";
  return s + "\"";
}

inline std::string_view trim_field(std::string_view f, char delimiter) {
  const auto blank = [&](char c) { return (c == ' ' || c == '\t') && c != delimiter; };
  while (!f.empty() && blank(f.front())) f.remove_prefix(1);
  while (!f.empty() && blank(f.back())) f.remove_suffix(1);
  if (f.size() >= 2 && f.front() == '"' && f.back() == '"') f = f.substr(1, f.size() - 2);
  return f;
}

// Only spaces and tabs (that are not the delimiter): a line that would hold no data at all.
inline bool blank_line(std::string_view line, char delimiter) {
  for (char c : line)
    if ((c != ' ' && c != '\t') || c == delimiter) return false;
  return true;
}

inline std::vector<std::string_view> split_fields(std::string_view line, char delimiter) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = line.find(delimiter, start);
    fields.push_back(trim_field(line.substr(start, end - start), delimiter));
    if (end == std::string_view::npos) return fields;
    start = end + 1;
  }
}

inline std::string line_column(std::size_t line, std::size_t column) {
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

template <std::floating_point T>
T parse_number(const byte_stream& in, std::string_view field, std::size_t line,
               std::size_t column) {
  if (field.empty()) in.fail(line_column(line, column), "the field is empty; expected a number");
  std::string_view digits = field;
  // from_chars does not take a leading '+', which some writers emit; a sign after it is an error.
  if (digits.front() == '+' && digits.size() > 1 && digits[1] != '-' && digits[1] != '+')
    digits.remove_prefix(1);
  T value{};
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec == std::errc::result_out_of_range)
    in.fail(line_column(line, column), field_excerpt(field) + " is out of the range of " +
                                           (sizeof(T) == sizeof(float) ? "float" : "double"));
  if (ec != std::errc{} || end != digits.data() + digits.size())
    in.fail(line_column(line, column), field_excerpt(field) + " is not a number");
  if (!std::isfinite(value))
    in.fail(line_column(line, column),
            field_excerpt(field) +
                " is not a finite number; NaN and infinity are rejected because they would make "
                "every gradient NaN (clean or impute missing values first)");
  return value;
}

}  // namespace detail

template <std::floating_point T>
csv_table<T> read_csv(const std::filesystem::path& file, csv_options options = {}) {
  detail::byte_stream in(file, "read_csv");
  std::string text;
  {
    std::vector<unsigned char> chunk(std::size_t{1} << 16);
    while (const std::size_t n = in.read(chunk.data(), chunk.size()))
      text.append(reinterpret_cast<const char*>(chunk.data()), n);
  }
  std::string_view rest = text;
  if (rest.starts_with("\xEF\xBB\xBF")) rest.remove_prefix(3);

  std::vector<std::string_view> lines;
  while (!rest.empty()) {
    const std::size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    if (line.ends_with('\r')) line.remove_suffix(1);
    lines.push_back(line);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
  }
  while (!lines.empty() && detail::blank_line(lines.back(), options.delimiter)) lines.pop_back();
  if (lines.empty()) in.fail("", "the file holds no data (only empty lines)");

  csv_table<T> out;
  std::size_t first_data = 0;
  std::size_t& cols = out.values.cols;
  std::string reference;  // what fixed the column count, for messages
  if (options.has_header) {
    for (std::string_view name : detail::split_fields(lines[0], options.delimiter))
      out.column_names.emplace_back(name);
    cols = out.column_names.size();
    reference = "the header (line 1)";
    first_data = 1;
    if (lines.size() == 1) in.fail("", "the file has a header line but no data rows");
  }
  for (std::size_t i = first_data; i < lines.size(); ++i) {
    const std::size_t line = i + 1;
    if (detail::blank_line(lines[i], options.delimiter))
      in.fail("line " + std::to_string(line),
              "the line is empty; empty lines are only allowed at the end of the file");
    const std::vector<std::string_view> fields = detail::split_fields(lines[i], options.delimiter);
    if (i == first_data && !options.has_header) {
      cols = fields.size();
      reference = "line " + std::to_string(line);
    }
    if (fields.size() != cols)
      in.fail("line " + std::to_string(line), "expected " + std::to_string(cols) +
                                                  " fields (as in " + reference + "), found " +
                                                  std::to_string(fields.size()) + " (delimiter '" +
                                                  std::string(1, options.delimiter) + "')");
    for (std::size_t c = 0; c < fields.size(); ++c)
      out.values.values.push_back(detail::parse_number<T>(in, fields[c], line, c + 1));
    ++out.values.rows;
  }
  return out;
}

// Reads a numeric CSV file and splits off the column `label_column` (counted from 0) as class
// labels, which must be non-negative integers ("3" or "3.0").
template <std::floating_point T>
labelled_table<T> read_csv_labelled(const std::filesystem::path& file, std::size_t label_column,
                                    csv_options options = {}) {
  const csv_table<T> table = read_csv<T>(file, options);
  const matrix<T>& m = table.values;
  // T holds every integer below 2^digits exactly (2^24 for float); at 2^digits and above a label
  // may already have been rounded while parsing, so those are refused.
  constexpr T exact_limit = T(std::uint64_t{1} << std::numeric_limits<T>::digits);
  const auto fail = [&](const std::string& where, const std::string& problem) {
    detail::file_failed("read_csv_labelled", file, where, problem);
  };
  if (label_column >= m.cols)
    fail("", "the label column " + std::to_string(label_column) +
                 " (counted from 0) does not exist: the rows have " + std::to_string(m.cols) +
                 " columns");
  labelled_table<T> out;
  out.inputs.rows = m.rows;
  out.inputs.cols = m.cols - 1;
  out.inputs.values.reserve(m.rows * (m.cols - 1));
  out.labels.reserve(m.rows);
  const std::size_t first_line = options.has_header ? 2 : 1;  // no blank lines before data rows
  for (std::size_t r = 0; r < m.rows; ++r) {
    const T label = m(r, label_column);
    if (label < 0 || label != std::floor(label) || label >= exact_limit)
      fail(detail::line_column(first_line + r, label_column + 1),
           "the label " + std::to_string(label) + " is not a non-negative integer" +
               (label >= exact_limit ? " that this floating-point type holds exactly" : ""));
    out.labels.push_back(static_cast<std::size_t>(label));
    for (std::size_t c = 0; c < m.cols; ++c)
      if (c != label_column) out.inputs.values.push_back(m(r, c));
  }
  return out;
}

}  // namespace ctnn::io
