// CSV reader: values and shapes of good files (header, delimiters, padding, \r\n, BOM, gzip),
// the label split, and every kind of bad row, with messages naming the file, line and column.

#include <doctest/doctest.h>

#include <ctnn/io/csv.hpp>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <string>
#include <type_traits>
#include <vector>

#include "test_files.hpp"

using namespace io_test;

namespace {

void check_file_error(const std::function<void()>& read, const std::filesystem::path& file,
                      std::initializer_list<std::string> parts) {
  try {
    read();
    FAIL("no exception for " << file);
  } catch (const ctnn::io::file_error& e) {
    const std::string message = e.what();
    INFO("message: " << message);
    CHECK(e.path() == file);
    CHECK(message.find("'" + file.string() + "'") != std::string::npos);
    for (const std::string& part : parts)
      CHECK_MESSAGE(message.find(part) != std::string::npos, "missing: " << part);
  }
}

}  // namespace

TEST_CASE("numeric CSV without header: rows x cols, values exact") {
  temp_dir dir;
  write_text(dir / "a.csv", "1,2.5,-3\n4e2,+5,.5\n-0.1,1E-3,7\n");
  const auto t = ctnn::io::read_csv<double>(dir / "a.csv");
  CHECK(t.column_names.empty());
  CHECK(t.values.rows == 3);
  CHECK(t.values.cols == 3);
  CHECK(t.values.values == std::vector<double>{1, 2.5, -3, 400, 5, 0.5, -0.1, 1e-3, 7});
  const auto f = ctnn::io::read_csv<float>(dir / "a.csv");
  CHECK(f.values.values == std::vector<float>{1, 2.5f, -3, 400, 5, 0.5f, -0.1f, 1e-3f, 7});
}

TEST_CASE("header, delimiter, padding, quotes, CRLF, BOM, no final newline, trailing blank lines") {
  temp_dir dir;
  write_text(dir / "b.csv", "\xEF\xBB\xBF\"x\"; y ;label\r\n 1 ;\"2\"; 0\r\n3;\t4;1\r\n\r\n\n");
  const auto t = ctnn::io::read_csv<float>(dir / "b.csv", {.delimiter = ';', .has_header = true});
  CHECK(t.column_names == std::vector<std::string>{"x", "y", "label"});
  CHECK(t.values.rows == 2);
  CHECK(t.values.cols == 3);
  CHECK(t.values.values == std::vector<float>{1, 2, 0, 3, 4, 1});

  write_text(dir / "tabs.tsv", "1\t2\n3\t4");
  const auto tabs = ctnn::io::read_csv<double>(dir / "tabs.tsv", {.delimiter = '\t'});
  CHECK(tabs.values.values == std::vector<double>{1, 2, 3, 4});

  write_gzip(dir / "c.csv.gz", bytes{'5', ',', '6', '\n'});
  CHECK(ctnn::io::read_csv<double>(dir / "c.csv.gz").values.values == std::vector<double>{5, 6});
}

TEST_CASE("read_csv_labelled splits a label column off as class indices") {
  temp_dir dir;
  write_text(dir / "l.csv", "a,class,b\n0.5,2,1\n1.5,0,2\n2.5,1.0,3\n");
  const auto d = ctnn::io::read_csv_labelled<float>(dir / "l.csv", 1, {.has_header = true});
  static_assert(std::is_same_v<std::remove_const_t<decltype(d)>, ctnn::io::labelled_table<float>>);
  CHECK(d.inputs.rows == 3);
  CHECK(d.inputs.cols == 2);
  CHECK(d.inputs.values == std::vector<float>{0.5f, 1, 1.5f, 2, 2.5f, 3});
  CHECK(d.labels == std::vector<std::size_t>{2, 0, 1});

  write_text(dir / "frac.csv", "1,0\n2,1.5\n");
  check_file_error([&] { (void)ctnn::io::read_csv_labelled<double>(dir / "frac.csv", 1); },
                   dir / "frac.csv",
                   {"read_csv_labelled", "line 2, column 2", "not a non-negative integer"});
  write_text(dir / "neg.csv", "a,b\n-1,0\n");
  check_file_error(
      [&] { (void)ctnn::io::read_csv_labelled<double>(dir / "neg.csv", 0, {.has_header = true}); },
      dir / "neg.csv", {"line 2, column 1", "-1"});
  check_file_error([&] { (void)ctnn::io::read_csv_labelled<double>(dir / "frac.csv", 2); },
                   dir / "frac.csv", {"label column 2", "does not exist", "2 columns"});
  // float holds integers exactly only up to 2^24.
  write_text(dir / "huge.csv", "1,16777217\n");
  check_file_error([&] { (void)ctnn::io::read_csv_labelled<float>(dir / "huge.csv", 1); },
                   dir / "huge.csv", {"holds exactly"});
}

