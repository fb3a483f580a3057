#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <ATen/Context.h>
#include <torch/cuda.h>
#include <torch/version.h>
#include <string>
#include "common.h"

// The version of the libtorch this process has loaded, which may not be the one the addon was compiled
// against (another libtorch on the library path, an upgraded package). at::show_config() is compiled
// into libtorch_cpu itself and lists the TORCH_VERSION its build was configured with.
static std::string RuntimeTorchVersion() {
  const std::string config = at::show_config();
  const std::string key = "TORCH_VERSION=";
  size_t pos = config.find(key);
  if (pos == std::string::npos) return "unknown";
  size_t from = pos + key.size();
  size_t to = config.find_first_of(", \n", from);
  return config.substr(from, to == std::string::npos ? std::string::npos : to - from);
}

static Napi::Value Info(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    Napi::Object out = Napi::Object::New(env);
    out.Set("torchVersion", TORCH_VERSION);
    out.Set("runtimeTorchVersion", RuntimeTorchVersion());
    out.Set("threads", at::get_num_threads());
    out.Set("interopThreads", at::get_num_interop_threads());
    out.Set("cudaAvailable", torch::cuda::is_available());
    out.Set("cudaDevices", static_cast<double>(torch::cuda::device_count()));
    out.Set("mkldnn", at::hasMKLDNN());
    out.Set("parallelInfo", at::get_parallel_info());
    out.Set("config", at::show_config());
    return out;
  });
}

static Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    at::set_num_threads(info[0].As<Napi::Number>().Int32Value());
    return info.Env().Undefined();
  });
}

void RegisterInfo(Napi::Env env, Napi::Object exports) {
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads));
}
