// Thin C++ RAII wrappers over the C API (octet.h). No exceptions: every fallible call
// returns octet_status; octet::last_error() describes the last failure on this thread.
#pragma once
#include <cstddef>
#include <utility>

#include "octet/octet.h"

namespace octet {

inline const char* last_error() { return octet_last_error(); }

class Model {
 public:
  Model() = default;
  ~Model() { reset(); }
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;
  Model(Model&& other) noexcept : model_(std::exchange(other.model_, nullptr)) {}
  Model& operator=(Model&& other) noexcept {
    if (this != &other) {
      reset();
      model_ = std::exchange(other.model_, nullptr);
    }
    return *this;
  }

  // Memory-maps and verifies `path`.
  octet_status open(const char* path) {
    reset();
    return octet_model_open(path, &model_);
  }
  // Uses caller bytes in place (64-byte aligned, must outlive the model).
  octet_status open_buffer(const void* data, size_t size) {
    reset();
    return octet_model_open_buffer(data, size, &model_);
  }
  void reset() {
    octet_model_close(model_);
    model_ = nullptr;
  }

  const octet_model* get() const { return model_; }
  explicit operator bool() const { return model_ != nullptr; }

  int num_inputs() const { return octet_model_num_inputs(model_); }
  int num_outputs() const { return octet_model_num_outputs(model_); }
  int num_tensors() const { return octet_model_num_tensors(model_); }
  int num_operators() const { return octet_model_num_operators(model_); }
  octet_status input_info(int index, octet_tensor_info* info) const {
    return octet_model_input_info(model_, index, info);
  }
  octet_status output_info(int index, octet_tensor_info* info) const {
    return octet_model_output_info(model_, index, info);
  }
  octet_status tensor_info(int tensor, octet_tensor_info* info) const {
    return octet_model_tensor_info(model_, tensor, info);
  }
  const char* metadata(const char* key) const { return octet_model_metadata(model_, key); }

 private:
  octet_model* model_ = nullptr;
};

struct SessionOptions : octet_session_options {
  SessionOptions() { octet_session_options_init(this); }
  SessionOptions(octet_isa isa_choice, int threads) : SessionOptions() {
    isa = isa_choice;
    num_threads = threads;
  }
};

class Session {
 public:
  Session() = default;
  ~Session() { reset(); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  Session(Session&& other) noexcept : session_(std::exchange(other.session_, nullptr)) {}
  Session& operator=(Session&& other) noexcept {
    if (this != &other) {
      reset();
      session_ = std::exchange(other.session_, nullptr);
    }
    return *this;
  }

  // Bytes of arena create() needs with these options.
  static octet_status arena_size(const Model& model, const SessionOptions& options,
                                 size_t* out_size) {
    return octet_session_arena_size(model.get(), &options, out_size);
  }
  // arena == nullptr: the session allocates its own. The model must outlive the session.
  octet_status create(const Model& model, const SessionOptions& options = SessionOptions(),
                      void* arena = nullptr, size_t arena_bytes = 0) {
    reset();
    return octet_session_create(model.get(), &options, arena, arena_bytes, &session_);
  }
  void reset() {
    octet_session_destroy(session_);
    session_ = nullptr;
  }

  octet_session* get() const { return session_; }
  explicit operator bool() const { return session_ != nullptr; }

  template <class T = void>
  T* input(int index) {
    return static_cast<T*>(octet_session_input(session_, index));
  }
  template <class T = void>
  const T* output(int index) const {
    return static_cast<const T*>(octet_session_output(session_, index));
  }
  template <class T = void>
  const T* tensor_data(int tensor) const {
    return static_cast<const T*>(octet_session_tensor_data(session_, tensor));
  }
  octet_status invoke() { return octet_session_invoke(session_); }
  octet_isa isa() const { return octet_session_isa(session_); }
  bool repacked() const { return octet_session_repacked(session_) != 0; }
  void set_observer(octet_observer observer, void* user) {
    octet_session_set_observer(session_, observer, user);
  }

 private:
  octet_session* session_ = nullptr;
};

}  // namespace octet
