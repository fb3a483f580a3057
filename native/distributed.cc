// Data-parallel training on PyTorch's own distributed engine (c10d, as libtorch ships it): a TCPStore
// rendezvous, a Gloo process group and its collectives, and DDP's Reducer, which all-reduces gradients
// in buckets from autograd hooks while the backward pass is still running. Nothing here is a collective
// or a rendezvous of our own; this file converts arguments and turns c10d's failures and timeouts into
// JS errors (see Guard). Collectives block the calling thread, as they do in a PyTorch training loop.
#define USE_C10D_GLOO 1
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/comm.hpp>
#include <torch/csrc/distributed/c10d/reducer.hpp>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/functions/utils.h>
#include <torch/version.h>
#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>
#include "common.h"
#include "instance.h"
#include "tensor.h"

// libtorch 2.0 split c10d's ProcessGroup in two: a Backend (Gloo, NCCL, ...) runs the collectives, and a
// ProcessGroup routes each one to the backend registered for its tensors' device type. In 1.x Gloo's
// process group is itself the ProcessGroup. 2.5 dropped the ProcessGroup's own Options argument.
#define PNEUMO_C10D_BACKENDS (TORCH_VERSION_MAJOR >= 2)
#define PNEUMO_C10D_PG_OPTIONS (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR < 5)

namespace {

// The backward of a differentiable all-reduce (sum): every rank's gradient of the sum is the sum of
// all ranks' gradients, so backward is the same all-reduce over the incoming gradient (as
// torch.distributed.nn.functional.all_reduce). SyncBatchNorm's statistics go through it; the
// normalisation itself is composed of ordinary ATen ops in TypeScript, so autograd forms the rest of
// its backward. A custom node is needed because a collective inside backward cannot be composed from
// ATen ops, and libtorch's Function<> context cannot hold the process group.
struct AllReduceBackward : public torch::autograd::Node {
  c10::intrusive_ptr<c10d::ProcessGroup> group;
  std::chrono::milliseconds timeout{0};
  std::vector<int64_t> sizes;
  at::TensorOptions options;

  std::string name() const override { return "AllReduceBackward"; }

  torch::autograd::variable_list apply(torch::autograd::variable_list&& grads) override {
    // Every rank must take part even when its own gradient did not reach here.
    std::vector<at::Tensor> tensors{grads[0].defined() ? grads[0].contiguous().clone() : at::zeros(sizes, options)};
    c10d::AllreduceOptions opts;
    opts.timeout = timeout;
    group->allreduce(tensors, opts)->wait(timeout);
    return {tensors[0]};
  }
};

// A fresh AllReduceBackward node, owned as this libtorch owns autograd nodes. libtorch 1.13 and 2.6
// hold nodes in std::shared_ptr freed through torch::autograd::deleteNode (which frees long chains of
// nodes without recursing); later 2.x releases made Node an intrusive_ptr target and dropped
// deleteNode. The deleteNode call is unqualified so that argument-dependent lookup finds libtorch's
// where it exists; the template below, a worse match, only stands in to keep that branch well-formed.
template <typename N>
void deleteNode(N* node) {
  delete node;
}

template <typename N = AllReduceBackward>
auto MakeAllReduceBackward() {
  if constexpr (std::is_base_of_v<c10::intrusive_ptr_target, N>)
    return c10::make_intrusive<N>();
  else
    return std::shared_ptr<N>(new N(), [](N* node) { deleteNode(static_cast<torch::autograd::Node*>(node)); });
}

// TCPStoreOptions::useLibUV (2.x): the store's server runs on libuv, the default since 2.4, but a
// libtorch may be built without libuv (Debian 13's 2.6 is), and then asks for the older server
// backend explicitly. Detected as a member so that 1.13, which has neither, compiles unchanged.
template <typename O, typename = void>
struct HasUseLibUV : std::false_type {};
template <typename O>
struct HasUseLibUV<O, std::void_t<decltype(std::declval<O&>().useLibUV)>> : std::true_type {};

template <typename O = c10d::TCPStoreOptions>
c10::intrusive_ptr<c10d::TCPStore> MakeStore(const std::string& host, O options) {
  try {
    return c10::make_intrusive<c10d::TCPStore>(host, options);
  } catch (const std::exception& err) {
    if constexpr (HasUseLibUV<O>::value) {
      if (options.useLibUV && std::string(err.what()).find("libuv") != std::string::npos) {
        options.useLibUV = false;
        return c10::make_intrusive<c10d::TCPStore>(host, options);
      }
    }
    throw;
  }
}

std::vector<at::Tensor> ToTensors(const Napi::Value& value) {
  if (!value.IsArray()) throw std::invalid_argument("expected an array of native tensors");
  Napi::Array array = value.As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); i++) out.push_back(TensorWrap::FromValue(array.Get(i)));
  return out;
}