TEST_CASE("rows with the wrong number of fields") {
  temp_dir dir;
  write_text(dir / "short.csv", "1,2,3\n4,5,6\n7,8\n");
  check_file_error([&] { (void)ctnn::io::read_csv<float>(dir / "short.csv"); }, dir / "short.csv",
                   {"read_csv", "line 3", "expected 3 fields (as in line 1), found 2"});
  write_text(dir / "long.csv", "a,b\n1,2,3\n");
  check_file_error([&] { (void)ctnn::io::read_csv<float>(dir / "long.csv", {.has_header = true}); },
                   dir / "long.csv",
                   {"line 2", "expected 2 fields (as in the header (line 1)), found 3"});
  // The wrong delimiter shows as one field per line where the header has several.
  write_text(dir / "semi.csv", "a;b\n1;2\n");
  CHECK(ctnn::io::read_csv<float>(dir / "semi.csv", {.delimiter = ';', .has_header = true})
            .values.values == std::vector<float>{1, 2});
  check_file_error([&] { (void)ctnn::io::read_csv<float>(dir / "semi.csv"); }, dir / "semi.csv",
                   {"line 1, column 1", "\"a;b\" is not a number"});
}

TEST_CASE("fields that are not finite numbers") {
  temp_dir dir;
  const auto expect = [&](const std::string& text, std::initializer_list<std::string> parts) {
    CAPTURE(text);
    write_text(dir / "bad.csv", text);
    check_file_error([&] { (void)ctnn::io::read_csv<float>(dir / "bad.csv"); }, dir / "bad.csv",
                     parts);
  };
  expect("1,2\n1.5x,3\n", {"line 2, column 1", "\"1.5x\" is not a number"});
  expect("1,2\n3,\n", {"line 2, column 2", "the field is empty"});
  expect("1,,2\n", {"line 1, column 2", "empty"});
  expect("1, \n", {"line 1, column 2", "empty"});
  expect("nan,1\n", {"line 1, column 1", "\"nan\" is not a finite number", "NaN"});
  expect("1,-inf\n", {"line 1, column 2", "\"-inf\" is not a finite number"});
  expect("1,0x1A\n", {"\"0x1A\" is not a number"});
  expect("1,1 2\n", {"\"1 2\" is not a number"});
  expect("1,++2\n", {"\"++2\" is not a number"});
  expect("1,+-2\n", {"\"+-2\" is not a number"});
  expect("1,1e39\n", {"line 1, column 2", "out of the range of float"});
  expect("1,\x01\x02\n", {"\"\\x01\\x02\" is not a number"});
  write_text(dir / "big.csv", "1,1e39\n");  // fine as double
  CHECK(ctnn::io::read_csv<double>(dir / "big.csv").values.values == std::vector<double>{1, 1e39});
}

TEST_CASE("empty files, blank lines, header without data, missing file") {
  temp_dir dir;
  const auto expect = [&](const std::string& text, ctnn::io::csv_options options,
                          std::initializer_list<std::string> parts) {
    CAPTURE(text);
    write_text(dir / "e.csv", text);
    check_file_error([&] { (void)ctnn::io::read_csv<double>(dir / "e.csv", options); },
                     dir / "e.csv", parts);
  };
  expect("", {}, {"empty (0 bytes)"});
  expect("\n\n  \n", {}, {"no data (only empty lines)"});
  expect("1,2\n\n3,4\n", {}, {"line 2", "the line is empty", "only allowed at the end"});
  expect("a,b\n", {.has_header = true}, {"header line but no data rows"});
  check_file_error([&] { (void)ctnn::io::read_csv<double>(dir / "missing.csv"); },
                   dir / "missing.csv", {"does not exist"});
}
