#!/usr/bin/python3
"""Writes test/data/dicom/expected-pixels.json: independent reference values for the stored pixels of
every decodable DICOM fixture, which test/data/dicom/codecs.test.ts compares ours against.

Stored values come from pydicom 2.3 (Debian python3-pydicom): directly for uncompressed, deflated,
RLE and JPEG 2000 (through Pillow/OpenJPEG; when Pillow rejects a codestream, OpenJPEG's own
opj_decompress, which accepts a missing EOC marker as our decoder does); JPEG files are first decompressed with DCMTK's
dcmdjpeg (IJG libjpeg, 8/12/16-bit) and JPEG-LS files with dcmdjpls (CharLS), then read by pydicom.
Run from anywhere (needs `apt-get install dcmtk libopenjp2-tools python3-pydicom python3-pil`):

    /usr/bin/python3 test/fixtures-scripts/dicom_reference.py [FIXTURES_DIR]
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import pydicom

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def find_fixtures():
    # CI lays shared/ beside the clone (<repo>/../shared); a worktree may sit deeper, so walk up.
    here = ROOT
    while True:
        candidate = os.path.join(os.path.dirname(here), 'shared', 'fixtures')
        if os.path.isdir(candidate) or os.path.dirname(here) == here:
            return candidate
        here = os.path.dirname(here)


FIXTURES = sys.argv[1] if len(sys.argv) > 1 else find_fixtures()
OUT = os.path.join(ROOT, 'test', 'data', 'dicom', 'expected-pixels.json')

# Transfer syntax -> (external decompressor or None, whether the codec is lossless so values must match exactly).
JPEG = {'1.2.840.10008.1.2.4.50': False, '1.2.840.10008.1.2.4.51': False,
        '1.2.840.10008.1.2.4.57': True, '1.2.840.10008.1.2.4.70': True}
JPEG_LS = {'1.2.840.10008.1.2.4.80': True, '1.2.840.10008.1.2.4.81': True}  # near-lossless decoding is exact too
NATIVE = {'1.2.840.10008.1.2': True, '1.2.840.10008.1.2.1': True, '1.2.840.10008.1.2.2': True,
          '1.2.840.10008.1.2.1.99': True, '1.2.840.10008.1.2.5': True,
          '1.2.840.10008.1.2.4.90': True, '1.2.840.10008.1.2.4.91': False}
GRID = 8


def stored(path, ts):
    if ts in JPEG or ts in JPEG_LS:
        tool = 'dcmdjpeg' if ts in JPEG else 'dcmdjpls'
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, 'plain.dcm')
            subprocess.run([tool, path, out], check=True, capture_output=True)
            return pydicom.dcmread(out).pixel_array, f'{tool} + pydicom'
    ds = pydicom.dcmread(path)
    try:
        return ds.pixel_array, 'pydicom'
    except Exception:
        if not ts.startswith('1.2.840.10008.1.2.4.9'):
            raise
    from PIL import Image
    with tempfile.TemporaryDirectory() as tmp:
        j2k, pgm = os.path.join(tmp, 'frame.j2k'), os.path.join(tmp, 'frame.pgm')
        with open(j2k, 'wb') as f:
            f.write(b''.join(pydicom.encaps.generate_pixel_data_frame(ds.PixelData)))
        subprocess.run(['opj_decompress', '-i', j2k, '-o', pgm], check=True, capture_output=True)
        return np.array(Image.open(pgm)), 'opj_decompress'


def block_means(a):
    rows = np.array_split(np.arange(a.shape[0]), GRID)
    cols = np.array_split(np.arange(a.shape[1]), GRID)
    return [[round(float(a[np.ix_(r, c)].mean()), 4) for c in cols] for r in rows]


def main():
    result = {}
    for folder in ['dicom/pydicom', 'dicom/pylibjpeg', 'siim-sample']:
        for name in sorted(os.listdir(os.path.join(FIXTURES, folder))):
            if not name.endswith('.dcm'):
                continue
            path = os.path.join(FIXTURES, folder, name)
            try:
                ds = pydicom.dcmread(path)
                ts = str(ds.file_meta.TransferSyntaxUID)
            except Exception:
                continue
            if ds.get('SamplesPerPixel', 1) != 1 or int(ds.get('NumberOfFrames', 1) or 1) > 1:
                continue
            try:
                arr, source = stored(path, ts)
            except Exception as err:  # truncated and the like: the tests expect errors there
                print(f'skip {name}: {err}', file=sys.stderr)
                continue
            lossless = JPEG.get(ts, JPEG_LS.get(ts, NATIVE.get(ts, False)))
            a = arr.astype(np.int64)
            result[f'{folder}/{name}'] = {
                'source': source,
                'transferSyntax': ts,
                'exact': bool(lossless),
                'rows': int(a.shape[0]),
                'columns': int(a.shape[1]),
                'min': int(a.min()),
                'max': int(a.max()),
                'sum': int(a.sum()),
                'sha256': hashlib.sha256(a.astype('<i4').tobytes()).hexdigest(),
                'blockMeans': block_means(a),
            }
    with open(OUT, 'w') as f:
        json.dump(result, f, indent=1)
        f.write('\n')
    print(f'wrote {len(result)} entries to {OUT}')


if __name__ == '__main__':
    main()
