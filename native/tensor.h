#pragma once
#include <ATen/ATen.h>
#include <napi.h>
#include <cstdint>
#include <memory>

// A JS handle owning one at::Tensor reference. dispose() drops the reference at once; the destructor
// (run by the garbage collector) is only a backstop for handles the caller forgot.
class TensorWrap : public Napi::ObjectWrap<TensorWrap> {
 public:
  static Napi::Object Init(Napi::Env env, Napi::Object exports);
  static Napi::Object Wrap(Napi::Env env, at::Tensor tensor);
  static bool IsTensor(const Napi::Value& value);
  static at::Tensor& FromValue(const Napi::Value& value);
  static int64_t Live(Napi::Env env);

  explicit TensorWrap(const Napi::CallbackInfo& info);
  ~TensorWrap() override;

  at::Tensor& tensor();

 private:
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value IsDisposed(const Napi::CallbackInfo& info);
  Napi::Value Shape(const Napi::CallbackInfo& info);
  Napi::Value Dtype(const Napi::CallbackInfo& info);
  Napi::Value Device(const Napi::CallbackInfo& info);
  Napi::Value ToBuffer(const Napi::CallbackInfo& info);
  Napi::Value Item(const Napi::CallbackInfo& info);
  Napi::Value RequiresGrad(const Napi::CallbackInfo& info);
  Napi::Value SetRequiresGrad(const Napi::CallbackInfo& info);
  Napi::Value Grad(const Napi::CallbackInfo& info);
  Napi::Value ZeroGrad(const Napi::CallbackInfo& info);
  Napi::Value Backward(const Napi::CallbackInfo& info);
  Napi::Value Detach(const Napi::CallbackInfo& info);
  Napi::Value CopyFrom(const Napi::CallbackInfo& info);

  at::Tensor tensor_;
  bool disposed_ = false;
  // The live count of the environment that made this handle (see instance.h).
  std::shared_ptr<int64_t> live_;
};
