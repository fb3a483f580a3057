#pragma once
#include <napi.h>

// Every entry point is wrapped so that a C++ exception (c10::Error included) becomes a JS Error
// carrying libtorch's message, never an abort of the process.
template <typename F>
auto Guard(const Napi::CallbackInfo& info, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
}

void RegisterInfo(Napi::Env env, Napi::Object exports);
