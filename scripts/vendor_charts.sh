#!/usr/bin/env bash
# Re-vendor the site's chart library, its world map and the browser tests' axe-core from the npm
# registry, at the pinned versions below (bump a version here, run, review the diff, commit).
#
#   bash scripts/vendor_charts.sh
#
# Writes src/netvigil/web/static/vendor/ (served by the site itself: no CDN) and
# tests/web/vendor/axe.min.js, each with its licence; VENDOR.md lists versions and SHA-256s.
set -euo pipefail
PLOT=0.6.17            # @observablehq/plot, ISC
D3=7.9.2               # d3 (Plot's UMD build needs the d3 global), ISC
TOPOJSON=3.1.0         # topojson-client (TopoJSON -> GeoJSON in the browser), ISC
ATLAS=2.0.2            # world-atlas: Natural Earth 1:110m countries as TopoJSON, ISC (data: public domain)
AXE=4.14.1             # axe-core, MPL-2.0 (tests only, never served)

repo=$(cd "$(dirname "$0")/.." && pwd)
out="$repo/src/netvigil/web/static/vendor"
tests="$repo/tests/web/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "@observablehq/plot@$PLOT" "d3@$D3" "topojson-client@$TOPOJSON" \
  "world-atlas@$ATLAS" "axe-core@$AXE" >/dev/null
for f in *.tgz; do mkdir "${f%.tgz}" && tar xzf "$f" -C "${f%.tgz}"; done

rm -rf "$out" && mkdir -p "$out" "$tests"
cp "observablehq-plot-$PLOT/package/dist/plot.umd.min.js" "$out/plot-$PLOT.min.js"
cp "d3-$D3/package/dist/d3.min.js" "$out/d3-$D3.min.js"
cp "topojson-client-$TOPOJSON/package/dist/topojson-client.min.js" "$out/topojson-client-$TOPOJSON.min.js"
cp "world-atlas-$ATLAS/package/countries-110m.json" "$out/countries-110m-$ATLAS.json"
# Countries too small for the 1:110m shapes (Hong Kong, Singapore, Bahrain...): one point each,
# the centroid of its 1:50m shape, so the map can still colour them.
node - "$work" "$ATLAS" "$D3" "$TOPOJSON" \
  > "$out/small-countries-$ATLAS.json" <<'JS'
const [work, atlas, d3v, topov] = process.argv.slice(2);
const fs = require("fs");
// The UMD builds sit in ES-module packages: copied to .cjs so that require() loads them.
const umd = (from, to) => (fs.copyFileSync(from, `${work}/${to}`), require(`${work}/${to}`));
const d3 = umd(`${work}/d3-${d3v}/package/dist/d3.min.js`, "d3.cjs");
const topojson = umd(`${work}/topojson-client-${topov}/package/dist/topojson-client.min.js`, "topojson.cjs");
const read = (name) => JSON.parse(fs.readFileSync(`${work}/world-atlas-${atlas}/package/${name}`));
const coarse = read("countries-110m.json"), fine = read("countries-50m.json");
const have = new Set(coarse.objects.countries.geometries.map((g) => g.id).filter(Boolean));
const points = topojson.feature(fine, fine.objects.countries).features
  .filter((f) => f.id && !have.has(f.id))
  .map((f) => {
    const [lon, lat] = d3.geoCentroid(f);
    return {id: f.id, name: f.properties.name, lon: +lon.toFixed(3), lat: +lat.toFixed(3)};
  })
  .sort((a, b) => a.id.localeCompare(b.id));
process.stdout.write(JSON.stringify(points) + "\n");
JS
for pkg in "observablehq-plot-$PLOT:plot" "d3-$D3:d3" "topojson-client-$TOPOJSON:topojson-client" \
  "world-atlas-$ATLAS:world-atlas"; do
  cp "${pkg%%:*}/package/LICENSE" "$out/LICENSE-${pkg##*:}.txt"
done
cp "axe-core-$AXE/package/axe.min.js" "$tests/axe.min.js"
cp "axe-core-$AXE/package/LICENSE" "$tests/LICENSE-axe-core.txt"

{
  echo "# Vendored from the npm registry by scripts/vendor_charts.sh (do not edit by hand)"
  echo
  echo "| file | package | version | licence | sha256 |"
  echo "|---|---|---|---|---|"
  row() { echo "| $1 | $2 | $3 | $4 | $(sha256sum "$5" | cut -c1-16)… |"; }
  row "plot-$PLOT.min.js" "@observablehq/plot" "$PLOT" ISC "$out/plot-$PLOT.min.js"
  row "d3-$D3.min.js" d3 "$D3" ISC "$out/d3-$D3.min.js"
  row "topojson-client-$TOPOJSON.min.js" topojson-client "$TOPOJSON" ISC "$out/topojson-client-$TOPOJSON.min.js"
  row "countries-110m-$ATLAS.json" "world-atlas (Natural Earth 1:110m, public domain)" "$ATLAS" ISC "$out/countries-110m-$ATLAS.json"
  row "small-countries-$ATLAS.json" "derived: centroids of world-atlas 1:50m shapes absent at 1:110m" "$ATLAS" ISC "$out/small-countries-$ATLAS.json"
  row "tests/web/vendor/axe.min.js" axe-core "$AXE" MPL-2.0 "$tests/axe.min.js"
} > "$out/VENDOR.md"
echo "vendored into $out and $tests"