c10d::ReduceOp ToReduceOp(const std::string& name) {
  if (name == "sum") return c10d::ReduceOp::SUM;
  if (name == "max") return c10d::ReduceOp::MAX;
  if (name == "min") return c10d::ReduceOp::MIN;
  if (name == "product") return c10d::ReduceOp::PRODUCT;
  throw std::invalid_argument("unknown reduce op `" + name + "` (sum, max, min, product)");
}

// One rank's membership of a Gloo group: the store (rank 0 serves it) and the group built on it.
class ProcessGroupWrap : public Napi::ObjectWrap<ProcessGroupWrap> {
 public:

  static void Init(Napi::Env env, Napi::Object exports) {
    Napi::Function cls = DefineClass(env, "ProcessGroup",
                                     {
                                         InstanceMethod("allReduce", &ProcessGroupWrap::AllReduce),
                                         InstanceMethod("allReduceWithGrad", &ProcessGroupWrap::AllReduceWithGrad),
                                         InstanceMethod("broadcast", &ProcessGroupWrap::Broadcast),
                                         InstanceMethod("broadcastCoalesced", &ProcessGroupWrap::BroadcastCoalesced),
                                         InstanceMethod("allGather", &ProcessGroupWrap::AllGather),
                                         InstanceMethod("barrier", &ProcessGroupWrap::Barrier),
                                         InstanceMethod("close", &ProcessGroupWrap::Close),
                                     });
    // Per environment (instance.h): a static reference would be another thread's class.
    AddonInstance::Of(env).processGroupConstructor = Napi::Persistent(cls);
    exports.Set("ProcessGroup", cls);
  }

