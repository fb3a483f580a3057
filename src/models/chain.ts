// Runs layers one after another, releasing each intermediate result as soon as the next one exists.
// Autograd keeps what it saved for backward on its own, so dropping our handles is safe in training
// and keeps inference memory at about two activations per chain instead of all of them.
import * as torch from '../torch/index.js';
import type { nn } from '../torch/index.js';

export function chain(layers: readonly nn.Layer[], input: torch.Tensor): torch.Tensor {
  let x = input;
  for (const layer of layers) {
    const current = x;
    const next = torch.scope(() => layer.forward(current));
    if (current !== input && next !== current) current.dispose();
    x = next;
  }
  return x;
}
