"""Reference for `pneumo bench eda`: read the DICOM headers listed in a file with pydicom, as a pandas
EDA script would (dcmread with stop_before_pixels, one file after another), print one JSON line."""
import json
import sys
import time

import pydicom

paths = [line.strip() for line in open(sys.argv[1]) if line.strip()]
start = time.perf_counter()
ages = 0
for p in paths:
    ds = pydicom.dcmread(p, stop_before_pixels=True)
    ages += 1 if ds.get("PatientAge") else 0
    _ = (ds.get("PatientSex"), ds.get("ViewPosition"), ds.get("Modality"), ds.get("BodyPartExamined"), ds.Rows, ds.Columns,
         ds.get("PixelSpacing"), ds.PhotometricInterpretation, ds.file_meta.TransferSyntaxUID, ds.SOPInstanceUID)
seconds = time.perf_counter() - start
print(json.dumps({"files": len(paths), "seconds": seconds, "withAge": ages}))
