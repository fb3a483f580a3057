#!/usr/bin/python3
"""Reads the DICOM objects pneumo wrote with pydicom (an independent reader) and prints what the
tests compare: per file its SOP class, study/series, and for a SEG the unpacked frame as row-major
runs of ones (start, length), for a SC the pixel array's shape and checksum, for an SR its content
tree flattened to (concept meaning, value) pairs.

    /usr/bin/python3 test/interop/dicom_objects_check.py FILE...
"""
import hashlib
import json
import sys

import numpy as np
import pydicom


def runs(mask):
    flat = np.concatenate([[0], mask.reshape(-1).astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(flat))
    return [[int(s), int(e - s)] for s, e in zip(edges[::2], edges[1::2])]


def code(seq):
    return seq[0].CodeMeaning if seq else None


def flatten(items, depth=0):
    out = []
    for item in items:
        name = code(item.get("ConceptNameCodeSequence"))
        vt = item.ValueType
        if vt == "NUM":
            mv = item.MeasuredValueSequence[0]
            value = [float(mv.NumericValue), mv.MeasurementUnitsCodeSequence[0].CodeValue]
        elif vt == "CODE":
            value = item.ConceptCodeSequence[0].CodeMeaning
        elif vt == "TEXT":
            value = item.TextValue
        elif vt == "UIDREF":
            value = item.UID
        elif vt == "IMAGE":
            ref = item.ReferencedSOPSequence[0]
            value = [ref.ReferencedSOPInstanceUID, int(ref.get("ReferencedSegmentNumber", 0))]
        else:
            value = None
        out.append({"depth": depth, "relationship": item.RelationshipType, "type": vt, "concept": name, "value": value})
        if "ContentSequence" in item:
            out.extend(flatten(item.ContentSequence, depth + 1))
    return out


def describe(path):
    ds = pydicom.dcmread(path)
    info = {
        "file": path,
        "sopClass": ds.SOPClassUID,
        "sopInstance": ds.SOPInstanceUID,
        "study": ds.StudyInstanceUID,
        "series": ds.SeriesInstanceUID,
        "modality": ds.Modality,
        "patientId": str(ds.get("PatientID", "")),
        "patientAge": str(ds.get("PatientAge", "")),
    }
    if ds.Modality == "SEG":
        pixels = ds.pixel_array
        info["seg"] = {
            "rows": int(ds.Rows),
            "columns": int(ds.Columns),
            "frames": int(ds.NumberOfFrames),
            "shape": list(pixels.shape),
            "runs": runs(pixels),
            "segmentLabel": ds.SegmentSequence[0].SegmentLabel,
            "propertyType": ds.SegmentSequence[0].SegmentedPropertyTypeCodeSequence[0].CodeValue,
            "algorithmType": ds.SegmentSequence[0].SegmentAlgorithmType,
            "source": ds.PerFrameFunctionalGroupsSequence[0]
            .DerivationImageSequence[0]
            .SourceImageSequence[0]
            .ReferencedSOPInstanceUID,
            "pixelSpacing": [float(v) for v in ds.SharedFunctionalGroupsSequence[0].PixelMeasuresSequence[0].PixelSpacing]
            if "PixelMeasuresSequence" in ds.SharedFunctionalGroupsSequence[0]
            else None,
        }
    elif ds.Modality == "SR":
        info["sr"] = {"root": code(ds.ConceptNameCodeSequence), "items": flatten(ds.ContentSequence)}
    else:
        pixels = ds.pixel_array
        info["sc"] = {
            "shape": list(pixels.shape),
            "photometric": ds.PhotometricInterpretation,
            "burnedIn": ds.BurnedInAnnotation,
            "sha256": hashlib.sha256(np.ascontiguousarray(pixels, dtype=np.uint8).tobytes()).hexdigest(),
        }
    return info


print(json.dumps([describe(p) for p in sys.argv[1:]]))
