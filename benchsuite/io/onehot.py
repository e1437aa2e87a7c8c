"""Integer base codes and one-hot encoding of DNA.

Conventions (see ``docs/ARCHITECTURE.md``): codes are ``uint8`` with A=0, C=1, G=2, T=3 and
4 for anything else (N, other IUPAC codes, gaps); lower-case (soft-masked) letters map like
upper-case. One-hot arrays are ``float32`` of shape ``(..., 4, L)`` with rows A, C, G, T and an
all-zero column for code 4.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = [
    "BASES",
    "N_CODE",
    "encode_sequence",
    "decode_codes",
    "one_hot",
    "one_hot_torch",
    "reverse_complement_codes",
]

BASES = "ACGT"
N_CODE = 4

# byte -> code lookup table; every byte not in ACGTacgt maps to 4
_ENCODE_TABLE = np.full(256, N_CODE, dtype=np.uint8)
for _i, _b in enumerate(BASES):
    _ENCODE_TABLE[ord(_b)] = _i
    _ENCODE_TABLE[ord(_b.lower())] = _i

# code -> byte lookup; codes >= 4 decode to 'N'
_DECODE_TABLE = np.frombuffer(b"ACGTN", dtype=np.uint8)

# code -> complement code
_COMPLEMENT_TABLE = np.array([3, 2, 1, 0, N_CODE], dtype=np.uint8)


def encode_sequence(seq: str | bytes | bytearray | memoryview) -> np.ndarray:
    """Encode a DNA sequence as integer base codes.

    Parameters
    ----------
    seq:
        The sequence as text or ASCII bytes. Upper- and lower-case A, C, G, T map to 0..3;
        every other character (N, IUPAC ambiguity codes, gaps, anything else) maps to 4.

    Returns
    -------
    numpy.ndarray
        ``uint8`` array of shape ``(L,)``.
    """
    if isinstance(seq, str):
        # non-ASCII characters become '?' (one byte each), so the length is kept and they map to 4
        raw = seq.encode("ascii", errors="replace")
    elif isinstance(seq, (bytes, bytearray, memoryview)):
        raw = bytes(seq)
    else:
        raise TypeError(f"encode_sequence expects str or bytes, got {type(seq).__name__}")
    return _ENCODE_TABLE[np.frombuffer(raw, dtype=np.uint8)]


def _check_codes(codes: np.ndarray) -> np.ndarray:
    codes = np.asarray(codes)
    if codes.dtype.kind not in "ui":
        raise TypeError(f"base codes must be an integer array, got dtype {codes.dtype}")
    if codes.size:
        high = codes.max()
        low = codes.min() if codes.dtype.kind == "i" else 0
        if low < 0 or high > N_CODE:
            raise ValueError(f"base codes must lie in 0..{N_CODE}, got values in {low}..{high}")
    return codes


def decode_codes(codes: np.ndarray) -> str:
    """Decode a 1-D array of base codes to an upper-case string (code 4 -> ``N``).

    Parameters
    ----------
    codes:
        Integer array of shape ``(L,)`` with values in 0..4.

    Returns
    -------
    str
        The sequence, e.g. ``"ACGTN"``.
    """
    codes = _check_codes(codes)
    if codes.ndim != 1:
        raise ValueError(f"decode_codes expects a 1-D array, got shape {codes.shape}")
    return _DECODE_TABLE[codes].tobytes().decode("ascii")


def one_hot(codes: np.ndarray) -> np.ndarray:
    """One-hot encode base codes.

    Parameters
    ----------
    codes:
        Integer array of shape ``(..., L)`` with values in 0..4.

    Returns
    -------
    numpy.ndarray
        ``float32`` array of shape ``(..., 4, L)`` with rows A, C, G, T; code 4 gives an
        all-zero column.
    """
    codes = _check_codes(codes)
    if codes.ndim == 0:
        raise ValueError("one_hot expects an array of shape (..., L), got a scalar")
    out = np.empty((*codes.shape[:-1], 4, codes.shape[-1]), dtype=np.float32)
    # one comparison per channel, written straight into the output: ~10x faster than a
    # (5, 4) table lookup followed by moving the channel axis
    for k in range(4):
        np.equal(codes, k, out=out[..., k, :])
    return out


def one_hot_torch(codes: torch.Tensor) -> torch.Tensor:
    """One-hot encode base codes on torch, on the device of ``codes``.

    Parameters
    ----------
    codes:
        Integer tensor of shape ``(..., L)`` with values in 0..4. Values are not range-checked
        (that would synchronise with the GPU); anything other than 0..3 gives a zero column.

    Returns
    -------
    torch.Tensor
        ``float32`` tensor of shape ``(..., 4, L)`` on the same device; code 4 gives an
        all-zero column.
    """
    if codes.dtype.is_floating_point or codes.dtype == torch.bool or codes.dtype.is_complex:
        raise TypeError(f"base codes must be an integer tensor, got dtype {codes.dtype}")
    if codes.dim() == 0:
        raise ValueError("one_hot_torch expects a tensor of shape (..., L), got a scalar")
    channels = torch.arange(4, device=codes.device, dtype=codes.dtype).view(4, 1)
    return (codes.unsqueeze(-2) == channels).to(torch.float32)


def reverse_complement_codes(codes: np.ndarray) -> np.ndarray:
    """Reverse complement base codes along the last axis.

    Parameters
    ----------
    codes:
        Integer array of shape ``(..., L)`` with values in 0..4.

    Returns
    -------
    numpy.ndarray
        ``uint8`` array of the same shape: the last axis reversed and ``c -> 3 - c`` for
        ``c < 4``; code 4 stays 4.
    """
    codes = _check_codes(codes)
    return np.ascontiguousarray(_COMPLEMENT_TABLE[codes[..., ::-1]])
