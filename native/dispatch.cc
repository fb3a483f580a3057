// Calls any ATen operator by its schema name through the c10 dispatcher (the path TorchScript takes),
// so autograd, CPU and CUDA kernels all apply. The TypeScript side names each op once (src/torch/ops);
// this file only converts JS values to IValues by the schema's argument types and back.
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/ivalue.h>
#include <ATen/core/stack.h>
#include <c10/core/Device.h>
#include <cmath>
#include <sstream>
#include <vector>
#include "common.h"
#include "instance.h"
#include "tensor.h"

namespace {

int64_t ToInt(const Napi::Value& v, const std::string& what) {
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value() ? 1 : 0;
  if (!v.IsNumber()) throw std::invalid_argument("expected an integer for " + what);
  double d = v.As<Napi::Number>().DoubleValue();
  if (d != static_cast<double>(static_cast<int64_t>(d))) throw std::invalid_argument("expected an integer for " + what + " but got " + std::to_string(d));
  return static_cast<int64_t>(d);
}

std::vector<int64_t> ToIntList(const Napi::Value& v, const std::string& what) {
  if (v.IsNumber()) return {ToInt(v, what)};
  if (!v.IsArray()) throw std::invalid_argument("expected an array of integers for " + what);
  Napi::Array a = v.As<Napi::Array>();
  std::vector<int64_t> out(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) out[i] = ToInt(a.Get(i), what);
  return out;
}

c10::IValue ToIValue(const Napi::Value& v, const c10::TypePtr& type, const std::string& what) {
  using c10::TypeKind;
  switch (type->kind()) {
    case TypeKind::OptionalType:
      if (v.IsNull() || v.IsUndefined()) return c10::IValue();
      return ToIValue(v, type->castRaw<c10::OptionalType>()->getElementType(), what);
    case TypeKind::TensorType:
      return TensorWrap::FromValue(v);
    case TypeKind::IntType:
      return ToInt(v, what);
    case TypeKind::SymIntType:
      return ToInt(v, what);
    case TypeKind::FloatType:
      if (!v.IsNumber()) throw std::invalid_argument("expected a number for " + what);
      return v.As<Napi::Number>().DoubleValue();
    case TypeKind::BoolType:
      if (!v.IsBoolean()) throw std::invalid_argument("expected a boolean for " + what);
      return v.As<Napi::Boolean>().Value();
    case TypeKind::NumberType: {  // Scalar
      if (v.IsBoolean()) return at::Scalar(v.As<Napi::Boolean>().Value());
      if (!v.IsNumber()) throw std::invalid_argument("expected a number for " + what);
      // As in Python: an integral JS number is an int scalar, so int tensors stay int.
      double d = v.As<Napi::Number>().DoubleValue();
      if (std::isfinite(d) && d == static_cast<double>(static_cast<int64_t>(d)) && std::abs(d) < 9.0e15)
        return at::Scalar(static_cast<int64_t>(d));
      return at::Scalar(d);
    }
    case TypeKind::StringType:
      if (!v.IsString()) throw std::invalid_argument("expected a string for " + what);
      return v.As<Napi::String>().Utf8Value();
    case TypeKind::DeviceObjType:
      if (!v.IsString()) throw std::invalid_argument("expected a device string for " + what);
      return c10::Device(v.As<Napi::String>().Utf8Value());
    case TypeKind::ListType: {
      auto elem = type->castRaw<c10::ListType>()->getElementType();
      if (elem->kind() == TypeKind::IntType || elem->kind() == TypeKind::SymIntType) return ToIntList(v, what);
      if (!v.IsArray()) throw std::invalid_argument("expected an array for " + what);
      Napi::Array a = v.As<Napi::Array>();
      if (elem->kind() == TypeKind::TensorType) {
        c10::List<at::Tensor> list;
        for (uint32_t i = 0; i < a.Length(); i++) list.push_back(TensorWrap::FromValue(a.Get(i)));
        return list;
      }
      if (elem->kind() == TypeKind::OptionalType) {
        c10::List<c10::optional<at::Tensor>> list;
        for (uint32_t i = 0; i < a.Length(); i++) {
          Napi::Value e = a.Get(i);
          if (e.IsNull() || e.IsUndefined()) list.push_back(c10::nullopt);
          else list.push_back(TensorWrap::FromValue(e));
        }
        return list;
      }
      if (elem->kind() == TypeKind::FloatType) {
        std::vector<double> out(a.Length());
        for (uint32_t i = 0; i < a.Length(); i++) out[i] = a.Get(i).As<Napi::Number>().DoubleValue();
        return out;
      }
      if (elem->kind() == TypeKind::BoolType) {
        c10::List<bool> list;
        for (uint32_t i = 0; i < a.Length(); i++) list.push_back(a.Get(i).As<Napi::Boolean>().Value());
        return list;
      }
      break;
    }
    case TypeKind::GeneratorType:
      if (v.IsNull() || v.IsUndefined()) return c10::IValue();
      break;
    default:
      break;
  }
  throw std::invalid_argument("unsupported argument type " + type->str() + " for " + what);
}

Napi::Value FromIValue(Napi::Env env, const c10::IValue& v) {
  if (v.isTensor()) return TensorWrap::Wrap(env, v.toTensor());
  if (v.isNone()) return env.Null();
  if (v.isDouble()) return Napi::Number::New(env, v.toDouble());
  if (v.isInt()) return Napi::Number::New(env, static_cast<double>(v.toInt()));
  if (v.isBool()) return Napi::Boolean::New(env, v.toBool());
  if (v.isTensorList()) {
    auto list = v.toTensorList();
    Napi::Array out = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); i++) out.Set(i, TensorWrap::Wrap(env, list.get(i)));
    return out;
  }
  if (v.isIntList()) {
    auto list = v.toIntVector();
    Napi::Array out = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); i++) out.Set(i, Napi::Number::New(env, static_cast<double>(list[i])));
    return out;
  }
  if (v.isTuple()) {
    const auto& elems = v.toTupleRef().elements();
    Napi::Array out = Napi::Array::New(env, elems.size());
    for (size_t i = 0; i < elems.size(); i++) out.Set(i, FromIValue(env, elems[i]));
    return out;
  }
  throw std::invalid_argument("unsupported return type " + v.tagKind());
}

