// The wasm-embedding demo. It uses the package exactly as an npm user would: by name
// (resolved by the import map in index.html) and only through the public API.
import { init } from 'wasm-embedding';
import { $, errorText } from './dom.js';
import { setupExplorer } from './explorer.js';
import { setupTraining } from './train.js';
import { rowsFor } from './vectors.js';

const forceScalar = new URLSearchParams(location.search).get('simd') === '0';

function showError(err) {
  const box = $('error');
  box.textContent = errorText(err);
  box.hidden = false;
}

function showBuild(info, initMs) {
  const badge = $('simd');
  badge.textContent = info.simd ? 'SIMD128 on' : 'SIMD128 off · scalar';
  badge.classList.add(info.simd ? 'on' : 'off');
  badge.dataset.simd = String(info.simd);
  badge.title = info.simd ? 'dist/embedding.wasm (wasm SIMD128)' : 'dist/embedding-scalar.wasm (no SIMD)';
  $('version').textContent = info.version;
  $('init-time').textContent = `${initMs.toFixed(1)} ms`;
  const toggle = $('simd-switch');
  const url = new URL(location.href);
  if (forceScalar) url.searchParams.delete('simd');
  else url.searchParams.set('simd', '0');
  toggle.href = url.href;
  toggle.textContent = forceScalar ? 'SIMD build' : 'scalar build';
}

async function main() {
  try {
    const t0 = performance.now();
    const ready = init(forceScalar ? { simd: false } : undefined);
    const glove = setupExplorer(ready); // the vectors download while the module compiles
    glove.catch(() => {}); // shown in the explorer; training's GloVe run reports it too
    const info = await ready;
    showBuild(info, performance.now() - t0);
    setupTraining({
      lib: import.meta.resolve('wasm-embedding'), // workers cannot see the import map
      simd: info.simd,
      gloveRows: async (words) => rowsFor(await glove, words),
      // On a small machine the workers' start would slow the explorer's first result.
      after: glove.catch(() => {}),
    });
  } catch (err) {
    $('simd').textContent = 'failed';
    showError(err);
  } finally {
    document.body.dataset.ready = 'true';
  }
}

main();
