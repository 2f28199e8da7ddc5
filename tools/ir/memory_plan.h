// Offline arena planner used by serialize(): places buffers with known live ranges so that
// buffers live at the same time never share a byte. Exposed for tests and tools.
#pragma once
#include <cstddef>
#include <vector>

namespace octet::ir {

constexpr size_t kArenaAlignment = 64;

struct PlanBuffer {
  size_t size = 0;
  int first_op = 0;  // live from the start of this op...
  int last_op = 0;   // ...to the end of this one (inclusive)
};

// Greedy best-fit by size (largest first; ties by index, so the result is deterministic):
// each buffer goes into the smallest gap between already placed, simultaneously live buffers
// that holds it, else above them. Offsets are kArenaAlignment-aligned. *arena_size gets the
// end of the highest buffer, rounded up to kArenaAlignment.
std::vector<size_t> plan_buffers(const std::vector<PlanBuffer>& buffers, size_t* arena_size);

}  // namespace octet::ir