// findOp(name, overload) -> handle index, resolved once per op by the TypeScript side.
Napi::Value FindOp(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    std::string name = info[0].As<Napi::String>().Utf8Value();
    std::string overload = info[1].As<Napi::String>().Utf8Value();
    auto op = c10::Dispatcher::singleton().findSchemaOrThrow(name.c_str(), overload.c_str());
    auto& operators = AddonInstance::Of(info.Env()).operators;
    operators.push_back(op);
    return Napi::Number::New(info.Env(), static_cast<double>(operators.size() - 1));
  });
}

Napi::Value OpSchema(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    const auto& op = AddonInstance::Of(info.Env()).operators.at(info[0].As<Napi::Number>().Uint32Value());
    std::ostringstream s;
    s << op.schema();
    return Napi::String::New(info.Env(), s.str());
  });
}

// callOp(handle, args[]) -> a value, or an array when the op returns several. Arguments are
// positional in schema order (keyword-only ones included); a missing one takes the schema default.
Napi::Value CallOp(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    const auto& op = AddonInstance::Of(info.Env()).operators.at(info[0].As<Napi::Number>().Uint32Value());
    Napi::Array args = info[1].As<Napi::Array>();
    const auto& schema = op.schema();
    const auto& formals = schema.arguments();
    if (args.Length() > formals.size())
      throw std::invalid_argument(schema.name() + ": " + std::to_string(args.Length()) + " arguments given, at most " +
                                  std::to_string(formals.size()) + " accepted");
    torch::jit::Stack stack;
    stack.reserve(formals.size());
    for (size_t i = 0; i < formals.size(); i++) {
      const auto& formal = formals[i];
      Napi::Value v = i < args.Length() ? args.Get(static_cast<uint32_t>(i)) : info.Env().Undefined();
      if (v.IsUndefined()) {
        if (formal.default_value().has_value()) {
          stack.push_back(*formal.default_value());
          continue;
        }
        if (formal.type()->kind() == c10::TypeKind::OptionalType) {
          stack.emplace_back();
          continue;
        }
        throw std::invalid_argument(schema.name() + ": missing argument `" + formal.name() + "`");
      }
      stack.push_back(ToIValue(v, formal.type(), schema.name() + " argument `" + formal.name() + "`"));
    }
    op.callBoxed(&stack);
    if (stack.size() == 1) return FromIValue(info.Env(), stack[0]);
    Napi::Array out = Napi::Array::New(info.Env(), stack.size());
    for (size_t i = 0; i < stack.size(); i++) out.Set(i, FromIValue(info.Env(), stack[i]));
    return out;
  });
}

}  // namespace

void RegisterDispatch(Napi::Env env, Napi::Object exports) {
  exports.Set("findOp", Napi::Function::New(env, FindOp));
  exports.Set("opSchema", Napi::Function::New(env, OpSchema));
  exports.Set("callOp", Napi::Function::New(env, CallOp));
}
