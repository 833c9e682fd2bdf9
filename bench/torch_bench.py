#!/usr/bin/python3
"""PyTorch's side of the benchmark (native, 1 thread), run by bench/run.mjs in its own process:

  /usr/bin/python3 bench/torch_bench.py forward '{"V": 100000, "cells": [...], "reps": 5, "targetMs": 60}'
  /usr/bin/python3 bench/torch_bench.py train   '{"V": 10000, "d": 64, "B": 4096, "indicesFile": ..., ...}'
  /usr/bin/python3 bench/torch_bench.py memory  '{"mode": "sparse", "V": 1000000, ...}'
  /usr/bin/python3 bench/torch_bench.py serve   (JSON requests on stdin, one a line: bench/lib/torch-worker.mjs)

Same scheme as the JS children: the indices are the driver's (raw little-endian int32 files in
bench/results/data/), each measurement calls the function until targetMs have passed,
contenders interleaved, medians over repetitions (time.perf_counter). Each contender is checked
once. Prints one JSON object on the last line of stdout. In serve mode it answers requests
instead, so the JS side can interleave its own timing windows with PyTorch's.
"""
import json
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
torch.set_num_interop_threads(1)


def time_per_call(fn, target_ms):
    calls, batch = 0, 1
    start = time.perf_counter()
    while True:
        for _ in range(batch):
            fn()
        calls += batch
        elapsed = time.perf_counter() - start
        if batch < 64:
            batch *= 2
        if elapsed * 1000 >= target_ms:
            return elapsed / calls


def interleave(contenders, reps, target_ms):
    """contenders: list of (name, fn), warmed up; returns name -> list of seconds per call."""
    samples, wanted = {}, {}
    for name, fn in contenders:
        t0 = time.perf_counter()
        fn()
        first = time.perf_counter() - t0
        wanted[name] = reps if first < 0.1 else min(reps, 3) if first < 1 else min(reps, 2) if first < 5 else 1
        samples[name] = []
    for r in range(reps):
        for k in range(len(contenders)):
            name, fn = contenders[(k + r) % len(contenders)]
            if len(samples[name]) < wanted[name]:
                samples[name].append(time_per_call(fn, target_ms))
    return samples


def load_indices(path):
    return torch.from_numpy(np.fromfile(path, dtype='<i4').astype(np.int64))


def forward(cfg):
    V, reps, target_ms = cfg['V'], cfg['reps'], cfg['targetMs']
    gen = torch.Generator().manual_seed(1)
    tables = {}
    results = []
    for cell in cfg['cells']:
        d, B = cell['d'], cell['B']
        if d not in tables:
            tables[d] = torch.randn(V, d, generator=gen)
        w = tables[d]
        idx = load_indices(cell['indicesFile'])
        assert idx.numel() == B
        out = F.embedding(idx, w)
        for i in (0, B - 1):
            if not torch.equal(out[i], w[idx[i]]):
                raise SystemExit(f'torch forward check failed at row {i}')
        name = 'PyTorch F.embedding, 1 thread'
        samples = interleave([(name, lambda: F.embedding(idx, w))], reps, target_ms)
        results.append({**{k: cell[k] for k in ('d', 'B', 'dist')}, 'key': 'torch', 'name': name,
                        'seconds': statistics.median(samples[name]), 'samples': samples[name]})
    return {'kind': 'forward', 'V': V, 'results': results}


def make_step(V, d, idx, G, lr, sparse):
    torch.manual_seed(1)
    emb = torch.nn.Embedding(V, d, sparse=sparse)
    opt = torch.optim.SGD(emb.parameters(), lr=lr)

    def step():
        out = emb(idx)
        out.backward(G)          # loss = sum(out * G): d(loss)/d(out) = G
        opt.step()
        opt.zero_grad(set_to_none=True)
    return emb, step


def train(cfg):
    V, d, B, lr = cfg['V'], cfg['d'], cfg['B'], cfg['lr']
    idx = load_indices(cfg['indicesFile'])
    G = torch.randn(B, d, generator=torch.Generator().manual_seed(11))
    i0 = int(idx[0])
    contenders = []
    for sparse in (True, False):
        emb, step = make_step(V, d, idx, G, lr, sparse)
        before = emb.weight.detach()[i0].clone()
        step()
        want = before - lr * G[idx == i0].sum(0)
        if not torch.allclose(emb.weight.detach()[i0], want, rtol=1e-5, atol=1e-5):
            raise SystemExit(f'torch train check failed (sparse={sparse})')
        key = 'torchSparse' if sparse else 'torchDense'
        name = f'PyTorch nn.Embedding(sparse={sparse}) + SGD, 1 thread'
        contenders.append((key, name, step))
    samples = interleave([(name, step) for _, name, step in contenders], cfg['reps'], cfg['targetMs'])
    results = [{'key': key, 'name': name, 'seconds': statistics.median(samples[name]), 'samples': samples[name]}
               for key, name, _ in contenders]
    return {'kind': 'train', 'V': V, 'results': results}


