// A fixed pool of worker threads created with the session (its state lives in the session
// arena). Work is partitioned statically by thread index, so results never depend on
// scheduling; invoke allocates nothing.
//
// Workers and the caller spin briefly on atomics before sleeping on condition variables: a
// model runs one parallel op after another every few microseconds, and waking a sleeping
// thread costs tens of microseconds (far more on a VM), which made 2 threads slower than 1.
#include <pthread.h>

#include <atomic>
#include <new>

#include "runtime/src/internal.h"

namespace octet::rt {

struct WorkerSlot {
  ThreadPool* pool;
  int index;
  pthread_t thread;
};

struct ThreadPool {
  pthread_mutex_t mutex;
  pthread_cond_t start_cv;
  pthread_cond_t done_cv;
  int num_threads = 1;
  int started = 0;  // workers successfully created
  // Written under `mutex`; read by spinning threads without it.
  std::atomic<uint64_t> generation{0};
  std::atomic<int> remaining{0};
  std::atomic<bool> stop{false};
  void (*fn)(void*, int, int) = nullptr;  // published by the generation increment
  void* ctx = nullptr;
  WorkerSlot* workers = nullptr;  // num_threads - 1 entries, right after the pool
};

namespace {

// About 20-50 us of polling (pause is ~10-140 cycles depending on the core) before sleeping.
constexpr int kSpinIterations = 4000;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
  __asm__ __volatile__("yield");
#endif
}

// Polls `done()` for a while; false if it never became true.
template <class Done>
bool spin_until(Done done) {
  for (int i = 0; i < kSpinIterations; ++i) {
    if (done()) return true;
    cpu_relax();
  }
  return done();
}

void* worker_main(void* arg) {
  WorkerSlot* slot = static_cast<WorkerSlot*>(arg);
  ThreadPool* pool = slot->pool;
  uint64_t seen = 0;
  for (;;) {
    const auto has_news = [&] {
      return pool->stop.load(std::memory_order_acquire) ||
             pool->generation.load(std::memory_order_acquire) != seen;
    };
    if (!spin_until(has_news)) {
      pthread_mutex_lock(&pool->mutex);
      while (!has_news()) pthread_cond_wait(&pool->start_cv, &pool->mutex);
      pthread_mutex_unlock(&pool->mutex);
    }
    if (pool->stop.load(std::memory_order_acquire)) break;
    seen = pool->generation.load(std::memory_order_acquire);
    pool->fn(pool->ctx, slot->index, pool->num_threads);
    if (pool->remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      pthread_mutex_lock(&pool->mutex);
      pthread_cond_signal(&pool->done_cv);
      pthread_mutex_unlock(&pool->mutex);
    }
  }
  return nullptr;
}

}  // namespace

size_t thread_pool_size(int num_threads) {
  return align_up(sizeof(ThreadPool), 16) + sizeof(WorkerSlot) * static_cast<size_t>(num_threads);
}

bool thread_pool_start(void* memory, int num_threads, ThreadPool** out) {
  auto* pool = new (memory) ThreadPool();
  pool->workers = reinterpret_cast<WorkerSlot*>(static_cast<uint8_t*>(memory) +
                                                align_up(sizeof(ThreadPool), 16));
  pool->num_threads = num_threads;
  pthread_mutex_init(&pool->mutex, nullptr);
  pthread_cond_init(&pool->start_cv, nullptr);
  pthread_cond_init(&pool->done_cv, nullptr);
  for (int i = 1; i < num_threads; ++i) {
    WorkerSlot* slot = &pool->workers[i - 1];
    slot->pool = pool;
    slot->index = i;
    if (pthread_create(&slot->thread, nullptr, worker_main, slot) != 0) {
      thread_pool_stop(pool);
      return false;
    }
    pool->started = i;
  }
  *out = pool;
  return true;
}

void thread_pool_stop(ThreadPool* pool) {
  pthread_mutex_lock(&pool->mutex);
  pool->stop.store(true, std::memory_order_release);
  pthread_cond_broadcast(&pool->start_cv);
  pthread_mutex_unlock(&pool->mutex);
  for (int i = 0; i < pool->started; ++i) pthread_join(pool->workers[i].thread, nullptr);
  pthread_cond_destroy(&pool->done_cv);
  pthread_cond_destroy(&pool->start_cv);
  pthread_mutex_destroy(&pool->mutex);
  pool->~ThreadPool();
}

void thread_pool_run(ThreadPool* pool, void (*fn)(void*, int, int), void* ctx) {
  pthread_mutex_lock(&pool->mutex);
  pool->fn = fn;
  pool->ctx = ctx;
  pool->remaining.store(pool->num_threads - 1, std::memory_order_relaxed);
  pool->generation.fetch_add(1, std::memory_order_release);
  pthread_cond_broadcast(&pool->start_cv);  // no system call when no worker sleeps
  pthread_mutex_unlock(&pool->mutex);
  fn(ctx, 0, pool->num_threads);
  const auto all_done = [pool] { return pool->remaining.load(std::memory_order_acquire) == 0; };
  if (!spin_until(all_done)) {
    pthread_mutex_lock(&pool->mutex);
    while (!all_done()) pthread_cond_wait(&pool->done_cv, &pool->mutex);
    pthread_mutex_unlock(&pool->mutex);
  }
}

}  // namespace octet::rt
