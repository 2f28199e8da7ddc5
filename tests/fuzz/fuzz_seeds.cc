// Writes valid .octet models (from the runtime tests' writer) as the fuzzer's seed corpus.
#include <sys/stat.h>

#include <cstdio>
#include <string>
#include <vector>

#include "tests/runtime/test_models.h"

namespace {
bool write(const std::string& path, const std::vector<uint8_t>& bytes) {
  FILE* f = fopen(path.c_str(), "wb");
  if (!f) return false;
  const bool ok = fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  return fclose(f) == 0 && ok;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  mkdir(dir.c_str(), 0755);
  using namespace octet::test;
  ConvSpec small;
  small.in_h = small.in_w = 5;
  small.in_c = 4;
  small.out_c = 4;
  TestModel conv = conv_model(small);
  TestModel net = network_model(false);
  TestModel packed = network_model(true);
  const bool ok = write(dir + "/seed_conv.octet", conv.serialize()) &&
                  write(dir + "/seed_network.octet", net.serialize()) &&
                  write(dir + "/seed_network_packed.octet", packed.serialize());
  if (!ok) {
    fprintf(stderr, "cannot write seeds into %s\n", dir.c_str());
    return 1;
  }
  printf("wrote 3 seed models into %s\n", dir.c_str());
  return 0;
}
