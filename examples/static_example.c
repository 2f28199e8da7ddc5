/* Runs a .octet model with a caller-provided arena and prints its first output values.
 * Build statically (toolchains/x86_64-static.cmake) for a dependency-free binary. */
#include <octet/octet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char* what) {
  fprintf(stderr, "octet-static-example: %s: %s\n", what, octet_last_error());
  return 1;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s MODEL.octet\n", argv[0]);
    return 2;
  }
  octet_model* model = NULL;
  if (octet_model_open(argv[1], &model) != OCTET_OK) return fail("open");

  octet_session_options options;
  octet_session_options_init(&options);
  size_t arena_size = 0;
  if (octet_session_arena_size(model, &options, &arena_size) != OCTET_OK) return fail("arena size");
  /* The only allocation the application makes; the runtime makes none from here on. */
  void* arena = aligned_alloc(OCTET_ARENA_ALIGNMENT,
                              (arena_size + OCTET_ARENA_ALIGNMENT - 1) / OCTET_ARENA_ALIGNMENT *
                                  OCTET_ARENA_ALIGNMENT);
  if (!arena) return fail("arena");
  octet_session* session = NULL;
  if (octet_session_create(model, &options, arena, arena_size, &session) != OCTET_OK)
    return fail("session");

  octet_tensor_info in;
  octet_model_input_info(model, 0, &in);
  memset(octet_session_input(session, 0), 0, in.size_bytes);
  if (octet_session_invoke(session) != OCTET_OK) return fail("invoke");

  octet_tensor_info out;
  octet_model_output_info(model, 0, &out);
  printf("model %s: arena %zu bytes, isa %s, output '%s' (%zu bytes)\n", argv[1], arena_size,
         octet_isa_name(octet_session_isa(session)), out.name, out.size_bytes);
  octet_session_destroy(session);
  free(arena);
  octet_model_close(model);
  return 0;
}
