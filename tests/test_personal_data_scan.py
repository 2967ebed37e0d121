"""The personal-data scan's quick lookup of organisation names finds exactly what `name in text` finds."""

import random

from personal_data_scan import _Names


def test_the_indexed_lookup_finds_the_names_a_plain_substring_test_finds():
    rng = random.Random(1)
    alphabet = "王李张伟芳公司业有限广州市区abc"
    for _ in range(3000):
        names = {"".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6))) for _ in range(rng.randint(0, 30))}
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert _Names(names).within(text) == {n for n in names if n and n in text}, (names, text)
