#include "tensor.h"
#include <torch/csrc/autograd/autograd.h>
#include <cstring>
#include "common.h"
#include "instance.h"

Napi::Object TensorWrap::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function cls = DefineClass(env, "NativeTensor",
                                   {
                                       InstanceMethod("dispose", &TensorWrap::Dispose),
                                       InstanceMethod("isDisposed", &TensorWrap::IsDisposed),
                                       InstanceMethod("shape", &TensorWrap::Shape),
                                       InstanceMethod("dtype", &TensorWrap::Dtype),
                                       InstanceMethod("device", &TensorWrap::Device),
                                       InstanceMethod("toBuffer", &TensorWrap::ToBuffer),
                                       InstanceMethod("item", &TensorWrap::Item),
                                       InstanceMethod("requiresGrad", &TensorWrap::RequiresGrad),
                                       InstanceMethod("setRequiresGrad", &TensorWrap::SetRequiresGrad),
                                       InstanceMethod("grad", &TensorWrap::Grad),
                                       InstanceMethod("zeroGrad", &TensorWrap::ZeroGrad),
                                       InstanceMethod("backward", &TensorWrap::Backward),
                                       InstanceMethod("detach", &TensorWrap::Detach),
                                       InstanceMethod("copyFrom", &TensorWrap::CopyFrom),
                                   });
  AddonInstance::Of(env).tensorConstructor = Napi::Persistent(cls);
  exports.Set("NativeTensor", cls);
  return exports;
}

TensorWrap::TensorWrap(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<TensorWrap>(info), live_(AddonInstance::Of(info.Env()).liveTensors) {}

TensorWrap::~TensorWrap() {
  if (!disposed_ && tensor_.defined()) (*live_)--;
}

Napi::Object TensorWrap::Wrap(Napi::Env env, at::Tensor tensor) {
  Napi::Object obj = AddonInstance::Of(env).tensorConstructor.New({});
  TensorWrap* wrap = Napi::ObjectWrap<TensorWrap>::Unwrap(obj);
  wrap->tensor_ = std::move(tensor);
  if (wrap->tensor_.defined()) (*wrap->live_)++;
  return obj;
}

bool TensorWrap::IsTensor(const Napi::Value& value) {
  return value.IsObject() && value.As<Napi::Object>().InstanceOf(AddonInstance::Of(value.Env()).tensorConstructor.Value());
}

at::Tensor& TensorWrap::tensor() {
  if (disposed_) throw std::runtime_error("tensor used after dispose()");
  return tensor_;
}

at::Tensor& TensorWrap::FromValue(const Napi::Value& value) {
  if (!IsTensor(value)) throw std::invalid_argument("expected a native tensor");
  return Napi::ObjectWrap<TensorWrap>::Unwrap(value.As<Napi::Object>())->tensor();
}

int64_t TensorWrap::Live(Napi::Env env) { return *AddonInstance::Of(env).liveTensors; }

Napi::Value TensorWrap::Dispose(const Napi::CallbackInfo& info) {
  if (!disposed_) {
    if (tensor_.defined()) (*live_)--;
    tensor_ = at::Tensor();
    disposed_ = true;
  }
  return info.Env().Undefined();
}

Napi::Value TensorWrap::IsDisposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), disposed_); }

Napi::Value TensorWrap::Shape(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    auto sizes = tensor().sizes();
    Napi::Array out = Napi::Array::New(info.Env(), sizes.size());
    for (size_t i = 0; i < sizes.size(); i++) out.Set(i, Napi::Number::New(info.Env(), static_cast<double>(sizes[i])));
    return out;
  });
}

Napi::Value TensorWrap::Dtype(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    return Napi::Number::New(info.Env(), static_cast<int>(tensor().scalar_type()));
  });
}

Napi::Value TensorWrap::Device(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value { return Napi::String::New(info.Env(), tensor().device().str()); });
}

// Copies the elements, in row-major order, into a new ArrayBuffer: one copy, since JS memory is
// owned by the garbage collector and libtorch memory must be released deterministically.
Napi::Value TensorWrap::ToBuffer(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    at::Tensor t = tensor().detach();
    if (!t.device().is_cpu()) t = t.to(at::kCPU);
    t = t.contiguous();
    size_t bytes = t.numel() * t.element_size();
    Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(info.Env(), bytes);
    if (bytes > 0) std::memcpy(buffer.Data(), t.data_ptr(), bytes);
    return buffer;
  });
}

