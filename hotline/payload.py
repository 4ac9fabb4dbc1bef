"""How many bytes of binary data a text carries in base64, base32, base85 or hex.

A pasted file hides in a description as an encoded block, split by spaces, line breaks or any
other separator. So, for each encoding, every character outside its alphabet is treated as a
separator and dropped; what is left (the *stream*) is scanned with a window of 32 characters.
A window is *dense* when its make-up is that of encoded data, not of words:

- base64 (``A-Z a-z 0-9 + / - _``): capitals and small letters at 28% or more each, digits or
  ``+/-_`` at 6%, and at most 27% of its letters vowels (random data: 41%, 41%, 19%, and 19%
  vowels; words in Latin-script languages have 35-45% vowels, Title Case fewer capitals);
- base32 (``A-Z 2-7``, either case): letters of one case, digits 2-7 at 10% or more, a switch
  between digit and letter at 18% of the places, at most 30% vowels;
- hex (``0-9 a-f``, either case): digits at 40% or more, letters at 25%, switches at 30%, at
  most half the letters vowels (dates, phone numbers, long numbers and the a-f letters of
  words never qualify);
- base85 (every printable ASCII character: the ascii85, Z85 and RFC 1924 alphabets):
  punctuation, capitals and small letters at 15% or more each, digits at 5%, at most 30% vowels
  (prose and URLs have few capitals, code few digits and capitals).

The characters of dense windows form runs in the stream; a run shorter than 48 characters is
not counted (an identifier in a URL, a UUID, an MD5 or SHA-1 digest). Each counted character
carries what its encoding holds (base85 0.8 bytes, base64 0.75, base32 0.625, hex 0.5); a
character counted by several encodings counts once, at the highest of them. Text between
``<~`` and ``~>`` (ascii85's own markers) counts whole, at 0.8 bytes per character.
Scripts without Latin letters (Chinese, Japanese, Thai, Russian, Arabic, ...) contribute only
their ASCII digits, so they never qualify.
"""

import re
from dataclasses import dataclass
from itertools import accumulate, groupby, pairwise
from operator import itemgetter

__all__ = ["decodable_bytes"]

WINDOW = 32
MIN_RUN = 48
_VOWELS = frozenset("aeiouAEIOU")
_ASCII85_BLOCK = re.compile(r"<~(.*?)~>", re.DOTALL)


@dataclass(frozen=True)
class _Encoding:
    alphabet: frozenset
    bytes_per_char: float
    # The least share of the window each class must have (see ``_window_counts``) ...
    at_least: dict[str, float]
    # ... the most vowels among its letters, and whether the letters must be of one case.
    most_vowels: float
    one_case: bool = False

    def dense_windows(self, counts: dict[str, list[int]], size: int) -> list[bool]:
        """For each window, whether its make-up is that of this encoding's output."""
        dense = [True] * len(counts["letters"])
        for name, share in self.at_least.items():
            least = share * size
            dense = [ok and count >= least for ok, count in zip(dense, counts[name], strict=True)]
        dense = [
            ok and vowels <= self.most_vowels * letters
            for ok, vowels, letters in zip(dense, counts["vowel"], counts["letters"], strict=True)
        ]
        if self.one_case:
            dense = [
                ok and max(upper, lower) >= 0.95 * (upper + lower)
                for ok, upper, lower in zip(dense, counts["upper"], counts["lower"], strict=True)
            ]
        return dense


_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_ENCODINGS = [
    _Encoding(
        alphabet=frozenset(chr(code) for code in range(0x21, 0x7F)),  # base85: all of them
        bytes_per_char=0.8,
        at_least={"other": 0.15, "upper": 0.15, "lower": 0.15, "digit": 0.05},
        most_vowels=0.30,
    ),
    _Encoding(
        alphabet=frozenset(_LETTERS + "0123456789+/-_"),  # base64, standard and URL-safe
        bytes_per_char=0.75,
        at_least={"upper": 0.28, "lower": 0.28, "non_letters": 0.06},
        most_vowels=0.27,
    ),
    _Encoding(
        alphabet=frozenset(_LETTERS + "234567"),  # base32, either case
        bytes_per_char=0.625,
        at_least={"digit": 0.10, "switch": 0.18},
        most_vowels=0.30,
        one_case=True,
    ),
    _Encoding(
        alphabet=frozenset("0123456789abcdefABCDEF"),  # hex
        bytes_per_char=0.5,
        at_least={"digit": 0.40, "letters": 0.25, "switch": 0.30},
        most_vowels=0.50,
    ),
]


def decodable_bytes(text: str) -> int:
    """The bytes of binary data ``text`` can carry in base64, base32, base85 or hex."""
    weight = [0.0] * len(text)
    for block in _ASCII85_BLOCK.finditer(text):
        for index in range(block.start(1), block.end(1)):
            if not text[index].isspace():
                weight[index] = 0.8
    for encoding in _ENCODINGS:
        positions = [index for index, char in enumerate(text) if char in encoding.alphabet]
        if len(positions) < MIN_RUN:
            continue
        for index in _dense_positions(text, positions, encoding):
            weight[index] = max(weight[index], encoding.bytes_per_char)
    return int(sum(weight))


def _dense_positions(text: str, positions: list[int], encoding: _Encoding) -> list[int]:
    """Positions (in ``text``) of the stream's characters that lie in runs of dense windows."""
    stream = [text[index] for index in positions]
    size = min(WINDOW, len(stream))
    dense = encoding.dense_windows(_window_counts(stream, size), size)
    # A character is counted when at least one dense window covers it.
    covering = [0, *accumulate(dense)]
    # Window ``w`` covers characters ``w`` to ``w + size - 1``.
    last = len(dense) - 1
    covered = [
        covering[min(index, last) + 1] > covering[max(0, index - size + 1)]
        for index in range(len(stream))
    ]
    counted = []
    for is_covered, run in groupby(zip(covered, positions, strict=True), key=itemgetter(0)):
        run_positions = [position for _, position in run]
        if is_covered and len(run_positions) >= MIN_RUN:
            counted.extend(run_positions)
    return counted


def _window_counts(stream: list[str], size: int) -> dict[str, list[int]]:
    """How many characters of each class every window of ``size`` holds."""
    digit = [char.isdigit() for char in stream]
    flags = {
        "upper": [char.isupper() for char in stream],
        "lower": [char.islower() for char in stream],
        "digit": digit,
        "other": [not char.isalnum() for char in stream],
        "vowel": [char in _VOWELS for char in stream],
        # Where a digit follows a non-digit or the reverse: random data switches often,
        # numbers and words seldom.
        "switch": [False] + [a != b for a, b in pairwise(digit)],
    }
    counts = {}
    for name, row in flags.items():
        sums = [0, *accumulate(row)]
        counts[name] = [end - start for start, end in zip(sums, sums[size:], strict=False)]
    counts["letters"] = [a + b for a, b in zip(counts["upper"], counts["lower"], strict=True)]
    counts["non_letters"] = [a + b for a, b in zip(counts["digit"], counts["other"], strict=True)]
    return counts
