// Counts every heap allocation the process makes (malloc family and operator new are
// interposed in this binary) to prove the runtime's allocation contract:
//   - octet_session_invoke never allocates;
//   - with a caller-provided arena nothing allocates after octet_model_open_buffer.
#include <gtest/gtest.h>
#include <malloc.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <new>

#include "octet/octet.h"
#include "tests/runtime/test_models.h"

extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
void __libc_free(void*);
}

namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};
inline void count() {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1);
}
}  // namespace

extern "C" {
void* malloc(size_t size) {
  count();
  return __libc_malloc(size);
}
void* calloc(size_t n, size_t size) {
  count();
  return __libc_calloc(n, size);
}
void* realloc(void* p, size_t size) {
  count();
  return __libc_realloc(p, size);
}
void free(void* p) { __libc_free(p); }
void* memalign(size_t alignment, size_t size) {
  count();
  return __libc_memalign(alignment, size);
}
void* aligned_alloc(size_t alignment, size_t size) {
  count();
  return __libc_memalign(alignment, size);
}
int posix_memalign(void** out, size_t alignment, size_t size) {
  count();
  void* p = __libc_memalign(alignment, size);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}
}  // extern "C"

void* operator new(size_t size) {
  count();
  void* p = __libc_malloc(size ? size : 1);
  if (!p) std::abort();
  return p;
}
void* operator new[](size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { __libc_free(p); }
void operator delete[](void* p) noexcept { __libc_free(p); }
void operator delete(void* p, size_t) noexcept { __libc_free(p); }
void operator delete[](void* p, size_t) noexcept { __libc_free(p); }

namespace octet::test {
namespace {

class Counting {
 public:
  Counting() {
    g_allocations = 0;
    g_counting = true;
  }
  ~Counting() { g_counting = false; }
  long stop() {
    g_counting = false;
    return g_allocations.load();
  }
};

TEST(MallocCount, InterpositionWorks) {
  Counting counting;
  // volatile: the compiler may not elide an allocation whose pointer escapes.
  void* volatile p = malloc(10);
  char* volatile q = new char[3];
  delete[] q;
  free(p);
  EXPECT_EQ(counting.stop(), 2);  // the counter is live: the other tests can fail
}

TEST(MallocCount, ZeroAllocationsAfterOpenWithCallerArena) {
  TestModel tm = network_model();
  AlignedBytes bytes(tm.serialize());
  octet_model* model = nullptr;
  ASSERT_EQ(octet_model_open_buffer(bytes.data(), bytes.size(), &model), OCTET_OK);
  octet_session_options options;
  octet_session_options_init(&options);
  size_t size = 0;
  ASSERT_EQ(octet_session_arena_size(model, &options, &size), OCTET_OK);
  AlignedBytes arena;
  std::vector<uint8_t> zeros(size, 0);
  arena.assign(zeros.data(), size);
  const auto input = random_f32(300, 3);

  Counting counting;
  size_t size_again = 0;
  const octet_status sized = octet_session_arena_size(model, &options, &size_again);
  octet_session* session = nullptr;
  const octet_status created = octet_session_create(model, &options, arena.data(), size, &session);
  int failures = 0;
  for (int i = 0; i < 300 && created == OCTET_OK; ++i) {
    memcpy(octet_session_input(session, 0), input.data(), input.size() * sizeof(float));
    failures += octet_session_invoke(session) != OCTET_OK;
  }
  octet_session_destroy(session);
  const long allocations = counting.stop();
  ASSERT_EQ(sized, OCTET_OK);
  EXPECT_EQ(size_again, size);
  ASSERT_EQ(created, OCTET_OK) << octet_last_error();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(allocations, 0);
  octet_model_close(model);
}

TEST(MallocCount, InvokeNeverAllocatesWithOwnArenaAndThreads) {
  TestModel tm = network_model();
  AlignedBytes bytes(tm.serialize());
  octet_model* model = nullptr;
  ASSERT_EQ(octet_model_open_buffer(bytes.data(), bytes.size(), &model), OCTET_OK);
  for (int threads : {1, 2}) {
    octet_session_options options;
    octet_session_options_init(&options);
    options.num_threads = threads;
    octet_session* session = nullptr;
    ASSERT_EQ(octet_session_create(model, &options, nullptr, 0, &session), OCTET_OK);
    int failures = 0;
    Counting counting;
    for (int i = 0; i < 300; ++i) failures += octet_session_invoke(session) != OCTET_OK;
    const long allocations = counting.stop();
    EXPECT_EQ(failures, 0);
    EXPECT_EQ(allocations, 0) << threads << " threads";
    octet_session_destroy(session);
  }
  octet_model_close(model);
}

}  // namespace
}  // namespace octet::test
