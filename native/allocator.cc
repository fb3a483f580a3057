// libtorch's default CPU allocator uses posix_memalign. In a Node process the glibc heap also holds
// the small objects behind every JS tensor handle, and memalign's split-off remainders get taken by
// them, so a freed tensor block is never quite large enough for the next identical request: a loop of
// scoped steps grew by the size of its tensors every iteration (measured: 8 KiB tensors, +23 KiB
// resident per step). Plain malloc of a fixed overhead, aligned by hand, returns the same-size block
// to the next identical request, as Python's process sees with the default allocator.
#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <cstdint>
#include <cstdlib>
#include <new>
#include "common.h"

namespace {

constexpr size_t kAlignment = 64;  // what libtorch's vectorised kernels and oneDNN expect

void Release(void* data) {
  if (data != nullptr) std::free(static_cast<void**>(data)[-1]);
}

struct HandAlignedAllocator final : public c10::Allocator {
  c10::DataPtr allocate(size_t nbytes) const override {
    if (nbytes == 0) return {nullptr, nullptr, &Release, c10::Device(c10::DeviceType::CPU)};
    void* raw = std::malloc(nbytes + kAlignment + sizeof(void*));
    if (raw == nullptr) throw std::bad_alloc();
    auto base = reinterpret_cast<uintptr_t>(raw) + sizeof(void*);
    auto aligned = reinterpret_cast<void*>((base + kAlignment - 1) & ~(uintptr_t)(kAlignment - 1));
    static_cast<void**>(aligned)[-1] = raw;
    return {aligned, aligned, &Release, c10::Device(c10::DeviceType::CPU)};
  }
  c10::DeleterFnPtr raw_deleter() const override { return &Release; }
};

HandAlignedAllocator allocator;

}  // namespace

void InstallAllocator() { c10::SetCPUAllocator(&allocator, /*priority=*/10); }
