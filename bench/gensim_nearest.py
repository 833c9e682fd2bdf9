#!/usr/bin/python3
"""gensim 4.2's KeyedVectors.most_similar over GloVe 6B 100-d, for bench/nearest.mjs: a
long-lived child that answers one command per stdin line with one JSON line on stdout.

    check <row> ...            -> [[row, ...] (top 10), ...]      most_similar(positive=[row])
    analogy <a> <b> <c>        -> [row, ...]                      most_similar(positive=[b, c], negative=[a])
    time <ms> <row> ...        -> seconds per most_similar(positive=[row], topn=10), cycling the rows
                                  for at least ms milliseconds

numpy and its BLAS run on 1 thread: bench/nearest.mjs sets OPENBLAS_NUM_THREADS=1 (and the
OMP/MKL equivalents) before starting this process.
"""
import json
import sys
import time

import gensim
import numpy as np
from gensim.models import KeyedVectors


def main(vectors_path, dim):
    vectors = np.fromfile(vectors_path, dtype='<f4').reshape(-1, int(dim))
    kv = KeyedVectors(vectors.shape[1], dtype=np.float32)
    kv.add_vectors([str(i) for i in range(len(vectors))], vectors)  # keys are row numbers
    kv.fill_norms()
    top = lambda **kw: [int(k) for k, _ in kv.most_similar(topn=10, **kw)]
    print(json.dumps({'gensim': gensim.__version__, 'numpy': np.__version__}), flush=True)
    for line in sys.stdin:
        command, *args = line.split()
        if command == 'check':
            result = [top(positive=[row]) for row in args]
        elif command == 'analogy':
            a, b, c = args
            result = top(positive=[b, c], negative=[a])
        elif command == 'time':
            rows, target, calls = args[1:], float(args[0]) / 1000, 0
            start = time.perf_counter()
            while calls == 0 or time.perf_counter() - start < target:
                kv.most_similar(positive=[rows[calls % len(rows)]], topn=10)
                calls += 1
            result = (time.perf_counter() - start) / calls
        print(json.dumps(result), flush=True)


if __name__ == '__main__':
    main(*sys.argv[1:])
