// Small DOM and formatting helpers shared by the page's modules.

export const $ = (id) => document.getElementById(id);

/** el('li', { className: 'x', dataset: { word: 'king' } }, child, 'text', …) */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key in node) node[key] = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

const SVG = 'http://www.w3.org/2000/svg';
/** The same for SVG elements: every prop is an attribute. */
export function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  node.append(...children);
  return node;
}

export const errorText = (err) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

export const count = (n) => n.toLocaleString('en-US');
export const percent = (x, digits = 1) => `${(100 * x).toFixed(digits)}%`;
export function ms(x) {
  return x < 1 ? `${(x * 1000).toFixed(0)} µs` : x < 100 ? `${x.toFixed(x < 10 ? 2 : 1)} ms` : `${(x / 1000).toFixed(2)} s`;
}
export function bytes(n) {
  if (n < 1e3) return `${n} B`;
  return n < 1e6 ? `${(n / 1e3).toFixed(0)} kB` : `${(n / 1e6).toFixed(1)} MB`;
}
