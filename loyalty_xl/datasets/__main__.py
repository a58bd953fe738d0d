"""Rebuild the bundled sample: ``python -m loyalty_xl.datasets``.

The files are gzip-compressed CSV written byte-for-byte reproducibly (no timestamp in the gzip
header), so a rebuild that changes nothing leaves git clean.
"""

import gzip

from loyalty_xl.datasets import SAMPLE_DIR, generate, sample_paths


def main():
    SAMPLE_DIR.mkdir(exist_ok=True)
    tables = generate(dirty=True)
    for name, path in sample_paths().items():
        text = tables[name].to_csv(index=False, lineterminator="\n")
        with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0,
                                                    filename="") as f:
            f.write(text.encode("utf-8"))
        print(f"{path}: {len(tables[name]):,} rows")


if __name__ == "__main__":
    main()
