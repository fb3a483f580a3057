// Non-rigid distortions. Grid distortion (albumentations' GridDistortion): the image is cut into a
// grid of cells whose widths and heights are stretched or squeezed at random, piecewise linearly.
// Elastic (torchio's RandomElasticDeformation, with linear instead of B-spline interpolation): random
// displacements on a coarse grid of control points, interpolated to a smooth dense field. Coarse
// control points give smoothness without the Gaussian blur of a full-resolution field, which is what
// makes this cheap enough to run on every training image.
import type { Rng } from '../random.js';
import type { BorderMode, WarpLimits } from './sampling.js';
import { remapPlanes } from './sampling.js';
import type { Sample } from './sample.js';
import { checkSameSize, DrawnTransform, TransformError } from './sample.js';

export interface GridDistortionParams {
  /** One factor per cell along x (1 keeps the cell's width); the cells are rescaled to fill the image. */
  xSteps: readonly number[];
  ySteps: readonly number[];
}

/** Source coordinate of every destination coordinate along one axis. */
export function gridAxisMap(size: number, steps: readonly number[]): Float32Array {
  const cells = steps.length;
  if (cells < 1 || steps.some((s) => !(s > 0)))
    throw new TransformError(`grid distortion needs positive cell factors, received [${steps.join(', ')}]`);
  const map = new Float32Array(size);
  if (size < 2) return map;
  const span = size - 1;
  const cell = span / cells;
  const bounds = new Float64Array(cells + 1);
  for (let k = 0; k < cells; k++) bounds[k + 1] = bounds[k] + steps[k];
  const norm = span / bounds[cells];
  for (let x = 0; x < size; x++) {
    const k = Math.min(cells - 1, Math.floor(x / cell));
    const t = x / cell - k;
    map[x] = (bounds[k] + t * (bounds[k + 1] - bounds[k])) * norm;
  }
  return map;
}

export function gridDistortion(sample: Sample, p: GridDistortionParams, border: BorderMode = 'reflect'): Sample {
  checkSameSize(sample);
  const { width, height } = sample.image;
  const xs = gridAxisMap(width, p.xSteps);
  const ys = gridAxisMap(height, p.ySteps);
  const mapX = new Float32Array(width * height);
  const mapY = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    mapX.set(xs, y * width);
    mapY.fill(ys[y], y * width, (y + 1) * width);
  }
  return warpSample(sample, mapX, mapY, border);
}

export interface ElasticParams {
  /** Control points per axis (at least 2), spread evenly from the first pixel to the last. */
  grid: number;
  /** Displacements in pixels at the control points, row-major grid x grid. */
  dx: Float32Array;
  dy: Float32Array;
}

export function elasticDeform(sample: Sample, p: ElasticParams, border: BorderMode = 'reflect'): Sample {
  checkSameSize(sample);
  const { width, height } = sample.image;
  const g = p.grid;
  if (!Number.isInteger(g) || g < 2 || p.dx.length !== g * g || p.dy.length !== g * g) {
    throw new TransformError(
      `elastic deformation needs grid >= 2 and grid^2 displacements, received grid=${g} with ${p.dx.length}`,
    );
  }
  const mapX = new Float32Array(width * height);
  const mapY = new Float32Array(width * height);
  const gx = (g - 1) / Math.max(1, width - 1);
  const gy = (g - 1) / Math.max(1, height - 1);
  for (let y = 0; y < height; y++) {
    const fy = y * gy;
    const j = Math.min(g - 2, Math.floor(fy));
    const ty = fy - j;
    for (let x = 0; x < width; x++) {
      const fx = x * gx;
      const i = Math.min(g - 2, Math.floor(fx));
      const tx = fx - i;
      const k = j * g + i;
      const w00 = (1 - tx) * (1 - ty);
      const w01 = tx * (1 - ty);
      const w10 = (1 - tx) * ty;
      const w11 = tx * ty;
      const o = y * width + x;
      mapX[o] = x + w00 * p.dx[k] + w01 * p.dx[k + 1] + w10 * p.dx[k + g] + w11 * p.dx[k + g + 1];
      mapY[o] = y + w00 * p.dy[k] + w01 * p.dy[k + 1] + w10 * p.dy[k + g] + w11 * p.dy[k + g + 1];
    }
  }
  return warpSample(sample, mapX, mapY, border);
}

function warpSample(sample: Sample, mapX: Float32Array, mapY: Float32Array, border: BorderMode): Sample {
  const { width, height } = sample.image;
  const out = remapPlanes(sample.image.pixels, sample.mask?.data ?? null, width, height, mapX, mapY, border);
  return { image: { width, height, pixels: out.image }, mask: out.mask ? { width, height, data: out.mask } : null };
}

export interface GridDistortionLimits extends WarpLimits {
  /** Cells per axis. */
  steps: number;
  /** Each cell's factor is drawn in [1 - limit, 1 + limit]. */
  limit: number;
}

export class RandomGridDistortion extends DrawnTransform<GridDistortionLimits, GridDistortionParams> {
  readonly name = 'gridDistortion';

  draw(rng: Rng): GridDistortionParams {
    const { steps, limit } = this.limits;
    const factors = () => Array.from({ length: steps }, () => rng.uniform(1 - limit, 1 + limit));
    return { xSteps: factors(), ySteps: factors() };
  }

  protected applyDrawn(sample: Sample, params: GridDistortionParams): Sample {
    return gridDistortion(sample, params, this.limits.border);
  }
}

export interface ElasticLimits extends WarpLimits {
  /** Control points per axis. */
  grid: number;
  /** Standard deviation of the control displacements, as a fraction of the image size. */
  magnitude: number;
}

export class RandomElastic extends DrawnTransform<ElasticLimits, ElasticParams> {
  readonly name = 'elastic';

  draw(rng: Rng, width: number, height: number): ElasticParams {
    const { grid, magnitude } = this.limits;
    const dx = new Float32Array(grid * grid);
    const dy = new Float32Array(grid * grid);
    for (let i = 0; i < dx.length; i++) {
      dx[i] = rng.normal(0, magnitude * width);
      dy[i] = rng.normal(0, magnitude * height);
    }
    return { grid, dx, dy };
  }

  protected applyDrawn(sample: Sample, params: ElasticParams): Sample {
    return elasticDeform(sample, params, this.limits.border);
  }
}
