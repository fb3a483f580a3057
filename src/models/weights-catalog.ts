// The pretrained weights pneumo knows by name: torchvision's ImageNet weights for every registry
// encoder that has them, and torchxrayvision's chest X-ray weights. Each entry says where the file is
// published, how to check it, which encoders it fits and under what terms.
//
// Sources, read rather than fetched (this project's machines reach no model hosts):
// - torchvision URLs: the `Weights` enums of torchvision 0.14 (Debian's python3-torchvision,
//   torchvision/models/{resnet,densenet,vgg,efficientnet}.py). torch.hub names each file
//   `NAME-<first hex digits of its SHA-256>.pth` and checks that prefix on download; so do we.
//   EfficientNet-B0 is the exception: the file named `-3dd342df` in 0.14 does not hash to that
//   (pytorch/vision#7744), and torchvision >= 0.17 publishes it as `-7f5810bc` (pytorch/vision#8034),
//   whose full SHA-256 is quoted in #7744.
// - torchxrayvision URLs: `model_urls` in torchxrayvision/models.py (mlmed/torchxrayvision). The
//   project publishes no hashes; such a file is accepted on size > 0 and its SHA-256 is recorded in
//   the cache beside it, so a later change of the file is noticed.
// Extra entries (a site's own weights, a mirror's) come from a JSON file named by PNEUMO_WEIGHTS_CATALOG.
import { readFileSync } from 'node:fs';

export interface WeightsEntry {
  /** The name `--pretrained` and `pneumo weights download` take. */
  name: string;
  url: string;
  /** Expected SHA-256 in hex: the whole digest or its leading digits (torch.hub's rule); null when unpublished. */
  sha256: string | null;
  /** Registry encoders the state dict fits (after the loader's remaps). */
  encoders: string[];
  /** Input channels the first convolution was trained on (3 for ImageNet, 1 for X-rays). */
  inChannels: 1 | 3;
  /** Parameters of the published model, for the approximate download size (4 bytes each). */
  params: number;
  source: 'torchvision' | 'torchxrayvision' | 'local';
  description: string;
  licence: string;
}

const TORCHVISION_LICENCE =
  'torchvision BSD-3-Clause; trained on ImageNet-1k, whose terms allow non-commercial research use';
const XRV_LICENCE =
  "torchxrayvision Apache-2.0; trained on public chest X-ray sets (NIH, PadChest, CheXpert, MIMIC-CXR, ...) under each set's own terms";

function torchvision(
  name: string,
  file: string,
  encoder: string,
  params: number,
  weights: string,
  sha256?: string,
): WeightsEntry {
  return {
    name,
    url: `https://download.pytorch.org/models/${file}`,
    sha256: sha256 ?? /-([0-9a-f]+)\.pth$/.exec(file)![1],
    encoders: [encoder],
    inChannels: 3,
    params,
    source: 'torchvision',
    description: `torchvision ${weights} (ImageNet-1k classification)`,
    licence: TORCHVISION_LICENCE,
  };
}

const XRV_RELEASE = 'https://github.com/mlmed/torchxrayvision/releases/download/v1';

function xrvDenseNet(tag: string, file: string, datasets: string): WeightsEntry {
  return {
    name: `xrv-densenet121-res224-${tag}`,
    url: `${XRV_RELEASE}/${file}`,
    sha256: null,
    encoders: ['densenet121'],
    inChannels: 1,
    params: 6_966_034,
    source: 'torchxrayvision',
    description: `torchxrayvision DenseNet-121, 224 px, 18 pathologies; trained on ${datasets}`,
    licence: XRV_LICENCE,
  };
}

