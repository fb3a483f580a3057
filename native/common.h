#pragma once
#include <napi.h>
#include <c10/util/Exception.h>
#include <string>

// Every entry point is wrapped so that a C++ exception (c10::Error included) becomes a JS Error
// carrying libtorch's message, never an abort of the process. c10::Error's what() carries a C++
// backtrace that means nothing to a JS caller, so the short form is used.
template <typename F>
auto Guard(const Napi::CallbackInfo& info, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw Napi::Error::New(info.Env(), e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
}

void InstallAllocator();
void RegisterAllocator(Napi::Env env, Napi::Object exports);
void RegisterInfo(Napi::Env env, Napi::Object exports);
void RegisterTensor(Napi::Env env, Napi::Object exports);
void RegisterDispatch(Napi::Env env, Napi::Object exports);
void RegisterDistributed(Napi::Env env, Napi::Object exports);
void RegisterAutocast(Napi::Env env, Napi::Object exports);
void RegisterCudaDevices(Napi::Env env, Napi::Object exports);

