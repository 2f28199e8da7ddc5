/* Octet C API: load a .octet model, create a session on a caller-provided arena, invoke.
 *
 * After octet_session_create, octet_session_invoke never allocates. With a caller-provided
 * arena nothing allocates after octet_model_open* except the model handle itself (and, when
 * num_threads > 1, the worker threads pthread creates at octet_session_create).
 * Every function returns OCTET_OK or an error code; octet_last_error() describes the last
 * error on the calling thread. */
#ifndef OCTET_OCTET_H_
#define OCTET_OCTET_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OCTET_FORMAT_VERSION 1u
#define OCTET_MAX_RANK 6
#define OCTET_ARENA_ALIGNMENT 64

typedef enum octet_status {
  OCTET_OK = 0,
  OCTET_ERROR_INVALID_ARGUMENT = 1,
  OCTET_ERROR_IO = 2,            /* missing or unreadable file */
  OCTET_ERROR_INVALID_MODEL = 3, /* failed verification */
  OCTET_ERROR_UNSUPPORTED = 4,   /* valid file, op/dtype this runtime cannot run */
  OCTET_ERROR_ISA_UNAVAILABLE = 5, /* forced ISA not compiled in or not supported by the CPU */
  OCTET_ERROR_ARENA_TOO_SMALL = 6,
  OCTET_ERROR_OUT_OF_MEMORY = 7,
  OCTET_ERROR_RUNTIME = 8 /* failure during invoke (e.g. observer asked to stop) */
} octet_status;

typedef enum octet_dtype {
  OCTET_FLOAT32 = 0,
  OCTET_INT8 = 1,
  OCTET_UINT8 = 2,
  OCTET_INT32 = 3
} octet_dtype;

/* Code paths; names match the OCTET_ISA environment variable. */
typedef enum octet_isa {
  OCTET_ISA_AUTO = -1,
  OCTET_ISA_SCALAR = 0,
  OCTET_ISA_AVX2 = 1,
  OCTET_ISA_AVXVNNI = 2,
  OCTET_ISA_AVX512VNNI = 3,
  OCTET_ISA_NEON = 4,
  OCTET_ISA_DOTPROD = 5,
  OCTET_ISA_I8MM = 6
} octet_isa;

typedef struct octet_model octet_model;
typedef struct octet_session octet_session;

typedef struct octet_tensor_info {
  const char* name;
  octet_dtype dtype;
  int rank;
  int32_t shape[OCTET_MAX_RANK];
  size_t size_bytes;
  int quantized;       /* 1 if scale/zero_point apply */
  float scale;         /* per-tensor scale (first channel if per-axis) */
  int32_t zero_point;
} octet_tensor_info;

const char* octet_last_error(void);
const char* octet_status_string(octet_status status);
const char* octet_isa_name(octet_isa isa);

/* ---- Model ---- */
/* Memory-maps the file (read-only, zero copy) and verifies it. */
octet_status octet_model_open(const char* path, octet_model** out_model);
/* Uses the caller's bytes in place (e.g. a model linked into flash). `data` must be
 * OCTET_ARENA_ALIGNMENT-aligned and outlive the model. */
octet_status octet_model_open_buffer(const void* data, size_t size, octet_model** out_model);
void octet_model_close(octet_model* model);

int octet_model_num_inputs(const octet_model* model);
int octet_model_num_outputs(const octet_model* model);
octet_status octet_model_input_info(const octet_model* model, int index, octet_tensor_info* info);
octet_status octet_model_output_info(const octet_model* model, int index, octet_tensor_info* info);
/* Metadata value for `key`, or NULL. */
const char* octet_model_metadata(const octet_model* model, const char* key);

/* ---- Session ---- */
typedef struct octet_session_options {
  octet_isa isa;   /* OCTET_ISA_AUTO: OCTET_ISA env var, else best for this CPU */
  int num_threads; /* <= 1: run on the calling thread only */
} octet_session_options;

void octet_session_options_init(octet_session_options* options);

/* Bytes of arena a session with these options needs (activations, scratch, bookkeeping,
 * and weights repacked when the file lacks the packing the chosen ISA reads). */
octet_status octet_session_arena_size(const octet_model* model, const octet_session_options* options,
                                      size_t* out_size);
/* Creates a session inside `arena` (OCTET_ARENA_ALIGNMENT-aligned, at least
 * octet_session_arena_size bytes). arena == NULL: the session allocates its own. */
octet_status octet_session_create(const octet_model* model, const octet_session_options* options,
                                  void* arena, size_t arena_size, octet_session** out_session);
void octet_session_destroy(octet_session* session);

/* The ISA the session runs and whether it had to repack weights (1) at creation: the file lacks
 * the chosen ISA's packing, or has ops with 9-bit weight channels (legacy uint8 models), whose
 * weights the session extends and packs in its arena. */
octet_isa octet_session_isa(const octet_session* session);
int octet_session_repacked(const octet_session* session);

/* Pointers into the arena; valid for the session's lifetime. Fill inputs, invoke, read outputs. */
void* octet_session_input(octet_session* session, int index);
const void* octet_session_output(const octet_session* session, int index);
octet_status octet_session_invoke(octet_session* session);

/* Called after every operator during invoke (calibration, debugging). Return 0 to continue,
 * non-zero to stop invoke with OCTET_ERROR_RUNTIME. Outputs of op `op_index` are readable
 * through octet_session_tensor_data during the call. */
typedef int (*octet_observer)(void* user, int op_index);
void octet_session_set_observer(octet_session* session, octet_observer observer, void* user);

/* ---- Graph introspection (tools, calibration, inspect) ---- */
int octet_model_num_tensors(const octet_model* model);
int octet_model_num_operators(const octet_model* model);
octet_status octet_model_tensor_info(const octet_model* model, int tensor, octet_tensor_info* info);
/* Current data of any tensor (constants point into the model, intermediates into the arena;
 * an intermediate is only meaningful while it is live, e.g. inside the observer of its producer). */
const void* octet_session_tensor_data(const octet_session* session, int tensor);
/* Operator type name ("Conv2D", ...), its output tensor indices. */
const char* octet_model_operator_type(const octet_model* model, int op_index);
const char* octet_model_operator_name(const octet_model* model, int op_index);
int octet_model_operator_num_outputs(const octet_model* model, int op_index);
int octet_model_operator_output(const octet_model* model, int op_index, int i);

#ifdef __cplusplus
}
#endif

#endif /* OCTET_OCTET_H_ */
