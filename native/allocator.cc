// libtorch's default CPU allocator uses posix_memalign. In a Node process the glibc heap also holds
// the small objects behind every JS tensor handle, and memalign's split-off remainders get taken by
// them, so a freed tensor block is never quite large enough for the next identical request: a loop of
// scoped steps grew by the size of its tensors every iteration (measured: 8 KiB tensors, +23 KiB
// resident per step). Plain malloc of a fixed overhead, aligned by hand, returns the same-size block
// to the next identical request, as Python's process sees with the default allocator.
//
// Large blocks (activations, gradients) must not go back to the kernel between steps. glibc served
// them with mmap and gave them back with munmap, so every training step faulted its whole working set
// in again: ResNet-18 at 224x224, batch 8, took 35,000 page faults and ~70 ms of kernel time per step
// in this process (17,000 in Python's, whose malloc thresholds happen to settle higher). At batch 8 and
// 512 px an eval forward of DenseNet-121 asks for ~4.5 GB of distinct sizes (its concatenations grow by
// 32 channels a layer) and spent half its time faulting in and zeroing pages (PyTorch's process pays
// the same). So mmap is turned off (M_MMAP_MAX 0) and the heap top is not trimmed (M_TRIM_THRESHOLD):
// large blocks come from the brk heap, whose freed neighbours coalesce, so the next step's sizes, equal
// or not, are carved from memory already mapped. A thread's own arena that cannot grow far enough still
// falls back to mmap inside glibc. emptyCache gives the free heap back (malloc_trim).
// Measured (2 threads, fp32, min of 3, interleaved, against the same code with mmap):
// - eval forward at 512 px, batch 8: DenseNet-121 4134 -> 2245 ms (6.5 M -> 0.22 M page faults a run),
//   U-Net/ResNet-34 4210 -> 3200 ms;
// - bench train (time and peak resident size against PyTorch's): U-Net/ResNet-34 0.873x/0.961x ->
//   0.863x/0.880x, DenseNet-121 0.894x/0.960x -> 0.715x/0.879x.
//
// A block cache in front of malloc, as PyTorch's CUDA caching allocator keeps one, hands a freed block
// to the next request of its size (or up to 1/8 smaller). It was how steps avoided the refaults before
// the heap did; on top of the heap it only holds memory (bench train: peak 0.944-0.975x PyTorch's with
// a 256 MiB cache against 0.88x without, at the same step time), so it is off unless
// PNEUMO_CPU_CACHE_MB sets its cap in MiB. It is emptied when malloc fails, and on request (emptyCache).
#include <malloc.h>
#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <map>
#include <mutex>
#include <new>
#include <torch/version.h>
#include "common.h"

// libtorch 2.3 made Allocator::allocate non-const and copy_data (used by Storage clones) pure virtual.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
#define PNEUMO_ALLOCATOR_V2 1
#define PNEUMO_ALLOCATE_CONST
#else
#define PNEUMO_ALLOCATOR_V2 0
#define PNEUMO_ALLOCATE_CONST const
#endif

namespace {

constexpr size_t kAlignment = 64;          // what libtorch's vectorised kernels and oneDNN expect
constexpr size_t kCachedFrom = 128 << 10;  // glibc's default mmap threshold: below it the heap reuses well
constexpr size_t kGranule = 64 << 10;      // cached block sizes are multiples of this

// Sits just below every aligned block.
struct Header {
  void* raw;        // what malloc returned
  size_t capacity;  // usable bytes of a cacheable block; 0 for a small one
};

size_t CacheLimit() {
  if (const char* mb = std::getenv("PNEUMO_CPU_CACHE_MB")) return static_cast<size_t>(std::strtoull(mb, nullptr, 10)) << 20;
  return 0;
}

class BlockCache {
 public:
  // A cached block of at least `size` bytes and not more than 1/8 above it, or nullptr.
  void* Take(size_t size) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = free_.lower_bound(size);
    if (it == free_.end() || it->first > size + size / 8) {
      misses_++;
      return nullptr;
    }
    // Of the blocks of that size, the one freed last: it is the likeliest to be in the CPU caches.
    it = std::prev(free_.upper_bound(it->first));
    void* block = it->second;
    cached_ -= it->first;
    free_.erase(it);
    hits_++;
    return block;
  }

