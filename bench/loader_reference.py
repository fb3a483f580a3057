"""The Python side of `pneumo bench loader`: the same pipeline as src/data/loader.ts with PIL, NumPy and
a torch DataLoader (decode, RLE mask at native size, area resize / nearest mask, flip, shift-scale-rotate,
brightness/contrast, gamma, normalisation; .npy cache of the resized pair). Reads a JSON job on stdin,
prints one JSON line: images/s cold and cached per worker count."""
import json, math, os, random, shutil, sys, tempfile, time

import numpy as np
import torch
import torchvision.transforms.functional as TF
from PIL import Image
from torch.utils.data import DataLoader, Dataset

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from siim_rle import rle_decode  # noqa: E402


class Items(Dataset):
    def __init__(self, items, size, cache_dir, seed):
        self.items, self.size, self.cache_dir, self.seed, self.epoch = items, size, cache_dir, seed, 0

    def __len__(self):
        return len(self.items)

    def load_resized(self, item):
        cached = os.path.join(self.cache_dir, f"{item['imageId']}-{self.size}.npz")
        if os.path.exists(cached):
            with np.load(cached) as z:
                return z["image"].astype(np.float32) / 65535, z["mask"]
        img = Image.open(item["path"]).convert("L")
        width, height = img.size
        pixels = np.asarray(img, dtype=np.float32) / 255
        small = np.asarray(Image.fromarray(pixels, mode="F").resize((self.size, self.size), Image.BOX))
        mask = rle_decode(item["rleRows"], width, height)
        small_mask = np.asarray(Image.fromarray(mask).resize((self.size, self.size), Image.NEAREST))
        tmp = cached + f".{os.getpid()}.tmp.npz"
        np.savez(tmp, image=np.round(np.clip(small, 0, 1) * 65535).astype(np.uint16), mask=small_mask)
        os.replace(tmp, cached)
        return small, small_mask

    def __getitem__(self, index):
        item = self.items[index]
        image, mask = self.load_resized(item)
        rng = random.Random(hash((self.seed, self.epoch, index)))
        image = torch.from_numpy(np.ascontiguousarray(image))[None]
        mask = torch.from_numpy(np.ascontiguousarray(mask))[None]
        if rng.random() < 0.5:
            image, mask = image.flip(-1), mask.flip(-1)
        if rng.random() < 0.5:
            angle = rng.uniform(-15, 15)
            scale = rng.uniform(0.9, 1.1)
            shift = [round(rng.uniform(-0.0625, 0.0625) * self.size) for _ in range(2)]
            image = TF.affine(image, angle, shift, scale, [0.0], interpolation=TF.InterpolationMode.BILINEAR)
            mask = TF.affine(mask, angle, shift, scale, [0.0], interpolation=TF.InterpolationMode.NEAREST)
        if rng.random() < 0.5:
            contrast, brightness = rng.uniform(0.8, 1.2), rng.uniform(-0.2, 0.2)
            m = image.mean()
            image = ((image - m) * contrast + m + brightness).clamp(0, 1)
        if rng.random() < 0.5:
            image = image.clamp(0, 1).pow(math.exp(rng.uniform(math.log(0.8), math.log(1.25))))
        image = (image - 0.449) / 0.226
        return image, mask.float(), float(item["label"])


def measure(job, workers):
    cache_dir = tempfile.mkdtemp(prefix="pneumo-py-cache-")
    try:
        dataset = Items(job["items"], job["size"], cache_dir, job["seed"])
        started = time.perf_counter()
        loader = DataLoader(dataset, batch_size=job["batchSize"], shuffle=True, num_workers=workers, persistent_workers=True)
        out = {}
        for name, epoch in (("cold", 0), ("cached", 1)):
            dataset.epoch = epoch
            count = 0
            t0 = started if epoch == 0 else time.perf_counter()
            for images, masks, labels in loader:
                count += images.shape[0]
            out[name] = count / (time.perf_counter() - t0)
        return out
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)


def main():
    job = json.load(sys.stdin)
    torch.set_num_threads(1)
    result = {str(w): measure(job, w) for w in job["workers"]}
    print(json.dumps({"torch": torch.__version__, "results": result}))


if __name__ == "__main__":
    main()
