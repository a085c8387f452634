"""The ranking models' features."""

import numpy as np


def test_exact_lsa_matches_a_full_svd():
    import scipy.sparse as sp
    from sklearn.preprocessing import normalize

    from slr.screen.model import lsa_features

    m = sp.random(40, 300, density=0.1, random_state=1, format="csr")
    got = lsa_features(m, dimensions=10)
    u, s, _ = np.linalg.svd(m.toarray(), full_matrices=False)
    want = normalize(u[:, :10] * s[:10])
    assert np.allclose(np.abs(got), np.abs(want), atol=1e-8)  # equal up to each direction's sign
