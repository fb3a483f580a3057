// One seeded generator for everything random in pneumo (synthesis, splits, sampling, augmentation),
// so that the same seed gives the same bytes. sfc32 seeded through splitmix32: small, fast, and good
// enough statistically for data work (not for cryptography). Derived streams hash (seed, labels...)
// with SplitMix64's finaliser, one label at a time, and fill all 128 bits of the state from it: streams
// of different seeds or labels share nothing (an earlier `seed ^ index` mix made seed 1's image 3 and
// seed 2's image 0 the same stream).

const MASK64 = (1n << 64n) - 1n;
const GOLDEN64 = 0x9e3779b97f4a7c15n;

/** SplitMix64's output function: a bijective 64-bit mix. */
function mix64(z: bigint): bigint {
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

/** A 64-bit hash of a sequence of 32-bit integers (order matters; lengths differ in the hash too). */
function hashLabels(values: readonly number[]): bigint {
  let h = mix64(BigInt(values.length) * GOLDEN64);
  for (const v of values) h = mix64((h + GOLDEN64 + BigInt(v >>> 0)) & MASK64);
  return h;
}

function splitmix32(state: number): () => number {
  return () => {
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | null = null;

  constructor(seed: number, state?: readonly [number, number, number, number]) {
    const mix = splitmix32(seed >>> 0);
    [this.a, this.b, this.c, this.d] = state ?? [mix(), mix(), mix(), mix()];
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /**
   * An independent generator for one (seed, stream, index...) tuple, e.g. (seed, image index): its
   * 128-bit state comes from a SplitMix64 sequence started at the tuple's hash.
   */
  static derive(seed: number, ...labels: number[]): Rng {
    let state = hashLabels([seed, ...labels]);
    const words: number[] = [];
    for (let i = 0; i < 2; i++) {
      state = (state + GOLDEN64) & MASK64;
      const z = mix64(state);
      words.push(Number(z & 0xffffffffn), Number(z >> 32n));
    }
    return new Rng(0, words as [number, number, number, number]);
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  bool(probability = 0.5): boolean {
    return this.next() < probability;
  }

  /** Standard normal (Box-Muller, caching the second value). */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return mean + std * z;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** Fisher-Yates, in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
}
