"""How often the PyPI token check accepts a look-alike: `pypi-` and one of the two
location prefixes the rule names (pypi.org, test.pypi.org), then a tail of random
base64url characters, as long as the tails of real tokens. Every such value has
the rule's shape; only the macaroon's structure tells it is no token, so the
share accepted is the validator's false-accept rate on random input.

    python benchmarks/pypi_tails.py [--tails 100000] [--seed 1] [--length 50:250]

The tails come from a seeded generator, so two runs of one version agree.
"""

from __future__ import annotations

import argparse
import random
import string

from scanner.engine.validators import check

ALPHABET = string.ascii_letters + string.digits + "-_"
PREFIXES = ("pypi-AgEIcHlwaS5vcmc", "pypi-AgENdGVzdC5weXBpLm9yZw")


def accepted(tails: int, seed: int, shortest: int, longest: int) -> int:
    rng = random.Random(seed)
    count = 0
    for _ in range(tails):
        tail = "".join(rng.choices(ALPHABET, k=rng.randint(shortest, longest)))
        if check("pypi-macaroon", (rng.choice(PREFIXES) + tail).encode()).valid:
            count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tails", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--length", default="50:250", help="shortest:longest tail")
    args = parser.parse_args()
    shortest, longest = (int(n) for n in args.length.split(":"))
    count = accepted(args.tails, args.seed, shortest, longest)
    print(f"{count} of {args.tails} random tails accepted ({count / args.tails:.5%})")


if __name__ == "__main__":
    main()
