# Reference values for test/metrics/delong.test.ts, computed the classic way: DeLong's structural
# components from every (positive, negative) pair, psi = 1 if x > y, 1/2 if tied, 0 otherwise (an
# O(mn) method independent of the midrank algorithm under test). Run: python3 delong-reference.py
import numpy as np
from scipy.stats import norm


def delong(pos, neg):
    pos = np.asarray(pos, float)
    neg = np.asarray(neg, float)
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    v10 = psi.mean(axis=1)
    v01 = psi.mean(axis=0)
    auc = psi.mean()
    var = v10.var(ddof=1) / len(pos) + v01.var(ddof=1) / len(neg)
    se = np.sqrt(var)
    z = norm.ppf(0.975)
    return auc, var, se, max(0.0, auc - z * se), min(1.0, auc + z * se)


# Hanley & McNeil (Radiology 1982), Table 1: CT ratings 1 (definitely normal) .. 5 (definitely
# abnormal) of 58 normal and 51 abnormal patients.
normal = sum(([r] * c for r, c in zip(range(1, 6), [33, 6, 6, 11, 2])), [])
abnormal = sum(([r] * c for r, c in zip(range(1, 6), [3, 2, 2, 11, 33])), [])
print('hanley-mcneil', ['%.15g' % v for v in delong(abnormal, normal)])

# A small table with continuous scores and one tie across classes.
pos = [0.9, 0.8, 0.7, 0.55, 0.4, 0.35]
neg = [0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05]
print('small', ['%.15g' % v for v in delong(pos, neg)])
