// The plot of bench/ann.mjs as a standalone SVG: recall@10 (x) against µs per query (y, log
// scale), one line per library, a marker per point of its sweep.
const COLORS = ['#1f77b4', '#2ca02c', '#d62728', '#ff7f0e', '#9467bd', '#8c564b'];
const escape = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** @param {{ name: string, points: { recall: number, us: number }[] }[]} series */
export function renderSvg(series, title) {
  const width = 760;
  const height = 460;
  const left = 70;
  const right = 200;
  const top = 40;
  const bottom = 50;
  const all = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.us) && p.us > 0);
  const xMin = Math.max(0.5, Math.floor(Math.min(...all.map((p) => p.recall)) * 20) / 20);
  const xMax = 1;
  const yMin = 10 ** Math.floor(Math.log10(Math.min(...all.map((p) => p.us))));
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(...all.map((p) => p.us))));
  const x = (recall) => left + ((Math.max(recall, xMin) - xMin) / (xMax - xMin)) * (width - left - right);
  const y = (us) => top + (1 - (Math.log10(us) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * (height - top - bottom);
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  out.push(`<text x="${left}" y="22" font-size="14">${escape(title)}</text>`);
  for (let t = xMin; t <= xMax + 1e-9; t += 0.05) {
    out.push(`<line x1="${x(t)}" y1="${top}" x2="${x(t)}" y2="${height - bottom}" stroke="#ddd"/>`);
    out.push(`<text x="${x(t)}" y="${height - bottom + 16}" text-anchor="middle">${t.toFixed(2)}</text>`);
  }
  for (let d = yMin; d <= yMax; d *= 10) {
    for (const m of [1, 2, 5]) {
      const v = d * m;
      if (v > yMax) break;
      out.push(`<line x1="${left}" y1="${y(v)}" x2="${width - right}" y2="${y(v)}" stroke="${m === 1 ? '#ccc' : '#eee'}"/>`);
      out.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${v >= 1000 ? `${v / 1000} ms` : `${v} µs`}</text>`);
    }
  }
  for (const floor of [0.95, 0.99]) {
    out.push(`<line x1="${x(floor)}" y1="${top}" x2="${x(floor)}" y2="${height - bottom}" stroke="#999" stroke-dasharray="4 3"/>`);
  }
  out.push(`<text x="${(left + width - right) / 2}" y="${height - 12}" text-anchor="middle">recall@10 (higher is better)</text>`);
  out.push(`<text transform="translate(16 ${(top + height - bottom) / 2}) rotate(-90)" text-anchor="middle">time per query, 1 thread (log; lower is better)</text>`);
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = s.points.filter((p) => Number.isFinite(p.us) && p.us > 0).sort((a, b) => a.recall - b.recall);
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map((p) => `${x(p.recall).toFixed(1)},${y(p.us).toFixed(1)}`).join(' ')}"/>`);
    for (const p of pts) out.push(`<circle cx="${x(p.recall).toFixed(1)}" cy="${y(p.us).toFixed(1)}" r="3" fill="${color}"/>`);
    const ly = top + 10 + i * 20;
    out.push(`<line x1="${width - right + 15}" y1="${ly}" x2="${width - right + 35}" y2="${ly}" stroke="${color}" stroke-width="2"/>`);
    out.push(`<text x="${width - right + 40}" y="${ly + 4}">${escape(s.name)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
