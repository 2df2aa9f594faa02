"""Reference log-likelihood ratios for GaussianMixtureTests.testLogLikelihoodRatioMatchesScipy.

    /work/main/.build/pyvenv/bin/python Tests/TrainingDataTests/llr_reference.py

A d = 4 mixture with different eigenbases (rotations in two planes), eigenvalues and priors; the
LLR log N(x; m1, S1) - log N(x; m0, S0) + log(p1/p0) by scipy.stats.multivariate_normal on the dense
covariances S_c = U_c diag(l_c) U_c^T, at five points. Prints Swift literals for the test.
"""
import numpy as np
from scipy.stats import multivariate_normal


def rotation(d, i, j, angle):
    r = np.eye(d)
    c, s = np.cos(angle), np.sin(angle)
    r[i, i], r[i, j], r[j, i], r[j, j] = c, -s, s, c
    return r


d = 4
u0 = rotation(d, 0, 1, 0.3) @ rotation(d, 2, 3, -0.7)
u1 = rotation(d, 0, 2, 1.1) @ rotation(d, 1, 3, 0.4)
l0 = np.array([2.0, 1.0, 0.5, 0.25])
l1 = np.array([1.5, 1.2, 0.8, 0.1])
m0 = np.array([-0.3, 0.2, 0.0, 0.1])
m1 = np.array([0.4, -0.1, 0.25, 0.0])
p1 = 0.3
points = np.array([[0.0, 0.0, 0.0, 0.0], [1.0, -0.5, 0.3, 2.0], [-2.0, 1.0, 0.7, -0.4],
                   [0.4, -0.1, 0.25, 0.0], [3.0, 3.0, -3.0, 1.5]])
s0 = u0 @ np.diag(l0) @ u0.T
s1 = u1 @ np.diag(l1) @ u1.T
llr = (multivariate_normal(m1, s1).logpdf(points) - multivariate_normal(m0, s0).logpdf(points)
       + np.log(p1 / (1 - p1)))


def swift(a):
    return "[" + ", ".join(repr(float(v)) for v in np.ravel(a)) + "]"


print("let u0 =", swift(u0))
print("let u1 =", swift(u1))
print("let points =", swift(points))
print("let expected =", swift(llr))