  // Keeps a freed block unless the cache is full.
  bool Put(void* block, size_t capacity) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (cached_ + capacity > limit_) return false;
    free_.emplace(capacity, block);
    cached_ += capacity;
    return true;
  }

  void Clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [capacity, block] : free_) std::free(static_cast<Header*>(block)[-1].raw);
    free_.clear();
    cached_ = 0;
  }

  void Stats(size_t* cached, size_t* limit, uint64_t* hits, uint64_t* misses) {
    std::lock_guard<std::mutex> lock(mutex_);
    *cached = cached_;
    *limit = limit_;
    *hits = hits_;
    *misses = misses_;
  }

 private:
  std::mutex mutex_;
  std::multimap<size_t, void*> free_;
  size_t cached_ = 0;
  size_t limit_ = CacheLimit();
  uint64_t hits_ = 0, misses_ = 0;
};

// Never destroyed: libtorch frees static tensors after this file's statics would be gone.
BlockCache& cache = *new BlockCache();

void* AllocateAligned(size_t capacity) {
  void* raw = std::malloc(capacity + kAlignment + sizeof(Header));
  if (raw == nullptr) {
    cache.Clear();
    raw = std::malloc(capacity + kAlignment + sizeof(Header));
    if (raw == nullptr) throw std::bad_alloc();
  }
  auto base = reinterpret_cast<uintptr_t>(raw) + sizeof(Header);
  auto* aligned = reinterpret_cast<void*>((base + kAlignment - 1) & ~(uintptr_t)(kAlignment - 1));
  static_cast<Header*>(aligned)[-1] = Header{raw, 0};
  return aligned;
}

void Release(void* data) {
  if (data == nullptr) return;
  const Header& header = static_cast<Header*>(data)[-1];
  if (header.capacity == 0 || !cache.Put(data, header.capacity)) std::free(header.raw);
}

struct CachingAllocator final : public c10::Allocator {
  c10::DataPtr allocate(size_t nbytes) PNEUMO_ALLOCATE_CONST override {
    if (nbytes == 0) return {nullptr, nullptr, &Release, c10::Device(c10::DeviceType::CPU)};
    if (nbytes < kCachedFrom) {
      void* block = AllocateAligned(nbytes);
      return {block, block, &Release, c10::Device(c10::DeviceType::CPU)};
    }
    // Blocks are looked up by their rounded size, so that a request finds the block its own size made.
    size_t capacity = (nbytes + kGranule - 1) / kGranule * kGranule;
    void* block = cache.Take(capacity);
    if (block == nullptr) {
      block = AllocateAligned(capacity);
      static_cast<Header*>(block)[-1].capacity = capacity;
    }
    return {block, block, &Release, c10::Device(c10::DeviceType::CPU)};
  }
  c10::DeleterFnPtr raw_deleter() const override { return &Release; }
#if PNEUMO_ALLOCATOR_V2
  // Blocks are plain host memory.
  void copy_data(void* dest, const void* src, std::size_t count) const override { default_copy_data(dest, src, count); }
#endif
};

CachingAllocator allocator;

Napi::Value EmptyCache(const Napi::CallbackInfo& info) {
  cache.Clear();
  malloc_trim(0);
  return info.Env().Undefined();
}

Napi::Value CacheInfo(const Napi::CallbackInfo& info) {
  size_t cached, limit;
  uint64_t hits, misses;
  cache.Stats(&cached, &limit, &hits, &misses);
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("cachedBytes", static_cast<double>(cached));
  out.Set("limitBytes", static_cast<double>(limit));
  out.Set("hits", static_cast<double>(hits));
  out.Set("misses", static_cast<double>(misses));
  return out;
}

}  // namespace

void InstallAllocator() {
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, INT_MAX);  // mallopt takes an int; 2 GiB of free heap top before a trim
  c10::SetCPUAllocator(&allocator, /*priority=*/10);
}

void RegisterAllocator(Napi::Env env, Napi::Object exports) {
  exports.Set("emptyCache", Napi::Function::New(env, EmptyCache));
  exports.Set("cpuCacheInfo", Napi::Function::New(env, CacheInfo));
}
