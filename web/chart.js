// A small SVG line chart: one line per series over epochs, axes with a few ticks. Drawn
// into a viewBox, so it scales with its container (phone and desktop).
import { svg } from './dom.js';

const W = 360;
const H = 200;
const PAD = { left: 44, right: 12, top: 12, bottom: 28 };

/**
 * @param {SVGSVGElement} root
 * @param {{ series: { name: string, className: string, points: [number, number][] }[],
 *           xMax: number, yMin: number, yMax: number, yTicks: number[], yFormat: (y: number) => string }} spec
 */
export function drawChart(root, { series, xMax, yMin, yMax, yTicks, yFormat }) {
  root.setAttribute('viewBox', `0 0 ${W} ${H}`);
  const x = (v) => PAD.left + (v / Math.max(xMax, 1)) * (W - PAD.left - PAD.right);
  const y = (v) => PAD.top + (1 - (Math.min(Math.max(v, yMin), yMax) - yMin) / (yMax - yMin)) * (H - PAD.top - PAD.bottom);
  const xStep = xMax <= 10 ? 1 : xMax <= 20 ? 2 : 5;
  const parts = [];
  for (const t of yTicks) {
    parts.push(svg('line', { class: 'grid', x1: PAD.left, x2: W - PAD.right, y1: y(t), y2: y(t) }));
    parts.push(svg('text', { class: 'tick', x: PAD.left - 6, y: y(t) + 4, 'text-anchor': 'end' }, yFormat(t)));
  }
  for (let e = 0; e <= xMax; e += xStep) {
    parts.push(svg('text', { class: 'tick', x: x(e), y: H - PAD.bottom + 16, 'text-anchor': 'middle' }, String(e)));
  }
  parts.push(svg('text', { class: 'axis-label', x: W - PAD.right, y: H - 2, 'text-anchor': 'end' }, 'epoch'));
  for (const { name, className, points } of series) {
    if (points.length === 0) continue;
    const d = points.map(([px, py], i) => `${i ? 'L' : 'M'}${x(px).toFixed(1)},${y(py).toFixed(1)}`).join('');
    const group = svg('g', { class: `series ${className}`, 'data-series': name, 'data-points': JSON.stringify(points) });
    group.append(svg('path', { d }));
    for (const [px, py] of points) group.append(svg('circle', { cx: x(px), cy: y(py), r: 2.8 }));
    parts.push(group);
  }
  root.replaceChildren(...parts);
}
