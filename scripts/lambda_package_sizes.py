"""Measure the two Lambda packages as they would deploy: `make package-sizes`.

Installs layers/requirements.txt (CoreLayer) and functions/pipeline-requirements.txt (the
pipeline image) for the python3.11 Lambda platform (scripts/lambda_packages.py) and prints
their unzipped sizes, largest packages first. Needs PyPI (or the .lambda-packages/ cache);
exits 1 when the layer, with the dfab library, would not fit Lambda's 250 MB limit for a
zip function and its layers.
The figures are written up in docs/validator/deploy.md ("How the code is packaged").
"""

from __future__ import annotations

from pathlib import Path

from lambda_packages import IMAGE_REQUIREMENTS, LAYER_REQUIREMENTS, ROOT, install

LIMIT = 250 * 1024 * 1024


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _report(name: str, target: Path, extra: int) -> int:
    total = _size(target) + extra
    print(f"\n{name}: {total / 2**20:.0f} MiB unzipped (limit for zip: {LIMIT / 2**20:.0f} MiB)")
    parts = sorted(((_size(p), p.name) for p in target.iterdir() if p.is_dir()), reverse=True)
    for size, part in parts[:8]:
        print(f"  {size / 2**20:7.1f} MiB  {part}")
    return total


def main() -> int:
    library = _size(ROOT / "layers" / "dfab")
    layer = install("layer", LAYER_REQUIREMENTS)
    image = install("image", IMAGE_REQUIREMENTS)
    print(f"dfab library: {library / 2**20:.1f} MiB")
    layer_total = _report("CoreLayer (zip functions)", layer, library)
    _report("pipeline image packages (Validate, Parse, Score, Aggregate)", image, library)
    if layer_total >= LIMIT:
        print("\nCoreLayer is over Lambda's limit for a zip function and its layers")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