Napi::Value TensorWrap::Item(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    at::Scalar s = tensor().item();
    if (s.isBoolean()) return Napi::Boolean::New(info.Env(), s.toBool());
    if (s.isIntegral(false)) return Napi::Number::New(info.Env(), static_cast<double>(s.toLong()));
    return Napi::Number::New(info.Env(), s.toDouble());
  });
}

Napi::Value TensorWrap::RequiresGrad(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value { return Napi::Boolean::New(info.Env(), tensor().requires_grad()); });
}

Napi::Value TensorWrap::SetRequiresGrad(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    tensor().set_requires_grad(info[0].As<Napi::Boolean>().Value());
    return info.Env().Undefined();
  });
}

Napi::Value TensorWrap::Grad(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    const at::Tensor& g = tensor().grad();
    if (!g.defined()) return info.Env().Null();
    return Wrap(info.Env(), g);
  });
}

// Drops the gradient, as PyTorch's zero_grad(set_to_none=True) does.
Napi::Value TensorWrap::ZeroGrad(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    tensor().mutable_grad().reset();
    return info.Env().Undefined();
  });
}

Napi::Value TensorWrap::Backward(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    at::Tensor gradient;
    if (info.Length() > 0 && TensorWrap::IsTensor(info[0])) gradient = TensorWrap::FromValue(info[0]);
    bool retain = info.Length() > 1 && info[1].IsBoolean() && info[1].As<Napi::Boolean>().Value();
    torch::autograd::backward({tensor()}, gradient.defined() ? torch::autograd::variable_list{gradient}
                                                             : torch::autograd::variable_list{},
                              retain);
    return info.Env().Undefined();
  });
}

Napi::Value TensorWrap::Detach(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value { return Wrap(info.Env(), tensor().detach()); });
}

// Overwrites this tensor's values in place without recording autograd history (loading weights,
// optimizer state), as PyTorch's `with no_grad(): p.copy_(src)`.
Napi::Value TensorWrap::CopyFrom(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    at::NoGradGuard guard;
    tensor().copy_(TensorWrap::FromValue(info[0]));
    return info.Env().Undefined();
  });
}

// Creates a tensor from raw little-endian bytes (any typed array view) with a dtype code and shape:
// one copy into libtorch-owned memory.
static Napi::Value FromBuffer(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    Napi::TypedArray view = info[0].As<Napi::TypedArray>();
    auto dtype = static_cast<at::ScalarType>(info[1].As<Napi::Number>().Int32Value());
    Napi::Array shapeArray = info[2].As<Napi::Array>();
    std::vector<int64_t> shape(shapeArray.Length());
    int64_t numel = 1;
    for (uint32_t i = 0; i < shapeArray.Length(); i++) {
      shape[i] = shapeArray.Get(i).As<Napi::Number>().Int64Value();
      numel *= shape[i];
    }
    at::Tensor t = at::empty(shape, at::TensorOptions().dtype(dtype));
    size_t bytes = static_cast<size_t>(numel) * t.element_size();
    if (bytes != view.ByteLength())
      throw std::invalid_argument("buffer holds " + std::to_string(view.ByteLength()) + " bytes but shape and dtype need " +
                                  std::to_string(bytes));
    if (bytes > 0) {
      auto* src = static_cast<uint8_t*>(view.ArrayBuffer().Data()) + view.ByteOffset();
      std::memcpy(t.data_ptr(), src, bytes);
    }
    return TensorWrap::Wrap(info.Env(), t);
  });
}

static Napi::Value LiveTensors(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(TensorWrap::Live(info.Env())));
}

static Napi::Value SetGradEnabled(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    bool previous = at::GradMode::is_enabled();
    at::GradMode::set_enabled(info[0].As<Napi::Boolean>().Value());
    return Napi::Boolean::New(info.Env(), previous);
  });
}

static Napi::Value ManualSeed(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    at::manual_seed(static_cast<uint64_t>(info[0].As<Napi::Number>().Int64Value()));
    return info.Env().Undefined();
  });
}

void RegisterTensor(Napi::Env env, Napi::Object exports) {
  TensorWrap::Init(env, exports);
  exports.Set("fromBuffer", Napi::Function::New(env, FromBuffer));
  exports.Set("liveTensors", Napi::Function::New(env, LiveTensors));
  exports.Set("setGradEnabled", Napi::Function::New(env, SetGradEnabled));
  exports.Set("manualSeed", Napi::Function::New(env, ManualSeed));
}
