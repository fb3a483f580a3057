// The architectures the CPU demo trains: ResNet-18 at a quarter of the width under both the classifier
// and the U-Net (registry names, src/models/registry.ts). The prediction benchmark measures a bundle of
// these unless told otherwise, so its figures are the demo's.
export const DEMO_MODELS = {
  classifier: 'classifier-resnet18-w16',
  segmenter: 'unet-resnet18-w16',
} as const;
