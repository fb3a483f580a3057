#!/usr/bin/python3
"""The pydicom side of `pneumo bench interop`: writes the same three objects per image as pneumo
(a BINARY SEG of the given mask with one bit-packed frame, an RGB Secondary Capture of the given
overlay, a Comprehensive SR with the same content items), from the same source headers, and prints
{"images_per_s", "pydicom", "numpy"}.

    /usr/bin/python3 bench/interop_python.py ROUNDS OUT_DIR SOURCE.dcm:MASK.raw:RGB.raw ...
"""
import io
import json
import sys
import time

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid


def code(value, scheme, meaning):
    c = Dataset()
    c.CodeValue, c.CodingSchemeDesignator, c.CodeMeaning = value, scheme, meaning
    return c


def base(src, sop_class, modality):
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, generate_uid()
    for k in ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyDate", "StudyTime",
              "ReferringPhysicianName", "StudyID", "AccessionNumber"):
        setattr(ds, k, src.get(k, ""))
    ds.StudyInstanceUID, ds.SeriesInstanceUID = src.StudyInstanceUID, generate_uid()
    ds.Modality, ds.SeriesNumber, ds.InstanceNumber = modality, 9001, 1
    ds.Manufacturer = "pydicom"
    return ds


def item(rel, vt, concept, **values):
    it = Dataset()
    it.RelationshipType, it.ValueType = rel, vt
    it.ConceptNameCodeSequence = Sequence([code(*concept)])
    for k, v in values.items():
        setattr(it, k, v)
    return it


def save(ds):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID = ds.SOPClassUID, ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta = meta
    ds.is_little_endian, ds.is_implicit_VR = True, False
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, ds, write_like_original=False)
    return buffer.getvalue()


def objects(src, mask, rgb):
    seg = base(src, "1.2.840.10008.5.1.4.1.1.66.4", "SEG")
    seg.SegmentationType, seg.Rows, seg.Columns = "BINARY", src.Rows, src.Columns
    seg.BitsAllocated, seg.BitsStored, seg.HighBit, seg.SamplesPerPixel = 1, 1, 0, 1
    seg.PhotometricInterpretation, seg.PixelRepresentation, seg.NumberOfFrames = "MONOCHROME2", 0, 1
    segment = Dataset()
    segment.SegmentNumber, segment.SegmentLabel, segment.SegmentAlgorithmType = 1, "Pneumothorax", "AUTOMATIC"
    segment.SegmentedPropertyTypeCodeSequence = Sequence([code("36118008", "SCT", "Pneumothorax")])
    seg.SegmentSequence = Sequence([segment])
    frame = Dataset()
    source = Dataset()
    source.ReferencedSOPClassUID, source.ReferencedSOPInstanceUID = src.SOPClassUID, src.SOPInstanceUID
    derivation = Dataset()
    derivation.SourceImageSequence = Sequence([source])
    frame.DerivationImageSequence = Sequence([derivation])
    seg.PerFrameFunctionalGroupsSequence = Sequence([frame])
    packed = np.packbits(mask.reshape(-1), bitorder="little")
    seg.PixelData = packed.tobytes() + (b"\0" if len(packed) % 2 else b"")
    sc = base(src, "1.2.840.10008.5.1.4.1.1.7", "OT")
    sc.ConversionType, sc.BurnedInAnnotation, sc.SamplesPerPixel = "WSD", "YES", 3
    sc.PhotometricInterpretation, sc.PlanarConfiguration = "RGB", 0
    sc.Rows, sc.Columns, sc.BitsAllocated, sc.BitsStored, sc.HighBit, sc.PixelRepresentation = (
        src.Rows, src.Columns, 8, 8, 7, 0)
    sc.PixelData = rgb.tobytes()
    sr = base(src, "1.2.840.10008.5.1.4.1.1.88.33", "SR")
    sr.ValueType, sr.ContinuityOfContent = "CONTAINER", "SEPARATE"
    sr.ConceptNameCodeSequence = Sequence([code("126000", "DCM", "Imaging Measurement Report")])
    num = Dataset()
    num.NumericValue = "0.5"
    num.MeasurementUnitsCodeSequence = Sequence([code("1", "UCUM", "no units")])
    sr.ContentSequence = Sequence(
        [item("CONTAINS", "TEXT", ("112039", "DCM", "Tracking Identifier"), TextValue="Pneumothorax") for _ in range(12)]
        + [item("CONTAINS", "NUM", ("42798000", "SCT", "Area"), MeasuredValueSequence=Sequence([num]))])
    return [save(seg), save(sc), save(sr)]


def main():
    rounds, out = int(sys.argv[1]), sys.argv[2]
    inputs = []
    for arg in sys.argv[3:]:
        source, mask, rgb = arg.split(":")
        src = pydicom.dcmread(source, stop_before_pixels=True)
        inputs.append((src, np.fromfile(mask, dtype=np.uint8), np.fromfile(rgb, dtype=np.uint8)))
    for src, mask, rgb in inputs[:2]:
        objects(src, mask, rgb)  # warm-up
    start = time.perf_counter()
    n = 0
    for _ in range(rounds):
        for k, (src, mask, rgb) in enumerate(inputs):
            for j, data in enumerate(objects(src, mask, rgb)):
                with open(f"{out}/{k}.{j}.dcm", "wb") as f:
                    f.write(data)
            n += 1
    seconds = time.perf_counter() - start
    print(json.dumps({"images_per_s": n / seconds, "pydicom": pydicom.__version__, "numpy": np.__version__}))


main()
