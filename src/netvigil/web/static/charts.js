// netvigil charts: each <figure class="chart"> carries its spec as JSON (kind, query, data, id);
// this draws it with Observable Plot (vendored, see vendor/VENDOR.md), prints the chart id on
// the chart itself and offers SVG and PNG downloads. One mark per data row (one line per signal),
// labelled by aria-label so that a reader of the page, a screen reader and the browser tests
// find the same values as the JSON twin. Without JavaScript the table under the chart remains.
(function () {
  "use strict";
  const OUTCOMES = ["ok", "anomaly", "confirmed", "failure"];
  // As OONI's MAT: ok green, anomaly orange, confirmed red, failure grey (colour-blind safe
  // shades of those hues).
  const OUTCOME_COLORS = ["#4d9a4f", "#e69f00", "#c0392b", "#8c8c8c"];
  const STATUS = ["outage", "blocking", "incident"];
  const STATUS_COLORS = ["#b2182b", "#ef8a62", "#6a51a3"];
  const EVENT_COLORS = { outage: "#b2182b", blocking: "#ef8a62", platform_outage: "#7b3294" };
  const INTERVAL = { hour: "hour", day: "day", week: "monday", month: "month" };
  const DAY = 86400000;
  const WORLD = "/static/vendor/countries-110m-2.0.2.json";
  const SMALL = "/static/vendor/small-countries-2.0.2.json";
  const labelsNode = document.getElementById("chart-labels");
  const L = labelsNode ? JSON.parse(labelsNode.textContent) : {};
  const t = (key) => L[key] || key;

  const toDate = (s) => new Date(s.length === 10 ? s + "T00:00:00Z" : s);
  const domainOf = (q) => [toDate(q.since), new Date(toDate(q.until).getTime() + DAY)];
  const widthOf = (el) => Math.max(320, Math.min(1100, el.clientWidth || 800));
  const common = (el) => ({ width: widthOf(el), marginLeft: 64, marginRight: 24, style: null });

  function verdicts(spec, el) {
    const q = spec.query;
    const data = spec.data.map((d) => ({ ...d, x: toDate(d.date) }));
    return Plot.plot({
      ...common(el), height: 220,
      x: { type: "utc", domain: domainOf(q), label: null },
      // No data: a readable 0-10 axis instead of one tick printed as "0.000000".
      y: { label: t("measurements"), grid: true, domain: data.length ? undefined : [0, 10] },
      color: { domain: OUTCOMES, range: OUTCOME_COLORS, legend: true, tickFormat: t },
      marks: [
        Plot.rectY(data, {
          x: "x", interval: INTERVAL[q.grain || "day"], y: "count", fill: "outcome",
          order: OUTCOMES, ariaDescription: "verdicts",
          title: (d) => `${d.date} · ${d.outcome} · ${d.count}`,
          ariaLabel: (d) => `${d.date} · ${d.outcome} · ${d.count}`,
        }),
        Plot.ruleY([0], { ariaHidden: true }),
      ],
    });
  }

  function signals(spec, el) {
    const [x0, x1] = domainOf(spec.query);
    const points = spec.data.points.map((d) => ({ ...d, x: toDate(d.t) }));
    const events = spec.data.events.map((e) => ({
      ...e,
      x1: new Date(Math.max(toDate(e.start), x0)),
      x2: e.end ? new Date(Math.min(toDate(e.end), x1)) : x1,
    }));
    const kinds = [...new Set(events.map((e) => e.kind))];
    return Plot.plot({
      ...common(el), height: 200,
      x: { type: "utc", domain: [x0, x1], label: null },
      y: { label: t("% of median"), grid: true, domain: points.length ? undefined : [0, 120] },
      color: { legend: points.length > 0 },
      marks: [
        ...kinds.map((kind) => Plot.rect(events.filter((e) => e.kind === kind), {
          x1: "x1", x2: "x2", fill: EVENT_COLORS[kind] || "#999999", fillOpacity: 0.22,
          ariaDescription: "events", title: (e) => `${e.kind} · ${e.start} · ${e.end || "ongoing"}`,
          ariaLabel: (e) => `${e.kind} · ${e.start} · ${e.end || "ongoing"}`,
        })),
        Plot.ruleY([100], { stroke: "#bbbbbb", ariaHidden: true }),
        Plot.lineY(points, {
          x: "x", y: "relative", z: "signal", stroke: "signal", ariaDescription: "signals",
          title: (d) => d.signal, ariaLabel: (d) => d.signal,
        }),
      ],
    });
  }

  function timeline(spec, el) {
    const data = spec.data.map((d) => ({ ...d, x: toDate(d.date) }));
    return Plot.plot({
      ...common(el), height: 110,
      x: { type: "utc", domain: domainOf(spec.query), label: null },
      y: { domain: ["incident", "law"], label: null, tickFormat: t },
      color: { domain: ["incident", "law"], range: ["#6a51a3", "#2b8cbe"] },
      marks: [
        Plot.ruleY(["incident", "law"], { stroke: "#eeeeee", ariaHidden: true }),
        Plot.dot(data, {
          x: "x", y: "kind", fill: "kind", r: 5, stroke: "white", href: "url",
          ariaDescription: "timeline", title: (d) => `${d.date} · ${d.label}`,
          ariaLabel: (d) => `${d.date} · ${d.kind} · ${d.label}`,
        }),
      ],
    });
  }

  async function map(spec, el) {
    const [world, small] = await Promise.all(
      [WORLD, SMALL].map((u) => fetch(u).then((r) => r.json())));
    const features = topojson.feature(world, world.objects.countries).features;
    const byNumber = new Map(spec.data.filter((d) => d.numeric).map((d) => [d.numeric, d]));
    const drawn = new Set(features.map((f) => f.id));
    const shaded = features.filter((f) => byNumber.has(f.id))
      .map((f) => ({ ...f, properties: { ...f.properties, ...byNumber.get(f.id) } }));
    const points = small.filter((p) => byNumber.has(p.id) && !drawn.has(p.id))
      .map((p) => ({ ...p, ...byNumber.get(p.id) }));
    const label = (d) => `${d.cc} · ${d.status} · ${d.events} · ${d.incidents}`;
    return Plot.plot({
      ...common(el), marginLeft: 0, marginRight: 0, projection: "equal-earth",
      color: { domain: STATUS, range: STATUS_COLORS },
      marks: [
        Plot.sphere({ fill: "#f4f8fb", stroke: "#cccccc", ariaHidden: true }),
        Plot.geo(features, { fill: "#dedede", stroke: "white", strokeWidth: 0.5, ariaHidden: true }),
        Plot.geo(shaded, {
          fill: (f) => f.properties.status, stroke: "white", strokeWidth: 0.5,
          ariaDescription: "map-countries", title: (f) => label(f.properties),
          ariaLabel: (f) => label(f.properties),
          href: (f) => `/countries/${f.properties.cc}`,
        }),
        Plot.dot(points, {
          x: "lon", y: "lat", r: 4, fill: "status", stroke: "white",
          ariaDescription: "map-points", title: label, ariaLabel: label,
          href: (d) => `/countries/${d.cc}`,
        }),
      ],
    });
  }

  function aggregation(spec, el) {
    const q = spec.query;
    const ax = q.axis_x;
    const ay = q.axis_y;
    const rows = [];
    for (const r of spec.data) {
      for (const o of OUTCOMES) {
        const n = r[o + "_count"];
        if (n > 0) {
          const key = r[ax] === null || r[ax] === undefined ? "—" : String(r[ax]);
          const facet = ay ? (r[ay] === null || r[ay] === undefined ? "—" : String(r[ay])) : null;
          rows.push({ key, facet, outcome: o, count: n });
        }
      }
    }
    const title = (d) => [d.key, d.facet, d.outcome, d.count].filter((v) => v !== null).join(" · ");
    const color = { domain: OUTCOMES, range: OUTCOME_COLORS, legend: true, tickFormat: t };
    const facets = ay ? new Set(rows.map((d) => d.facet)).size : 1;
    if (ax === "measurement_start_day") {
      return Plot.plot({
        ...common(el), height: Math.min(1600, 60 + 160 * facets),
        x: { type: "utc", label: null }, y: { label: t("measurements"), grid: true },
        fy: { label: null }, color,
        marks: [Plot.rectY(rows, {
          x: (d) => toDate(d.key), interval: INTERVAL[q.time_grain || "day"], y: "count",
          fill: "outcome", order: OUTCOMES, fy: ay ? "facet" : undefined,
          ariaDescription: "aggregation", title, ariaLabel: title,
        })],
      });
    }
    const keys = new Set(rows.map((d) => d.key)).size;
    return Plot.plot({
      ...common(el), marginLeft: 160, height: Math.min(2400, 60 + 20 * keys * facets),
      x: { label: t("measurements"), grid: true }, y: { label: null }, fy: { label: null }, color,
      marks: [Plot.barX(rows, {
        y: "key", x: "count", fill: "outcome", order: OUTCOMES, fy: ay ? "facet" : undefined,
        ariaDescription: "aggregation", title, ariaLabel: title,
      })],
    });
  }

  const DRAW = { verdicts, signals, timeline, map, aggregation };

  // The chart id (and where to check it) printed inside the SVG, so exports carry it too.
  function stamp(svg, spec) {
    const w = +svg.getAttribute("width");
    const h = +svg.getAttribute("height");
    svg.setAttribute("height", h + 30);
    svg.setAttribute("viewBox", `0 0 ${w} ${h + 30}`);
    const lines = [
      `netvigil · ${t("chart id")} ${spec.id.split("-")[0]}`,
      `${location.origin}${spec.verify_url}`,
    ];
    lines.forEach((line, i) => {
      const text = document.createElementNS("http://www.w3.org/2000/svg", "text");
      text.setAttribute("x", 4);
      text.setAttribute("y", h + 12 + 12 * i);
      text.setAttribute("font-size", i ? "8" : "10");
      text.setAttribute("text-anchor", "start");
      text.setAttribute("fill", "#555555");
      text.setAttribute("class", "chart-stamp");
      text.textContent = line;
      svg.appendChild(text);
    });
  }

  function download(name, href) {
    const a = document.createElement("a");
    a.href = href;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

  function svgSource(svg) {
    const copy = svg.cloneNode(true);
    copy.setAttribute("xmlns", "http://www.w3.org/2000/svg");
    copy.setAttribute("font-family", "system-ui, sans-serif");
    return new XMLSerializer().serializeToString(copy);
  }

  function exports(figure, svg, spec) {
    const holder = figure.querySelector(".chart-export");
    if (!holder) return;
    const name = `netvigil-${spec.kind}-${spec.id.split("-")[0]}`;
    const asSvg = () => "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svgSource(svg));
    const button = (label, action) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "link";
      b.textContent = label;
      b.addEventListener("click", action);
      holder.append(" · ", b);
    };
    button("SVG", () => download(name + ".svg", asSvg()));
    button("PNG", () => {
      const image = new Image();
      image.onload = () => {
        const canvas = document.createElement("canvas");
        canvas.width = svg.viewBox.baseVal.width * 2;
        canvas.height = svg.viewBox.baseVal.height * 2;
        const ctx = canvas.getContext("2d");
        ctx.fillStyle = "white";
        ctx.fillRect(0, 0, canvas.width, canvas.height);
        ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
        download(name + ".png", canvas.toDataURL("image/png"));
      };
      image.src = asSvg();
    });
  }

  async function draw(figure) {
    const spec = JSON.parse(figure.querySelector("script.chart-spec").textContent);
    const holder = figure.querySelector(".chart-plot");
    const node = await DRAW[spec.kind](spec, holder);
    holder.replaceChildren(node);
    const svg = node.tagName.toLowerCase() === "svg"
      ? node : [...node.children].find((c) => c.tagName.toLowerCase() === "svg");
    stamp(svg, spec);
    exports(figure, svg, spec);
    figure.dataset.rendered = "true";
  }

  for (const figure of document.querySelectorAll("figure.chart")) {
    draw(figure).catch((error) => {
      figure.dataset.rendered = "error";
      console.error("chart", figure.dataset.kind, error);
    });
  }
})();
