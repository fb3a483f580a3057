// torch.nn.SyncBatchNorm.convert_sync_batchnorm for our modules: every BatchNorm2d of a model takes its
// training statistics over the whole process group. The modules stay where they are (models hold them
// in fields), with their parameter and buffer names, so a checkpoint loads with or without sync.
import type { Module } from '../nn/module.js';
import { BatchNorm2d } from '../nn/batchnorm.js';
import type { ProcessGroup } from './process-group.js';

/** Makes every BatchNorm2d in `module` synchronise over `group` (null: back to per-rank); returns how many. */
export function convertSyncBatchNorm(module: Module, group: ProcessGroup | null): number {
  let converted = 0;
  for (const [, m] of module.namedModules())
    if (m instanceof BatchNorm2d) {
      m.syncGroup = group;
      converted++;
    }
  return converted;
}
