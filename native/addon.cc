// Export table only: each concern registers its functions from its own file.
#include <napi.h>
#include "common.h"

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InstallAllocator();
  RegisterAllocator(env, exports);
  RegisterInfo(env, exports);
  RegisterTensor(env, exports);
  RegisterDispatch(env, exports);
  RegisterDistributed(env, exports);
  return exports;
}

NODE_API_MODULE(pneumo_torch, Init)
