// CUDA devices as the driver sees them (name, memory, compute capability), for `pneumo info`.
// The driver library is opened at run time, so this builds against a CPU-only libtorch and needs no
// CUDA headers: the few driver entry points used have had these C signatures since CUDA 3.2.
#include <dlfcn.h>
#include <string>
#include "common.h"

namespace {

using CuInit = int (*)(unsigned int);
using CuDeviceGetCount = int (*)(int*);
using CuDeviceGet = int (*)(int*, int);
using CuDeviceGetName = int (*)(char*, int, int);
using CuDeviceTotalMem = int (*)(size_t*, int);
using CuDeviceGetAttribute = int (*)(int*, int, int);
using CuDriverGetVersion = int (*)(int*);

constexpr int kComputeCapabilityMajor = 75;  // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
constexpr int kComputeCapabilityMinor = 76;  // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR
constexpr int kMultiprocessorCount = 16;     // CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT

template <typename F>
F Symbol(void* lib, const char* name) {
  void* f = dlsym(lib, name);
  if (f == nullptr) throw std::runtime_error(std::string("the CUDA driver lacks ") + name);
  return reinterpret_cast<F>(f);
}

void Check(int result, const char* what) {
  if (result != 0) throw std::runtime_error(std::string(what) + " failed with CUDA driver error " + std::to_string(result));
}

// cudaDevices() -> { driverVersion, devices: [{ index, name, totalMemory, computeCapability, multiprocessors }] },
// or { driverVersion: null, devices: [], reason } where there is no usable driver.
Napi::Value CudaDevices(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    Napi::Object out = Napi::Object::New(env);
    Napi::Array devices = Napi::Array::New(env);
    out.Set("devices", devices);
    out.Set("driverVersion", env.Null());
    void* lib = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
    if (lib == nullptr) {
      out.Set("reason", "no CUDA driver (libcuda.so.1) on this machine");
      return out;
    }
    int count = 0;
    if (Symbol<CuInit>(lib, "cuInit")(0) != 0 || Symbol<CuDeviceGetCount>(lib, "cuDeviceGetCount")(&count) != 0) {
      out.Set("reason", "the CUDA driver found no usable device");
      return out;
    }
    int version = 0;
    Check(Symbol<CuDriverGetVersion>(lib, "cuDriverGetVersion")(&version), "cuDriverGetVersion");
    out.Set("driverVersion", std::to_string(version / 1000) + "." + std::to_string(version % 1000 / 10));
    auto get = Symbol<CuDeviceGet>(lib, "cuDeviceGet");
    auto name = Symbol<CuDeviceGetName>(lib, "cuDeviceGetName");
    auto memory = Symbol<CuDeviceTotalMem>(lib, "cuDeviceTotalMem_v2");
    auto attribute = Symbol<CuDeviceGetAttribute>(lib, "cuDeviceGetAttribute");
    for (int i = 0; i < count; i++) {
      int device = 0;
      Check(get(&device, i), "cuDeviceGet");
      char text[256] = {0};
      Check(name(text, sizeof(text) - 1, device), "cuDeviceGetName");
      size_t bytes = 0;
      Check(memory(&bytes, device), "cuDeviceTotalMem");
      int major = 0, minor = 0, sms = 0;
      Check(attribute(&major, kComputeCapabilityMajor, device), "cuDeviceGetAttribute");
      Check(attribute(&minor, kComputeCapabilityMinor, device), "cuDeviceGetAttribute");
      Check(attribute(&sms, kMultiprocessorCount, device), "cuDeviceGetAttribute");
      Napi::Object d = Napi::Object::New(env);
      d.Set("index", i);
      d.Set("name", std::string(text));
      d.Set("totalMemory", static_cast<double>(bytes));
      d.Set("computeCapability", std::to_string(major) + "." + std::to_string(minor));
      d.Set("multiprocessors", sms);
      devices.Set(static_cast<uint32_t>(i), d);
    }
    return out;
  });
}

}  // namespace

void RegisterCudaDevices(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaDevices", Napi::Function::New(env, CudaDevices));
}
