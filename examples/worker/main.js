// Starts a module worker that owns the table, and shows the rows it sends back.
// ?simd=0 asks it for the scalar build.
const out = document.querySelector('#out');
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
worker.onmessage = ({ data }) => {
  if (data.error) {
    out.textContent = out.dataset.error = data.error;
    return;
  }
  out.textContent = `SIMD build: ${data.simd}, init() took ${data.initMs.toFixed(1)} ms in the worker\n` +
    `rows 1, 2, 999, 0: ${data.rows.join(' ')}`;
  out.dataset.result = JSON.stringify({ ...data, readyMs: performance.now() });
};
worker.postMessage({ simd: !location.search.includes('simd=0'), indices: [1, 2, 999, 0] });
