"""Small functions under test, each with the behaviours a good suite should pin down."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Subject:
    module: str
    function: str
    source: str
    behaviours: tuple[tuple[str, str], ...]


SUBJECTS: tuple[Subject, ...] = (
    Subject(
        "slugs",
        "slugify",
        'import re\n\n\ndef slugify(text):\n    text = re.sub(r"[^a-z0-9]+", "-", text.lower())\n'
        '    return text.strip("-")\n',
        (
            ("lowercases", 'assert slugify("Hello") == "hello"'),
            ("joins_words", 'assert slugify("a b  c") == "a-b-c"'),
            ("strips_edges", 'assert slugify("  !x! ") == "x"'),
            ("empty", 'assert slugify("") == ""'),
        ),
    ),
    Subject(
        "money",
        "split_bill",
        "def split_bill(total_cents, people):\n    if people <= 0:\n"
        '        raise ValueError("people must be positive")\n'
        "    share, rest = divmod(total_cents, people)\n"
        "    return [share + (1 if i < rest else 0) for i in range(people)]\n",
        (
            ("even", "assert split_bill(900, 3) == [300, 300, 300]"),
            ("remainder_first", "assert split_bill(1000, 3) == [334, 333, 333]"),
            ("sums_to_total", "assert sum(split_bill(1234, 7)) == 1234"),
            ("rejects_zero", "with pytest.raises(ValueError):\n        split_bill(10, 0)"),
        ),
    ),
    Subject(
        "intervals",
        "merge",
        "def merge(spans):\n    out = []\n    for start, end in sorted(spans):\n"
        "        if out and start <= out[-1][1]:\n            out[-1][1] = max(out[-1][1], end)\n"
        "        else:\n            out.append([start, end])\n    return [tuple(s) for s in out]\n",
        (
            ("disjoint", "assert merge([(1, 2), (4, 5)]) == [(1, 2), (4, 5)]"),
            ("overlap", "assert merge([(1, 3), (2, 6)]) == [(1, 6)]"),
            ("touching", "assert merge([(1, 2), (2, 3)]) == [(1, 3)]"),
            ("unsorted", "assert merge([(5, 6), (1, 2)]) == [(1, 2), (5, 6)]"),
        ),
    ),
    Subject(
        "cache",
        "LRU",
        "from collections import OrderedDict\n\n\nclass LRU:\n    def __init__(self, size):\n"
        "        self.size = size\n        self.data = OrderedDict()\n\n    def get(self, key):\n"
        "        if key not in self.data:\n            return None\n"
        "        self.data.move_to_end(key)\n        return self.data[key]\n\n"
        "    def put(self, key, value):\n        self.data[key] = value\n"
        "        self.data.move_to_end(key)\n        while len(self.data) > self.size:\n"
        "            self.data.popitem(last=False)\n",
        (
            ("miss", "assert LRU(2).get('x') is None"),
            (
                "evicts_oldest",
                "c = LRU(1)\n    c.put(1, 'a')\n    c.put(2, 'b')\n    assert c.get(1) is None",
            ),
            (
                "refresh",
                "c = LRU(2)\n    c.put(1, 'a')\n    c.put(2, 'b')\n    c.get(1)\n"
                "    c.put(3, 'c')\n    assert c.get(2) is None",
            ),
        ),
    ),
)
