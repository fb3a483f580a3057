// torchvision's own initialisation of each family (what `torchvision.models.resnet34()` starts from),
// applied after construction as torchvision's constructors do.
import { nn } from '../torch/index.js';

type ConvInit = 'kaiming-fan-out' | 'kaiming-fan-in';

export interface FamilyInit {
  conv: ConvInit;
  /** Conv biases set to zero (VGG, EfficientNet) rather than left at PyTorch's default. */
  zeroConvBias: boolean;
  linear: 'default' | 'default-zero-bias' | 'normal-0.01' | 'uniform-fan-out';
}

export function initFamily(model: nn.Module, rule: FamilyInit): void {
  for (const [, m] of model.namedModules()) {
    if (m instanceof nn.Conv2d) {
      const weight = m.param('weight');
      if (rule.conv === 'kaiming-fan-out') nn.init.kaimingNormal_(weight, 0, 'fan_out', 'relu');
      else nn.init.kaimingNormal_(weight, 0, 'fan_in', 'relu');
      if (m.options.bias && rule.zeroConvBias) nn.init.constant_(m.param('bias'), 0);
    } else if (m instanceof nn.BatchNorm2d || m instanceof nn.GroupNorm) {
      nn.init.constant_(m.param('weight'), 1);
      nn.init.constant_(m.param('bias'), 0);
    } else if (m instanceof nn.Linear) {
      const weight = m.param('weight');
      if (rule.linear === 'normal-0.01') nn.init.normal_(weight, 0, 0.01);
      if (rule.linear === 'uniform-fan-out') {
        const range = 1 / Math.sqrt(m.outFeatures);
        nn.init.uniform_(weight, -range, range);
      }
      if (m.hasBias && rule.linear !== 'default') nn.init.constant_(m.param('bias'), 0);
    }
  }
}
