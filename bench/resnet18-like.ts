// A ResNet-18 built from the engine's nn layers with torchvision's architecture, parameter names and
// initialisation (resnet18(num_classes=n)), so the engine benchmark compares the same network on both
// sides without depending on src/models.
import * as torch from '../src/torch/index.js';
import { nn, type Tensor } from '../src/torch/index.js';

const conv3x3 = (inPlanes: number, outPlanes: number, stride = 1) =>
  new nn.Conv2d(inPlanes, outPlanes, 3, { stride, padding: 1, bias: false });

class BasicBlock extends nn.Layer {
  readonly conv1: nn.Conv2d;
  readonly bn1: nn.BatchNorm2d;
  readonly conv2: nn.Conv2d;
  readonly bn2: nn.BatchNorm2d;
  readonly downsample: nn.Sequential | null;

  constructor(inPlanes: number, planes: number, stride: number) {
    super();
    this.conv1 = this.registerModule('conv1', conv3x3(inPlanes, planes, stride));
    this.bn1 = this.registerModule('bn1', new nn.BatchNorm2d(planes));
    this.conv2 = this.registerModule('conv2', conv3x3(planes, planes));
    this.bn2 = this.registerModule('bn2', new nn.BatchNorm2d(planes));
    this.downsample =
      stride !== 1 || inPlanes !== planes
        ? this.registerModule(
            'downsample',
            new nn.Sequential(new nn.Conv2d(inPlanes, planes, 1, { stride, bias: false }), new nn.BatchNorm2d(planes)),
          )
        : null;
  }

  forward(x: Tensor): Tensor {
    // In place like torchvision's BasicBlock (`out += identity`, ReLU(inplace=True)).
    const out = this.bn2.forward(this.conv2.forward(torch.relu_(this.bn1.forward(this.conv1.forward(x)))));
    const identity = this.downsample ? this.downsample.forward(x) : x;
    return torch.relu_(torch.add_(out, identity));
  }
}

export class ResNet18Like extends nn.Layer {
  readonly conv1 = this.registerModule('conv1', new nn.Conv2d(3, 64, 7, { stride: 2, padding: 3, bias: false }));
  readonly bn1 = this.registerModule('bn1', new nn.BatchNorm2d(64));
  readonly maxpool = new nn.MaxPool2d(3, 2, 1);
  readonly layers: nn.Sequential[] = [];
  readonly fc: nn.Linear;

  constructor(numClasses: number) {
    super();
    let inPlanes = 64;
    [64, 128, 256, 512].forEach((planes, i) => {
      const stride = i === 0 ? 1 : 2;
      const layer = new nn.Sequential(new BasicBlock(inPlanes, planes, stride), new BasicBlock(planes, planes, 1));
      this.layers.push(this.registerModule(`layer${i + 1}`, layer));
      inPlanes = planes;
    });
    this.fc = this.registerModule('fc', new nn.Linear(512, numClasses));
    // torchvision: kaiming_normal_(fan_out, relu) for every conv; BatchNorm weight 1, bias 0 (already).
    for (const [, m] of this.namedModules())
      if (m instanceof nn.Conv2d) nn.init.kaimingNormal_(m.param('weight'), 0, 'fan_out', 'relu');
  }

  forward(x: Tensor): Tensor {
    let out = this.maxpool.forward(torch.relu_(this.bn1.forward(this.conv1.forward(x))));
    for (const layer of this.layers) out = layer.forward(out);
    return this.fc.forward(torch.adaptiveAvgPool2d(out, 1).flatten(1));
  }
}
