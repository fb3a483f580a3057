// Export table only: each concern registers its functions from its own file.
#include <napi.h>
#include "common.h"
#include "instance.h"

// Runs once per JS environment (main thread, each worker thread): everything JS-facing is per instance.
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new AddonInstance());
  InstallAllocator();
  RegisterAllocator(env, exports);
  RegisterInfo(env, exports);
  RegisterTensor(env, exports);
  RegisterDispatch(env, exports);
  RegisterDistributed(env, exports);
  RegisterAutocast(env, exports);
  RegisterCudaDevices(env, exports);
  return exports;
}

NODE_API_MODULE(pneumo_torch, Init)
