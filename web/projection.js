// The explorer's 2-D map: a PCA of a handful of vectors, computed here, drawn as SVG.
import { svg } from './dom.js';

/**
 * Projects n vectors (rows of `data`, n × dim) on their two principal axes.
 * PCA through the n × n Gram matrix of the centred rows (n is small, dim need not be),
 * diagonalised with cyclic Jacobi rotations. Returns n [x, y] pairs.
 */
export function pca2(data, n, dim) {
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j] += data[i * dim + j] / n;
  const gram = Array.from({ length: n }, () => new Float64Array(n));
  for (let a = 0; a < n; a++) {
    for (let b = a; b < n; b++) {
      let s = 0;
      for (let j = 0; j < dim; j++) s += (data[a * dim + j] - mean[j]) * (data[b * dim + j] - mean[j]);
      gram[a][b] = gram[b][a] = s;
    }
  }
  const { values, vectors } = jacobiEigen(gram);
  const order = [...values.keys()].sort((p, q) => values[q] - values[p]);
  const axes = order.slice(0, 2).map((k) => {
    const scale = Math.sqrt(Math.max(values[k], 0));
    const axis = vectors.map((row) => row[k] * scale);
    return axis[0] < 0 ? axis.map((v) => -v) : axis; // the first point always on the positive side
  });
  return Array.from({ length: n }, (_, i) => [axes[0]?.[i] ?? 0, axes[1]?.[i] ?? 0]);
}

// Eigen-decomposition of a symmetric matrix (cyclic Jacobi): values[k], and vectors[i][k].
function jacobiEigen(matrix) {
  const n = matrix.length;
  const a = matrix.map((row) => Float64Array.from(row));
  const v = Array.from({ length: n }, (_, i) => Float64Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p][q] ** 2;
    if (off < 1e-18) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (Math.abs(a[p][q]) < 1e-300) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) { // A ← A·J
          const akp = a[k][p];
          const akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) { // A ← Jᵀ·A
          const apk = a[p][k];
          const aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) { // V ← V·J
          const vkp = v[k][p];
          const vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: a.map((row, i) => row[i]), vectors: v };
}

const PAD = 28;

/**
 * Draws labelled points; `roles` marks words ('query', 'input', 'answer'); `arrows` are
 * [from, to] index pairs (the analogy's offsets). Each label links to that word's view.
 * @param {SVGSVGElement} root
 * @param {{ words: string[], points: [number, number][], roles: string[], arrows: [number, number][], href: (word: string) => string }} spec
 */
export function drawMap(root, { words, points, roles, arrows, href }) {
  // One SVG unit a CSS pixel (at least 320 wide), so labels keep their size on a phone.
  const W = Math.max(320, Math.round(root.clientWidth || 420));
  const H = Math.round(Math.min(340, W * 0.75));
  root.setAttribute('viewBox', `0 0 ${W} ${H}`);
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const span = (values) => [Math.min(...values), Math.max(...values) - Math.min(...values) || 1];
  const [x0, xw] = span(xs);
  const [y0, yh] = span(ys);
  const x = (v) => PAD + 40 + ((v - x0) / xw) * (W - 2 * PAD - 80);
  const y = (v) => H - PAD - ((v - y0) / yh) * (H - 2 * PAD);
  const parts = [
    svg('defs', {}, svg('marker', { id: 'arrow', viewBox: '0 0 8 8', refX: 7, refY: 4, markerWidth: 7, markerHeight: 7, orient: 'auto' },
      svg('path', { d: 'M0,0 L8,4 L0,8 z' }))),
  ];
  for (const [from, to] of arrows) { // stopping short of the target's dot, so the head shows
    const [x1, y1, x2, y2] = [x(xs[from]), y(ys[from]), x(xs[to]), y(ys[to])];
    const back = 8 / (Math.hypot(x2 - x1, y2 - y1) || 1);
    parts.push(svg('line', { class: 'offset', x1, y1, x2: x2 - (x2 - x1) * back, y2: y2 - (y2 - y1) * back, 'marker-end': 'url(#arrow)' }));
  }
  words.forEach((word, i) => {
    const px = x(xs[i]);
    const py = y(ys[i]);
    const right = px < W / 2;
    parts.push(svg('a', { href: href(word), class: `point ${roles[i] ?? ''}`, 'data-word': word },
      svg('circle', { cx: px, cy: py, r: roles[i] ? 5 : 3.5 }),
      svg('text', { x: px + (right ? 8 : -8), y: py + 4, 'text-anchor': right ? 'start' : 'end' }, word)));
  });
  root.replaceChildren(...parts);
}
