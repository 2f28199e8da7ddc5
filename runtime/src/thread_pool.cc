// A fixed pool of worker threads created with the session (its state lives in the session
// arena). Work is partitioned statically by thread index, so results never depend on
// scheduling; invoke only signals condition variables (no allocation).
#include <pthread.h>

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
  uint64_t generation = 0;
  int remaining = 0;
  bool stop = false;
  void (*fn)(void*, int, int) = nullptr;
  void* ctx = nullptr;
  WorkerSlot* workers = nullptr;  // num_threads - 1 entries, right after the pool
};

namespace {

void* worker_main(void* arg) {
  WorkerSlot* slot = static_cast<WorkerSlot*>(arg);
  ThreadPool* pool = slot->pool;
  uint64_t seen = 0;
  pthread_mutex_lock(&pool->mutex);
  for (;;) {
    while (!pool->stop && pool->generation == seen)
      pthread_cond_wait(&pool->start_cv, &pool->mutex);
    if (pool->stop) break;
    seen = pool->generation;
    void (*fn)(void*, int, int) = pool->fn;
    void* ctx = pool->ctx;
    pthread_mutex_unlock(&pool->mutex);
    fn(ctx, slot->index, pool->num_threads);
    pthread_mutex_lock(&pool->mutex);
    if (--pool->remaining == 0) pthread_cond_signal(&pool->done_cv);
  }
  pthread_mutex_unlock(&pool->mutex);
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
  pool->stop = true;
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
  pool->remaining = pool->num_threads - 1;
  ++pool->generation;
  pthread_cond_broadcast(&pool->start_cv);
  pthread_mutex_unlock(&pool->mutex);
  fn(ctx, 0, pool->num_threads);
  pthread_mutex_lock(&pool->mutex);
  while (pool->remaining > 0) pthread_cond_wait(&pool->done_cv, &pool->mutex);
  pthread_mutex_unlock(&pool->mutex);
}

}  // namespace octet::rt