export const WEIGHTS_CATALOG: readonly WeightsEntry[] = [
  torchvision('resnet18-imagenet', 'resnet18-f37072fd.pth', 'resnet18', 11_689_512, 'IMAGENET1K_V1'),
  torchvision('resnet34-imagenet', 'resnet34-b627a593.pth', 'resnet34', 21_797_672, 'IMAGENET1K_V1'),
  torchvision('resnet50-imagenet', 'resnet50-11ad3fa6.pth', 'resnet50', 25_557_032, 'IMAGENET1K_V2'),
  torchvision('resnet50-imagenet-v1', 'resnet50-0676ba61.pth', 'resnet50', 25_557_032, 'IMAGENET1K_V1'),
  torchvision('densenet121-imagenet', 'densenet121-a639ec97.pth', 'densenet121', 7_978_856, 'IMAGENET1K_V1'),
  torchvision('vgg16-imagenet', 'vgg16-397923af.pth', 'vgg16', 138_357_544, 'IMAGENET1K_V1'),
  torchvision('vgg16_bn-imagenet', 'vgg16_bn-6c64b313.pth', 'vgg16_bn', 138_365_992, 'IMAGENET1K_V1'),
  torchvision('vgg19-imagenet', 'vgg19-dcbb9e9d.pth', 'vgg19', 143_667_240, 'IMAGENET1K_V1'),
  torchvision('vgg19_bn-imagenet', 'vgg19_bn-c79401a0.pth', 'vgg19_bn', 143_678_248, 'IMAGENET1K_V1'),
  torchvision(
    'efficientnet-b0-imagenet',
    'efficientnet_b0_rwightman-7f5810bc.pth',
    'efficientnet-b0',
    5_288_548,
    'IMAGENET1K_V1',
    '7f5810bc96def8f7552d5b7e68d53c4786f81167d28291b21c0d90e1fca14934',
  ),
  xrvDenseNet(
    'all',
    'nih-pc-chex-mimic_ch-google-openi-kaggle-densenet121-d121-tw-lr001-rot45-tr15-sc15-seed0-best.pt',
    'NIH, PadChest, CheXpert, MIMIC-CXR, Google, OpenI and RSNA',
  ),
  xrvDenseNet('nih', 'nih-densenet121-d121-tw-lr001-rot45-tr15-sc15-seed0-best.pt', 'NIH ChestX-ray14'),
  xrvDenseNet('pc', 'pc-densenet121-d121-tw-lr001-rot45-tr15-sc15-seed0-best.pt', 'PadChest'),
  xrvDenseNet('chex', 'chex-densenet121-d121-tw-lr001-rot45-tr15-sc15-seed0-best.pt', 'CheXpert'),
  xrvDenseNet('rsna', 'kaggle-densenet121-d121-tw-lr001-rot45-tr15-sc15-seed0-best.pt', 'RSNA Pneumonia'),
  xrvDenseNet('mimic_nb', 'mimic_nb-densenet121-d121-tw-lr001-rot45-tr15-sc15-seed0-best.pt', 'MIMIC-CXR (NegBio)'),
  xrvDenseNet(
    'mimic_ch',
    'mimic_ch-densenet121-d121-tw-lr001-rot45-tr15-sc15-seed0-best.pt',
    'MIMIC-CXR (CheXpert labeller)',
  ),
  {
    name: 'xrv-resnet50-res512-all',
    url: `${XRV_RELEASE}/pc-nih-rsna-siim-vin-resnet50-test512-e400-state.pt`,
    sha256: null,
    encoders: ['resnet50'],
    inChannels: 1,
    params: 23_538_642,
    source: 'torchxrayvision',
    description: 'torchxrayvision ResNet-50, 512 px, 18 pathologies; trained on PadChest, NIH, RSNA, SIIM and VinDr',
    licence: XRV_LICENCE,
  },
];

export class WeightsCatalogError extends Error {
  override name = 'WeightsCatalogError';
}

function readExtraCatalog(file: string): WeightsEntry[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new WeightsCatalogError(`${file}: cannot read the weights catalog (${(err as Error).message})`);
  }
  if (!Array.isArray(json)) throw new WeightsCatalogError(`${file}: the weights catalog must be a JSON array`);
  return json.map((raw: unknown, i) => {
    const e = raw as Partial<WeightsEntry>;
    const bad = (what: string) => new WeightsCatalogError(`${file}: entry ${i}: ${what}`);
    if (typeof e?.name !== 'string' || !/^[\w.-]+$/.test(e.name)) throw bad('name must be letters, digits, . _ -');
    if (typeof e.url !== 'string' || !/^https?:\/\//.test(e.url)) throw bad('url must be http(s)');
    if (e.sha256 !== null && (typeof e.sha256 !== 'string' || !/^[0-9a-f]{8,64}$/.test(e.sha256)))
      throw bad('sha256 must be null or 8 to 64 lowercase hex digits');
    if (!Array.isArray(e.encoders) || !e.encoders.every((x) => typeof x === 'string'))
      throw bad('encoders must be a list of names');
    return {
      name: e.name,
      url: e.url,
      sha256: e.sha256,
      encoders: e.encoders,
      inChannels: e.inChannels === 3 ? 3 : 1,
      params: typeof e.params === 'number' ? e.params : 0,
      source: 'local',
      description: typeof e.description === 'string' ? e.description : '',
      licence: typeof e.licence === 'string' ? e.licence : 'see its provider',
    };
  });
}

/** The built-in entries and those of PNEUMO_WEIGHTS_CATALOG (whose names take precedence). */
export function weightsCatalog(env: NodeJS.ProcessEnv = process.env): WeightsEntry[] {
  const extra = env.PNEUMO_WEIGHTS_CATALOG ? readExtraCatalog(env.PNEUMO_WEIGHTS_CATALOG) : [];
  const names = new Set(extra.map((e) => e.name));
  return [...extra, ...WEIGHTS_CATALOG.filter((e) => !names.has(e.name))];
}

/**
 * The entry for a name. `imagenet` means the ImageNet weights of `encoder`; an unknown name is an
 * error listing the known ones (and, with an encoder, those that fit it).
 */
export function findWeights(name: string, encoder?: string, env: NodeJS.ProcessEnv = process.env): WeightsEntry {
  const catalog = weightsCatalog(env);
  if (name === 'imagenet') {
    if (!encoder) throw new WeightsCatalogError('`imagenet` needs a model to pick the weights for');
    const entry = catalog.find((e) => e.source === 'torchvision' && e.encoders.includes(encoder));
    if (!entry) throw new WeightsCatalogError(`no ImageNet weights are published for encoder ${encoder}`);
    return entry;
  }
  const entry = catalog.find((e) => e.name === name);
  if (!entry) {
    const fitting = encoder ? catalog.filter((e) => e.encoders.includes(encoder)).map((e) => e.name) : [];
    throw new WeightsCatalogError(
      `Wrong weights name \`${name}\`, known weights: [${catalog.map((e) => e.name).join(', ')}]` +
        (encoder ? `; for ${encoder}: [${fitting.join(', ')}]` : ''),
    );
  }
  if (encoder && !entry.encoders.includes(encoder))
    throw new WeightsCatalogError(`weights ${name} fit ${entry.encoders.join(', ')}, not encoder ${encoder}`);
  return entry;
}