def rss():
    with open('/proc/self/status') as f:
        status = dict(line.split(':', 1) for line in f)
    kb = lambda k: int(status[k].split()[0]) * 1024
    return kb('VmRSS'), kb('VmHWM')


def memory(cfg):
    V, d, B, lr, sparse = cfg['V'], cfg['d'], cfg['B'], cfg['lr'], cfg['mode'] == 'sparse'
    idx = load_indices(cfg['indicesFile'])
    G = torch.randn(B, d, generator=torch.Generator().manual_seed(11))
    base, _ = rss()
    t0 = time.perf_counter()
    _, step = make_step(V, d, idx, G, lr, sparse)
    for _ in range(cfg['steps']):
        step()
    seconds = time.perf_counter() - t0
    end, peak = rss()
    table = V * d * 4
    return {'kind': 'memory', 'contender': 'torchSparse' if sparse else 'torchDense',
            'name': f'PyTorch nn.Embedding(sparse={sparse}) + SGD, 1 thread', 'V': V, 'd': d, 'B': B,
            'steps': cfg['steps'], 'tableBytes': table, 'seconds': seconds, 'baselineRss': base,
            'peakRss': peak, 'endRss': end, 'growth': peak - base, 'growthVsTable': (peak - base) / table}


# serve: rotating-batch training with each optimizer, timed per phase, in windows the JS driver
# interleaves with its own (bench/train-rotating.mjs).
OPTIMIZERS = {
    'sgd': lambda p, o: torch.optim.SGD(p, lr=o['lr']),
    'momentum': lambda p, o: torch.optim.SGD(p, lr=o['lr'], momentum=o['momentum']),
    'adagrad': lambda p, o: torch.optim.Adagrad(p, lr=o['lr']),
    'sparseAdam': lambda p, o: torch.optim.SparseAdam(p, lr=o['lr']),
}


class Trainer:
    """One nn.Embedding(sparse=...) and its optimizer, stepping through the rotating batches."""

    def __init__(self, cfg, sparse):
        V, d, B = cfg['V'], cfg['d'], cfg['B']
        self.batches = load_indices(cfg['indicesFile']).view(-1, B)
        self.G = torch.from_numpy(np.fromfile(cfg['gradFile'], dtype='<f4')).view(B, d)
        torch.manual_seed(1)
        self.emb = torch.nn.Embedding(V, d, sparse=sparse)
        self.opt = OPTIMIZERS[cfg['optimizer']](self.emb.parameters(), cfg['options'])
        # cpu: this process's CPU time (time spent waiting for a core on a shared machine is not
        # counted), less what a clock read costs; wall: perf_counter.
        self.clock = time.process_time if cfg['clock'] == 'cpu' else time.perf_counter
        reads = []
        for _ in range(1000):
            t = self.clock()
            reads.append(self.clock() - t)
        self.overhead = statistics.median(reads)
        self.k = 0

    def step(self, phases):
        idx = self.batches[self.k % len(self.batches)]
        self.k += 1
        clock = self.clock
        t0 = clock()
        self.opt.zero_grad(set_to_none=True)
        t1 = clock()
        out = self.emb(idx)
        t2 = clock()
        out.backward(self.G)  # loss = sum(out * G): d(loss)/d(out) = G
        t3 = clock()
        self.opt.step()
        t4 = clock()
        for k, dt in enumerate((t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
            phases[k] += dt - self.overhead

    def window(self, target_ms):
        phases, steps = [0.0] * 4, 0
        while steps == 0 or sum(phases) * 1000 < target_ms:
            self.step(phases)
            steps += 1
        return {'steps': steps, 'phases': dict(zip(('zeroGrad', 'forward', 'backward', 'step'), phases))}


def serve():
    trainers = {}
    for line in sys.stdin:
        req = json.loads(line)
        try:
            if req['cmd'] == 'setup':
                trainers.clear()
                for key, sparse in (('torchSparse', True), ('torchDense', False)):
                    if key in req['keys']:
                        trainers[key] = Trainer(req, sparse)
                        trainers[key].window(0)  # warm up: one step (allocates the optimizer's state)
                res = {'torch': torch.__version__, 'python': sys.version.split()[0]}
            elif req['cmd'] == 'window':
                res = trainers[req['key']].window(req['targetMs'])
            else:
                raise ValueError(f"unknown command {req['cmd']}")
        except Exception as err:  # reported to the driver, which skips that contender
            res = {'error': f'{type(err).__name__}: {err}'}
        print(json.dumps(res), flush=True)


if __name__ == '__main__':
    if sys.argv[1] == 'serve':
        serve()
        sys.exit(0)
    mode, cfg = sys.argv[1], json.loads(sys.argv[2])
    result = {'forward': forward, 'train': train, 'memory': memory}[mode](cfg)
    result['torch'] = torch.__version__
    result['python'] = sys.version.split()[0]
    print(json.dumps(result))
