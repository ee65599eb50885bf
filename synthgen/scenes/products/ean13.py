"""EAN-13 barcodes: the check digit and the bar pattern (95 modules), encoded here rather than by a package."""

from __future__ import annotations

# Left-half digit patterns (L = odd parity, G = even parity) and right-half (R) patterns, 7 modules each.
_L = ("0001101", "0011001", "0010011", "0111101", "0100011", "0110001", "0101111", "0111011", "0110111", "0001011")
_G = tuple("".join("1" if b == "0" else "0" for b in code)[::-1] for code in _L)
_R = tuple("".join("1" if b == "0" else "0" for b in code) for code in _L)
# The first digit is not drawn: it selects the L/G parity of the next six.
_PARITY = ("LLLLLL", "LLGLGG", "LLGGLG", "LLGGGL", "LGLLGG", "LGGLLG", "LGGGLL", "LGLGLG", "LGLGGL", "LGGLGL")


def check_digit(first12: str) -> int:
    """GS1 check digit: weights 1, 3, 1, 3... from the left over the first 12 digits."""
    if len(first12) != 12 or not first12.isdigit():
        raise ValueError(f"EAN-13 needs 12 digits before the check digit, got {first12!r}")
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return (10 - total % 10) % 10


def is_valid(code: str) -> bool:
    return len(code) == 13 and code.isdigit() and check_digit(code[:12]) == int(code[12])


def modules(code: str) -> str:
    """The 95 modules ('1' = bar) of a valid 13-digit code: guard, 6 left digits, centre, 6 right, guard."""
    if not is_valid(code):
        raise ValueError(f"not a valid EAN-13 code: {code!r}")
    parity = _PARITY[int(code[0])]
    left = "".join((_L if p == "L" else _G)[int(d)] for p, d in zip(parity, code[1:7], strict=True))
    right = "".join(_R[int(d)] for d in code[7:])
    return "101" + left + "01010" + right + "101"
