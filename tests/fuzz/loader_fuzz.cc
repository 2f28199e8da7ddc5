// libFuzzer target: arbitrary bytes through octet_model_open_buffer, and whatever verifies
// through session creation and one invoke (both must be memory safe; ASan/UBSan watch).
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "octet/octet.h"

namespace {
// Sessions of verified-but-huge plans are skipped: libFuzzer's malloc limit would flag them.
constexpr size_t kMaxArena = 64u << 20;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  void* aligned = nullptr;
  if (posix_memalign(&aligned, OCTET_ARENA_ALIGNMENT, size ? size : 1) != 0) return 0;
  if (size) memcpy(aligned, data, size);
  octet_model* model = nullptr;
  if (octet_model_open_buffer(aligned, size, &model) == OCTET_OK) {
    octet_session_options options;
    octet_session_options_init(&options);
    // Alternate between the reference kernels and the fastest ones this CPU runs.
    options.isa = (size && (data[size - 1] & 1)) ? OCTET_ISA_SCALAR : OCTET_ISA_AUTO;
    size_t arena = 0;
    if (octet_session_arena_size(model, &options, &arena) == OCTET_OK && arena <= kMaxArena) {
      octet_session* session = nullptr;
      if (octet_session_create(model, &options, nullptr, 0, &session) == OCTET_OK) {
        octet_session_invoke(session);
        octet_session_destroy(session);
      }
    }
    octet_model_close(model);
  } else if (octet_last_error()[0] == '\0') {
    abort();  // every rejection must explain itself
  }
  free(aligned);
  return 0;
}
