#pragma once
#include <ATen/core/dispatch/Dispatcher.h>
#include <napi.h>
#include <cstdint>
#include <memory>
#include <vector>

// State of one instance of the addon: one per JS environment (the main thread and each worker
// thread load their own), kept as the environment's instance data. JS handles belong to the
// environment that made them, so nothing here may be process-wide: a second environment's class
// constructor in a static would be used by the first one's calls (a crash), and two threads pushing
// to one operator table race.
struct AddonInstance {
  Napi::FunctionReference tensorConstructor;
  Napi::FunctionReference processGroupConstructor;
  // Live tensor handles of this environment. Shared with the handles themselves, because the
  // environment's teardown may free this struct before the garbage collector finalizes them.
  std::shared_ptr<int64_t> liveTensors = std::make_shared<int64_t>(0);
  std::vector<c10::OperatorHandle> operators;

  static AddonInstance& Of(Napi::Env env) { return *env.GetInstanceData<AddonInstance>(); }
};
