// Debian's libtorch-dev ships c10d/reducer.hpp but not the distributed-autograd header it includes.
// The Reducer only names two types from it, both fixed in PyTorch 1.13 (the callback type is checked
// by reducer.hpp's static_assert); this stand-in declares exactly those. It is on the include path after
// libtorch's own directories, so a libtorch that has the real header uses that one.
#pragma once
#include <ATen/core/Tensor.h>
#include <functional>
#include <memory>

namespace torch {
namespace distributed {
namespace autograd {

class DistAutogradContext {
 public:
  using GradCallback = std::function<bool(at::Tensor&)>;
};

using ContextPtr = std::shared_ptr<DistAutogradContext>;

}  // namespace autograd
}  // namespace distributed
}  // namespace torch
