// Writes the seed corpora of the fuzz targets (tests/fuzz/): small valid files of every kind each
// reader takes, plain and gzip. The committed corpora in tests/fuzz/corpus/ were made with it;
// the test fuzz/seeds runs it again and checks they are still what it writes, so the seeds follow
// a change of a file format.
//   make_seeds <directory>    (writes <directory>/{idx,csv,model_file,safetensors}/...)
#include <zlib.h>

#include <cstdio>
#include <ctnn/ctnn.hpp>
#include <filesystem>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using bytes = std::vector<unsigned char>;
using net = ctnn::network<ctnn::input<3>, ctnn::dense<4>, ctnn::tanh, ctnn::dense<2>>;

void write(const fs::path& file, const bytes& b) {
  std::FILE* f = std::fopen(file.c_str(), "wb");
  if (f == nullptr || std::fwrite(b.data(), 1, b.size(), f) != b.size()) throw std::runtime_error("write " + file.string());
  std::fclose(f);
}
void write_gzip(const fs::path& file, const bytes& b) {
  // Level 9 and no name or time in the header: the same bytes on every run.
  gzFile g = gzopen(file.c_str(), "wb9");
  if (g == nullptr || gzwrite(g, b.data(), unsigned(b.size())) != int(b.size())) throw std::runtime_error("gzip " + file.string());
  gzclose(g);
}
bytes text(const std::string& s) { return {s.begin(), s.end()}; }
bytes idx(unsigned char type, const std::vector<unsigned>& dims, const bytes& values) {
  bytes b{0, 0, type, static_cast<unsigned char>(dims.size())};
  for (const unsigned d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<unsigned char>(d >> shift));
  b.insert(b.end(), values.begin(), values.end());
  return b;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds <directory>\n");
    return 2;
  }
  const fs::path root = argv[1];
  for (const char* d : {"idx", "csv", "model_file", "safetensors"}) fs::create_directories(root / d);

  const bytes images = idx(0x08, {3, 2, 2}, {0, 255, 17, 3, 9, 8, 7, 6, 5, 4, 3, 2});
  write(root / "idx/images", images);
  write_gzip(root / "idx/images.gz", images);
  write(root / "idx/labels", idx(0x08, {4}, {0, 9, 3, 1}));
  write(root / "idx/float32", idx(0x0D, {2}, {0x3f, 0x80, 0, 0, 0xc0, 0, 0, 0}));        // 1, -2
  write(root / "idx/float64", idx(0x0E, {1, 1}, {0x3f, 0xf0, 0, 0, 0, 0, 0, 0}));        // 1
  write(root / "idx/int16", idx(0x0B, {2}, {0xff, 0xfe, 0x01, 0x00}));                   // -2, 256

  const bytes table = text("a,b,c\n1,2.5,-3e2\n0,\"4\",5\n");
  write(root / "csv/header", table);
  write_gzip(root / "csv/header.gz", table);
  write(root / "csv/plain", text("2,0.5\r\n1,1e-3\r\n"));
  write(root / "csv/bom", text("\xEF\xBB\xBF" "1, 2 ,3\n"));

  ctnn::parameters<net, float> pf;
  ctnn::initialize(pf, 1);
  ctnn::parameters<net, double> pd;
  ctnn::initialize(pd, 2);
  ctnn::io::save_model(root / "model_file/float.ctnn", pf);
  ctnn::io::save_model(root / "model_file/double.ctnn", pd);
  ctnn::io::save_safetensors(root / "safetensors/float.safetensors", pf);
  ctnn::io::save_safetensors(root / "safetensors/double.safetensors", pd);
  std::printf("make_seeds: wrote the seed corpora under %s\n", root.c_str());
  return 0;
}
