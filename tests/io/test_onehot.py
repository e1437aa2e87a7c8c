from __future__ import annotations

import numpy as np
import pytest
import torch

from benchsuite.io.onehot import (
    decode_codes,
    encode_sequence,
    one_hot,
    one_hot_torch,
    reverse_complement_codes,
)

_COMPLEMENT = str.maketrans("ACGTacgtN", "TGCAtgcaN")


def naive_one_hot(seq: str) -> np.ndarray:
    """Independent reference: a Python loop over characters."""
    out = np.zeros((4, len(seq)), dtype=np.float32)
    for j, ch in enumerate(seq.upper()):
        if ch in "ACGT":
            out["ACGT".index(ch), j] = 1.0
    return out


def test_encode_hand_checked():
    codes = encode_sequence("ACGTacgtNnRYKMSWBDHV-.*X")
    assert codes.dtype == np.uint8
    assert codes.tolist() == [0, 1, 2, 3, 0, 1, 2, 3] + [4] * 16


def test_encode_bytes_and_non_ascii():
    assert encode_sequence(b"gAtC").tolist() == [2, 0, 3, 1]
    assert encode_sequence(bytearray(b"T")).tolist() == [3]
    # a non-ASCII character keeps the length and maps to 4
    assert encode_sequence("AéC").tolist() == [0, 4, 1]
    assert encode_sequence("").shape == (0,)
    with pytest.raises(TypeError):
        encode_sequence(123)  # type: ignore[arg-type]


def test_encode_every_byte():
    raw = bytes(range(256))
    codes = encode_sequence(raw)
    expected = [("ACGT".index(chr(b).upper()) if chr(b).upper() in "ACGT" else 4) for b in raw]
    assert codes.tolist() == expected


def test_decode_round_trip():
    assert decode_codes(np.array([0, 1, 2, 3, 4], dtype=np.uint8)) == "ACGTN"
    seq = "ACGTNacgtRYK"
    assert decode_codes(encode_sequence(seq)) == "ACGTNACGTNNN"
    with pytest.raises(ValueError):
        decode_codes(np.array([5], dtype=np.uint8))
    with pytest.raises(ValueError):
        decode_codes(np.zeros((2, 2), dtype=np.uint8))


def test_one_hot_hand_checked():
    x = one_hot(encode_sequence("ACGTNr"))
    assert x.dtype == np.float32 and x.shape == (4, 6)
    expected = np.array(
        [
            [1, 0, 0, 0, 0, 0],
            [0, 1, 0, 0, 0, 0],
            [0, 0, 1, 0, 0, 0],
            [0, 0, 0, 1, 0, 0],
        ],
        dtype=np.float32,
    )
    np.testing.assert_array_equal(x, expected)


def test_one_hot_iupac_zero_and_lowercase():
    seq = "acgtNRYSWKMBDHVn"
    x = one_hot(encode_sequence(seq))
    np.testing.assert_array_equal(x, naive_one_hot(seq))
    assert x[:, 4:].sum() == 0
    np.testing.assert_array_equal(x.sum(axis=0)[:4], np.ones(4))


def test_one_hot_batched_shapes():
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGTN"), 50)) for _ in range(6)]
    codes = np.stack([encode_sequence(s) for s in seqs]).reshape(2, 3, 50)
    x = one_hot(codes)
    assert x.shape == (2, 3, 4, 50) and x.dtype == np.float32 and x.flags.c_contiguous
    for i, s in enumerate(seqs):
        np.testing.assert_array_equal(x.reshape(6, 4, 50)[i], naive_one_hot(s))
    # int64 codes give the same result
    np.testing.assert_array_equal(one_hot(codes.astype(np.int64)), x)


def test_one_hot_rejects_bad_codes():
    with pytest.raises(ValueError):
        one_hot(np.array([0, 5], dtype=np.uint8))
    with pytest.raises(ValueError):
        one_hot(np.array([0, -1], dtype=np.int64))
    with pytest.raises(TypeError):
        one_hot(np.array([0.0, 1.0]))


def test_one_hot_torch_matches_numpy():
    rng = np.random.default_rng(1)
    codes = rng.integers(0, 5, size=(3, 2, 37)).astype(np.uint8)
    expected = one_hot(codes)
    for dtype in (torch.uint8, torch.int64, torch.int32):
        t = one_hot_torch(torch.from_numpy(codes).to(dtype))
        assert t.dtype == torch.float32 and t.shape == (3, 2, 4, 37)
        assert t.device == torch.device("cpu")
        np.testing.assert_array_equal(t.numpy(), expected)
    with pytest.raises(TypeError):
        one_hot_torch(torch.zeros(3))


def test_reverse_complement_equals_string_rc():
    seq = "AACGTNRTTgca"
    rc_string = seq.translate(_COMPLEMENT)[::-1]
    np.testing.assert_array_equal(reverse_complement_codes(encode_sequence(seq)), encode_sequence(rc_string))
    # involution, and 4 stays 4
    codes = encode_sequence(seq)
    np.testing.assert_array_equal(reverse_complement_codes(reverse_complement_codes(codes)), codes)
    assert reverse_complement_codes(np.array([4, 0], dtype=np.uint8)).tolist() == [3, 4]


def test_reverse_complement_batched_last_axis():
    rng = np.random.default_rng(2)
    codes = rng.integers(0, 5, size=(2, 3, 20)).astype(np.uint8)
    rc = reverse_complement_codes(codes)
    assert rc.shape == codes.shape and rc.dtype == np.uint8
    for idx in np.ndindex(2, 3):
        s = decode_codes(codes[idx])
        assert decode_codes(rc[idx]) == s.translate(_COMPLEMENT)[::-1]
    # one-hot of the RC equals flipping both the channel and the length axes of the one-hot
    np.testing.assert_array_equal(one_hot(rc), one_hot(codes)[..., ::-1, ::-1])