  // new ProcessGroup({ masterAddr, masterPort, rank, worldSize, timeoutMs, localAddress, interface })
  // blocks until every rank has joined or the timeout passes.
  explicit ProcessGroupWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ProcessGroupWrap>(info) {
    Guard(info, [&]() {
      Napi::Object o = info[0].As<Napi::Object>();
      std::string masterAddr = o.Get("masterAddr").As<Napi::String>().Utf8Value();
      int port = o.Get("masterPort").As<Napi::Number>().Int32Value();
      int rank = o.Get("rank").As<Napi::Number>().Int32Value();
      int worldSize = o.Get("worldSize").As<Napi::Number>().Int32Value();
      timeout_ = std::chrono::milliseconds(o.Get("timeoutMs").As<Napi::Number>().Int64Value());
      c10d::TCPStoreOptions storeOptions;
      storeOptions.port = static_cast<uint16_t>(port);
      storeOptions.isServer = rank == 0;
      storeOptions.numWorkers = static_cast<size_t>(worldSize);
      // The group's own rendezvous waits for every rank (with the timeout); the store need not.
      storeOptions.waitWorkers = false;
      storeOptions.timeout = timeout_;
      store_ = MakeStore(masterAddr, storeOptions);
      auto options = c10d::ProcessGroupGloo::Options::create(timeout_);
      Napi::Value iface = o.Get("interface");
      Napi::Value local = o.Get("localAddress");
      if (iface.IsString())
        options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(iface.As<Napi::String>()));
      else if (local.IsString())
        options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(local.As<Napi::String>()));
      else
        options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      options->threads = 2;
      auto gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(store_, rank, worldSize, options);
#if PNEUMO_C10D_BACKENDS
      using BackendType = c10d::ProcessGroup::BackendType;
#if PNEUMO_C10D_PG_OPTIONS
      auto groupOptions = c10::make_intrusive<c10d::ProcessGroup::Options>("gloo", timeout_);
      group_ = c10::make_intrusive<c10d::ProcessGroup>(store_, rank, worldSize, groupOptions);
#else
      group_ = c10::make_intrusive<c10d::ProcessGroup>(store_, rank, worldSize);
#endif
      // CPU tensors (everything this engine trains on across processes) go to Gloo, as
      // torch.distributed.init_process_group("gloo") sets it up.
      group_->setDefaultBackend(BackendType::GLOO);
      group_->setBackend(c10::DeviceType::CPU, BackendType::GLOO, gloo);
#else
      group_ = gloo;
#endif
    });
  }

  c10::intrusive_ptr<c10d::ProcessGroup> group() {
    if (!group_) throw std::runtime_error("process group used after close()");
    return group_;
  }

  std::chrono::milliseconds timeout() const { return timeout_; }

 private:
  void Wait(const c10::intrusive_ptr<c10d::Work>& work) {
    // Throws c10d's own error on a timeout or when a peer is gone.
    work->wait(timeout_);
  }

  // allReduce(tensors, op): in place.
  Napi::Value AllReduce(const Napi::CallbackInfo& info) {
    return Guard(info, [&]() -> Napi::Value {
      std::vector<at::Tensor> tensors = ToTensors(info[0]);
      c10d::AllreduceOptions opts;
      opts.reduceOp = ToReduceOp(info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "sum");
      opts.timeout = timeout_;
      // Gloo reduces one tensor per call on the CPU; several become one coalesced call.
      if (tensors.size() == 1) Wait(group()->allreduce(tensors, opts));
      else {
        c10d::AllreduceCoalescedOptions coalesced;
        coalesced.reduceOp = opts.reduceOp;
        coalesced.timeout = timeout_;
        Wait(group()->allreduce_coalesced(tensors, coalesced));
      }
      return info.Env().Undefined();
    });
  }

  // allReduceWithGrad(tensor) -> a new tensor holding the sum over the ranks, whose backward
  // all-reduces the gradient (see AllReduceBackward).
  Napi::Value AllReduceWithGrad(const Napi::CallbackInfo& info) {
    return Guard(info, [&]() -> Napi::Value {
      at::Tensor input = TensorWrap::FromValue(info[0]);
      std::vector<at::Tensor> tensors{input.detach().contiguous().clone()};
      c10d::AllreduceOptions opts;
      opts.timeout = timeout_;
      Wait(group()->allreduce(tensors, opts));
      at::Tensor out = tensors[0];
      if (torch::autograd::compute_requires_grad(input)) {
        auto node = MakeAllReduceBackward();
        node->group = group();
        node->timeout = timeout_;
        node->sizes = input.sizes().vec();
        node->options = input.options();
        node->set_next_edges(torch::autograd::collect_next_edges(input));
        torch::autograd::set_history(out, node);
      }
      return TensorWrap::Wrap(info.Env(), out);
    });
  }

  // broadcast(tensor, root): in place.
  Napi::Value Broadcast(const Napi::CallbackInfo& info) {
    return Guard(info, [&]() -> Napi::Value {
      std::vector<at::Tensor> tensors{TensorWrap::FromValue(info[0])};
      c10d::BroadcastOptions opts;
      opts.rootRank = info[1].As<Napi::Number>().Int32Value();
      opts.timeout = timeout_;
      Wait(group()->broadcast(tensors, opts));
      return info.Env().Undefined();
    });
  }

  // broadcastCoalesced(tensors, root, bufferBytes): many tensors in a few flat messages, as DDP does at start.
  Napi::Value BroadcastCoalesced(const Napi::CallbackInfo& info) {
    return Guard(info, [&]() -> Napi::Value {
      std::vector<at::Tensor> tensors = ToTensors(info[0]);
      int root = info[1].As<Napi::Number>().Int32Value();
      size_t bufferBytes = static_cast<size_t>(info[2].As<Napi::Number>().Int64Value());
      if (!tensors.empty()) c10d::broadcast_coalesced(group(), tensors, bufferBytes, root);
      return info.Env().Undefined();
    });
  }

  // allGather(tensor) -> one tensor per rank, in rank order.
  Napi::Value AllGather(const Napi::CallbackInfo& info) {
    return Guard(info, [&]() -> Napi::Value {
      std::vector<at::Tensor> inputs{TensorWrap::FromValue(info[0]).contiguous()};
      std::vector<std::vector<at::Tensor>> outputs(1);
      for (int r = 0; r < group()->getSize(); r++) outputs[0].push_back(at::empty_like(inputs[0]));
      c10d::AllgatherOptions opts;
      opts.timeout = timeout_;
      Wait(group()->allgather(outputs, inputs, opts));
      Napi::Array out = Napi::Array::New(info.Env(), outputs[0].size());
      for (size_t r = 0; r < outputs[0].size(); r++) out.Set(r, TensorWrap::Wrap(info.Env(), outputs[0][r]));
      return out;
    });
  }

  Napi::Value Barrier(const Napi::CallbackInfo& info) {
    return Guard(info, [&]() -> Napi::Value {
      c10d::BarrierOptions opts;
      opts.timeout = timeout_;
      Wait(group()->barrier(opts));
      return info.Env().Undefined();
    });
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    group_.reset();
    store_.reset();
    return info.Env().Undefined();
  }

  c10::intrusive_ptr<c10d::TCPStore> store_;
  c10::intrusive_ptr<c10d::ProcessGroup> group_;
  std::chrono::milliseconds timeout_{0};
};


