#!/usr/bin/env python3
"""A wasm-embedding training checkpoint (saveCheckpoint) into PyTorch: nn.Embedding /
nn.EmbeddingBag modules and torch.optim optimizers holding its state, ready to train on.

  /usr/bin/python3 load_checkpoint.py checkpoint.safetensors

The file (safetensors) holds each table's weights as <table>.weight and each optimizer's state
for its i-th parameter as <optimizer>.state.<i>.<field>, with torch.optim's names where torch
has them (momentum_buffer, sum, exp_avg, exp_avg_sq, step); the metadata entry
"wasm-embedding.checkpoint" (JSON) says what to build. The library steps lazily: a row without
gradient owes SGD's momentum / weight-decay steps and Adagrad's weight-decay steps until it is
next read (row_step: the last step it took). This script brings those rows up to date as the
library would, so the modules hold what dense PyTorch training holds (within float32 rounding).
"""
import json
import sys

import numpy as np
import torch

from safetensors_torch import load_safetensors


def settle_sgd(w, buf, row_step, step, buffer_step, o):
    """SGD with momentum or weight decay: each row's owed zero-gradient steps (src/optim/sgd.cc)."""
    lr, mu, wd, keep = o['lr'], o['momentum'], o['weight_decay'], 1.0 - o['dampening']
    for r in np.nonzero(row_step < step)[0]:
        done = int(row_step[r])
        if mu != 0 and done + 1 == buffer_step:  # the step that created the buffer: buf = d_p
            d = np.float32(wd) * w[r] + np.float32(0)
            buf[r] = d
            w[r] = w[r] + np.float32(-lr) * (d + np.float32(mu) * buf[r] if o['nesterov'] else buf[r])
            done += 1
        if done == step:
            continue
        # With g = 0 a step maps (p, buf) linearly; k steps at once, in float64.
        if mu == 0:
            m = np.array([[1 - lr * wd, 0], [0, 1]])
        elif o['nesterov']:
            m = np.array([[1 - lr * wd * (1 + mu), -lr * mu * mu], [wd, mu]])
        else:
            m = np.array([[1 - lr * keep * wd, -lr * mu], [keep * wd, mu]])
        mk = np.linalg.matrix_power(m, step - done)
        p, b = w[r].astype(np.float64), (buf[r] if buf is not None else np.zeros_like(w[r])).astype(np.float64)
        w[r] = (mk[0, 0] * p + mk[0, 1] * b).astype(np.float32)
        if buf is not None:
            buf[r] = (mk[1, 0] * p + mk[1, 1] * b).astype(np.float32)


def settle_adagrad(w, s, row_step, step, o):
    """Adagrad with weight decay: each row's owed zero-gradient steps, replayed (src/optim/adagrad.cc)."""
    f32 = np.float32
    for r in np.nonzero(row_step < step)[0]:
        for k in range(int(row_step[r]) + 1, step + 1):
            clr = o['lr'] / (1 + (k - 1) * o['lr_decay'])
            g = f32(o['weight_decay']) * w[r]
            s[r] = s[r] + g * g
            w[r] = w[r] + f32(-clr) * (g / (np.sqrt(s[r]) + f32(o['eps'])))


def number(tensors, prefix, field):
    return tensors[f'{prefix}.{field}'].item()


