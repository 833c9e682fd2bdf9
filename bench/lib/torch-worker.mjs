// PyTorch as a long-lived child (bench/torch_bench.py serve): the JS side sends one JSON request
// a line and waits for the answer, so PyTorch's timing windows interleave with ours and never
// overlap them.
import { spawn, execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const PYTHON = '/usr/bin/python3';

/** PyTorch's version, or null when PYTHON cannot import torch. */
export function torchVersion() {
  try {
    return execFileSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** Starts the worker: request(obj) resolves to its JSON answer (throws on { error }); close() ends it. */
export function startTorchWorker() {
  const script = fileURLToPath(new URL('../torch_bench.py', import.meta.url));
  const child = spawn(PYTHON, [script, 'serve'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b) => { stderr += b; });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  let queue = Promise.resolve();
  const request = (obj) => {
    const answer = queue.then(async () => {
      child.stdin.write(`${JSON.stringify(obj)}\n`);
      const { value, done } = await lines.next();
      if (done) throw new Error(`torch_bench.py serve ended: ${stderr.trim().split('\n').pop() ?? ''}`);
      const res = JSON.parse(value);
      if (res.error) throw new Error(res.error);
      return res;
    });
    queue = answer.catch(() => {});
    return answer;
  };
  const close = () => child.stdin.end();
  return { request, close };
}