// DDP's Reducer with the arguments torch.nn.parallel.DistributedDataParallel gives it: no unused
// parameters, gradients copied out of the buckets, no parameter names. Its constructor has grown a
// parameter in several 2.x releases (skipping the all-reduce of unused parameters, a Python reducer,
// per-bucket caps) and lost the per-bucket size limits, in releases this file cannot all name, so the
// argument list is the one this libtorch's Reducer is constructible from: every later parameter off or
// empty, which is DDP's own default. R is a template parameter so that only the matching call is compiled.
template <typename R = c10d::Reducer>
std::shared_ptr<R> MakeReducer(const std::vector<at::Tensor>& params, const std::vector<std::vector<size_t>>& buckets,
                               const std::vector<size_t>& limits, const c10::intrusive_ptr<c10d::ProcessGroup>& group,
                               const std::vector<bool>& sparse, int64_t bucketBytes, int64_t firstBucketBytes) {
  using Params = std::vector<at::Tensor>;
  using Buckets = std::vector<std::vector<size_t>>;
  using Limits = std::vector<size_t>;
  using Group = c10::intrusive_ptr<c10d::ProcessGroup>;
  using Sparse = std::vector<bool>;
  using Names = std::unordered_map<size_t, std::string>;
  using Caps = std::vector<int64_t>;
  if constexpr (std::is_constructible_v<R, Params, Buckets, Limits, Group, Sparse, int64_t, bool, bool, Names, int64_t>)
    return std::make_shared<R>(params, buckets, limits, group, sparse, bucketBytes, false, false, Names(), firstBucketBytes);
  else if constexpr (std::is_constructible_v<R, Params, Buckets, Limits, Group, Sparse, int64_t, bool, bool, Names, int64_t,
                                             bool>)
    return std::make_shared<R>(params, buckets, limits, group, sparse, bucketBytes, false, false, Names(), firstBucketBytes,
                               false);
  else if constexpr (std::is_constructible_v<R, Params, Buckets, Limits, Group, Sparse, int64_t, bool, bool, Names, int64_t,
                                             bool, bool>)
    return std::make_shared<R>(params, buckets, limits, group, sparse, bucketBytes, false, false, Names(), firstBucketBytes,
                               false, false);
  else if constexpr (std::is_constructible_v<R, Params, Buckets, Group, Sparse, int64_t, bool, bool, Names, int64_t, bool,
                                             bool, Caps>)
    return std::make_shared<R>(params, buckets, group, sparse, bucketBytes, false, false, Names(), firstBucketBytes, false,
                               false, Caps());
  else if constexpr (std::is_constructible_v<R, Params, Buckets, Group, Sparse, int64_t, bool, bool, Names, int64_t, bool,
                                             bool>)
    return std::make_shared<R>(params, buckets, group, sparse, bucketBytes, false, false, Names(), firstBucketBytes, false,
                               false);
  else
    static_assert(sizeof(R) == 0, "this libtorch's c10d::Reducer constructor is not one pneumo knows");
}

