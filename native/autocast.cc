// Autocast and inference mode: per-thread libtorch state (ATen/autocast_mode.h, c10/core/InferenceMode.h),
// set for the calling JS thread. Entering and leaving an autocast region (nesting, restoring the
// previous state, clearing the cast cache) is decided in src/torch/autocast.ts, as PyTorch's
// torch.autocast does in Python; these functions only read and write the state.
#include <ATen/autocast_mode.h>
#include <c10/core/InferenceMode.h>
#include <torch/version.h>
#include "common.h"

namespace {

// libtorch 2.4 replaced the per-backend functions (set_cpu_enabled, set_autocast_gpu_dtype, ...) by
// ones taking the device type, and the old ones now warn at every call.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
bool AutocastEnabled(bool cuda) { return at::autocast::is_autocast_enabled(cuda ? at::kCUDA : at::kCPU); }
at::ScalarType AutocastDtype(bool cuda) { return at::autocast::get_autocast_dtype(cuda ? at::kCUDA : at::kCPU); }
void SetAutocastState(bool cuda, bool enabled, at::ScalarType dtype) {
  at::autocast::set_autocast_dtype(cuda ? at::kCUDA : at::kCPU, dtype);
  at::autocast::set_autocast_enabled(cuda ? at::kCUDA : at::kCPU, enabled);
}
#else
bool AutocastEnabled(bool cuda) { return cuda ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled(); }
at::ScalarType AutocastDtype(bool cuda) {
  return cuda ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
}
void SetAutocastState(bool cuda, bool enabled, at::ScalarType dtype) {
  if (cuda) {
    at::autocast::set_autocast_gpu_dtype(dtype);
    at::autocast::set_enabled(enabled);
  } else {
    at::autocast::set_autocast_cpu_dtype(dtype);
    at::autocast::set_cpu_enabled(enabled);
  }
}
#endif

bool IsCuda(const Napi::Value& device) {
  std::string type = device.As<Napi::String>().Utf8Value();
  if (type == "cuda") return true;
  if (type == "cpu") return false;
  throw std::invalid_argument("autocast device must be `cpu` or `cuda`, got `" + type + "`");
}

// autocastState(device) -> { enabled, dtype }
Napi::Value AutocastState(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    bool cuda = IsCuda(info[0]);
    Napi::Object out = Napi::Object::New(info.Env());
    out.Set("enabled", AutocastEnabled(cuda));
    out.Set("dtype", static_cast<int>(AutocastDtype(cuda)));
    return out;
  });
}

// setAutocast(device, enabled, dtypeCode)
Napi::Value SetAutocast(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    bool cuda = IsCuda(info[0]);
    bool enabled = info[1].As<Napi::Boolean>().Value();
    auto dtype = static_cast<at::ScalarType>(info[2].As<Napi::Number>().Int32Value());
    SetAutocastState(cuda, enabled, dtype);
    return info.Env().Undefined();
  });
}

Napi::Value AutocastIncrementNesting(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), at::autocast::increment_nesting());
}

Napi::Value AutocastDecrementNesting(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), at::autocast::decrement_nesting());
}

// The low-precision copies of weights made inside a region are cached until the outermost region ends.
Napi::Value AutocastClearCache(const Napi::CallbackInfo& info) {
  at::autocast::clear_cache();
  return info.Env().Undefined();
}

// inferenceMode(fn): calls fn with c10::InferenceMode held (no autograd recording, no version
// counters), releasing it however fn ends. fn is synchronous JS.
Napi::Value InferenceMode(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    Napi::Function fn = info[0].As<Napi::Function>();
    c10::InferenceMode guard;
    return fn.Call({});
  });
}

Napi::Value IsInferenceMode(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), c10::InferenceMode::is_enabled());
}

}  // namespace

void RegisterAutocast(Napi::Env env, Napi::Object exports) {
  exports.Set("autocastState", Napi::Function::New(env, AutocastState));
  exports.Set("setAutocast", Napi::Function::New(env, SetAutocast));
  exports.Set("autocastIncrementNesting", Napi::Function::New(env, AutocastIncrementNesting));
  exports.Set("autocastDecrementNesting", Napi::Function::New(env, AutocastDecrementNesting));
  exports.Set("autocastClearCache", Napi::Function::New(env, AutocastClearCache));
  exports.Set("inferenceMode", Napi::Function::New(env, InferenceMode));
  exports.Set("isInferenceMode", Napi::Function::New(env, IsInferenceMode));
}