def load_checkpoint(path):
    """-> (modules {name: nn.Embedding | nn.EmbeddingBag}, optimizers {name: torch.optim.Optimizer}, other metadata)"""
    tensors, metadata = load_safetensors(path)
    description = json.loads(metadata.pop('wasm-embedding.checkpoint'))
    metadata.pop('wasm-embedding.checksum')  # CRC-32 of the description and the tensors' bytes
    weights = {name: tensors[f'{name}.weight'].numpy().copy() for name in description['tables']}
    states = {}  # (optimizer, param index) -> {field: value}
    for name, o in description['optimizers'].items():
        for i in o['state']:
            prefix, table = f'{name}.state.{i}', o['params'][i]
            w = weights[table]
            step = int(number(tensors, prefix, 'step')) if f'{prefix}.step' in tensors else 0
            row_step = tensors[f'{prefix}.row_step'].numpy() if f'{prefix}.row_step' in tensors else np.empty(0)
            if o['class'] == 'SGD':
                fields = {k: number(tensors, prefix, k) for k in ('lr', 'momentum', 'dampening', 'weight_decay', 'nesterov', 'maximize')}
                buf = tensors[f'{prefix}.momentum_buffer'].numpy().copy()
                if len(row_step):
                    settle_sgd(w, buf if len(buf) else None, row_step, step, int(number(tensors, prefix, 'buffer_step')), fields)
                states[name, i] = {'momentum_buffer': torch.from_numpy(buf)} if len(buf) else {}
            elif o['class'] == 'Adagrad':
                fields = {k: number(tensors, prefix, k) for k in ('lr', 'lr_decay', 'weight_decay', 'eps')}
                s = tensors[f'{prefix}.sum'].numpy().copy()
                if len(row_step):
                    settle_adagrad(w, s, row_step, step, fields)
                states[name, i] = {'step': torch.tensor(float(step)), 'sum': torch.from_numpy(s)}
            elif o['class'] == 'SparseAdam':
                states[name, i] = {'step': step, 'exp_avg': tensors[f'{prefix}.exp_avg'], 'exp_avg_sq': tensors[f'{prefix}.exp_avg_sq']}
            else:  # RowwiseAdagrad: FBGEMM's, not in torch.optim; its per-row sum (momentum1) as is
                states[name, i] = {'momentum1': tensors[f'{prefix}.sum']}

    sparse = {t for o in description['optimizers'].values() if o['class'] == 'SparseAdam' for t in o['params']}
    modules = {}
    for name, t in description['tables'].items():
        opts = t['options']
        common = dict(max_norm=opts['maxNorm'], norm_type=float(opts['normType']), scale_grad_by_freq=opts['scaleGradByFreq'],
                      sparse=name in sparse, padding_idx=opts['paddingIdx'], freeze=not t['requiresGrad'])
        weight = torch.from_numpy(weights[name])
        if t['class'] == 'EmbeddingBag':
            modules[name] = torch.nn.EmbeddingBag.from_pretrained(weight, mode=opts['mode'], include_last_offset=opts['includeLastOffset'], **common)
        else:
            modules[name] = torch.nn.Embedding.from_pretrained(weight, **common)

    optimizers = {}
    for name, o in description['optimizers'].items():
        params = [modules[t].weight for t in o['params']]
        x = o['options']
        if o['class'] == 'SGD':
            opt = torch.optim.SGD(params, lr=x['lr'], momentum=x['momentum'], dampening=x['dampening'],
                                  weight_decay=x['weightDecay'], nesterov=x['nesterov'], maximize=x['maximize'])
        elif o['class'] == 'Adagrad':
            opt = torch.optim.Adagrad(params, lr=x['lr'], lr_decay=x['lrDecay'], weight_decay=x['weightDecay'],
                                      initial_accumulator_value=x['initialAccumulatorValue'], eps=x['eps'])
        elif o['class'] == 'SparseAdam':
            opt = torch.optim.SparseAdam(params, lr=x['lr'], betas=tuple(x['betas']), eps=x['eps'])
        else:
            print(f'{name}: RowwiseAdagrad has no torch.optim counterpart; its per-row sums are in the returned state')
            optimizers[name] = {i: states[name, i] for i in o['state']}
            continue
        for i in o['state']:
            opt.state[params[i]].update(states[name, i])
        optimizers[name] = opt
    return modules, optimizers, metadata


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    modules, optimizers, metadata = load_checkpoint(sys.argv[1])
    for name, module in modules.items():
        print(f'{name}: {module}')
    for name, opt in optimizers.items():
        print(f'{name}: {type(opt).__name__}, state of {len(opt.state) if hasattr(opt, "state") else len(opt)} parameter(s)')
    print('metadata:', metadata)