// DDP's gradient synchronisation for one set of parameters: buckets of about `bucketBytes` (the first
// one small, so that communication starts early), filled in the order gradients become ready and
// all-reduced asynchronously during backward; when backward returns, every .grad holds the average.
class ReducerWrap : public Napi::ObjectWrap<ReducerWrap> {
 public:

  static void Init(Napi::Env env, Napi::Object exports) {
    Napi::Function cls = DefineClass(env, "Reducer",
                                     {
                                         InstanceMethod("prepareForward", &ReducerWrap::PrepareForward),
                                         InstanceMethod("prepareBackward", &ReducerWrap::PrepareBackward),
                                         InstanceMethod("dispose", &ReducerWrap::Dispose),
                                     });
    exports.Set("Reducer", cls);
  }

  // new Reducer(group, params, bucketBytes, firstBucketBytes)
  explicit ReducerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ReducerWrap>(info) {
    Guard(info, [&]() {
      if (!info[0].IsObject() || !info[0].As<Napi::Object>().InstanceOf(AddonInstance::Of(info.Env()).processGroupConstructor.Value()))
        throw std::invalid_argument("Reducer: expected a ProcessGroup");
      auto* group = Napi::ObjectWrap<ProcessGroupWrap>::Unwrap(info[0].As<Napi::Object>());
      std::vector<at::Tensor> params = ToTensors(info[1]);
      size_t bucketBytes = static_cast<size_t>(info[2].As<Napi::Number>().Int64Value());
      size_t firstBucketBytes = static_cast<size_t>(info[3].As<Napi::Number>().Int64Value());
      for (const auto& p : params)
        if (!p.requires_grad()) throw std::invalid_argument("Reducer: every parameter must require grad");
      // As torch.nn.parallel.DistributedDataParallel: buckets assigned in reverse parameter order
      // (roughly the order backward produces gradients), rebuilt after the first step from the order seen.
      std::vector<bool> sparse(params.size(), false);
      auto assignment = c10d::compute_bucket_assignment_by_size(params, {firstBucketBytes, bucketBytes}, sparse);
      auto buckets = std::get<0>(assignment);
      auto limits = std::get<1>(assignment);
      std::reverse(buckets.begin(), buckets.end());
      std::reverse(limits.begin(), limits.end());
      reducer_ = MakeReducer(params, buckets, limits, group->group(), sparse, static_cast<int64_t>(bucketBytes),
                             static_cast<int64_t>(firstBucketBytes));
    });
  }

 private:
  c10d::Reducer& reducer() {
    if (!reducer_) throw std::runtime_error("Reducer used after dispose()");
    return *reducer_;
  }

  // Before the forward pass of a training step: the one-time bucket rebuild (a collective) and the
  // iteration count.
  Napi::Value PrepareForward(const Napi::CallbackInfo& info) {
    return Guard(info, [&]() -> Napi::Value {
      reducer().rebuild_buckets();
      reducer().prepare_for_forward();
      return info.Env().Undefined();
    });
  }

  // After the loss, before backward: arms the hooks for this step.
  Napi::Value PrepareBackward(const Napi::CallbackInfo& info) {
    return Guard(info, [&]() -> Napi::Value {
      reducer().prepare_for_backward({});
      return info.Env().Undefined();
    });
  }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    return Guard(info, [&]() -> Napi::Value {
      reducer_.reset();
      return info.Env().Undefined();
    });
  }

  std::shared_ptr<c10d::Reducer> reducer_;
};


}  // namespace

void RegisterDistributed(Napi::Env env, Napi::Object exports) {
  ProcessGroupWrap::Init(env, exports);
  ReducerWrap::Init(env, exports);
}
