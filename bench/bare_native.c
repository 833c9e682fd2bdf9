// The native floor of a training step over rotating batches: a plain C loop, no checks, no
// coalescing, served like PyTorch's worker (bench/lib/floors.mjs) so its timing windows
// interleave with the others in one run. Each step over the next batch idx (B rows of d floats):
//   forward: out[i] = w[idx[i]]                     (the gather's cost: the misses themselves)
//   step:    w[idx[i]] -= lr * G[i], i in order     (the update's cost, no coalescing)
// Built by bench/lib/floors.mjs: cc -O3 -march=native bench/bare_native.c -o results/build/bare-native
// Protocol (one JSON-ish line each way): "setup V d B batches indicesFile gradFile cpu|wall hugepages"
// answers {"ok":1}; "window targetMs" answers {"steps":n,"phases":{...seconds}}.
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static float *w, *out, *grad;
static int32_t *batches;
static size_t V, d, B, nbatches, k;
static clockid_t clk = CLOCK_PROCESS_CPUTIME_ID;

static double now(void) {
  struct timespec t;
  clock_gettime(clk, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static void *map(size_t bytes, int huge) {
  void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) { perror("mmap"); exit(1); }
  madvise(p, bytes, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
  return p;
}

static void *read_file(const char *path, size_t bytes) {
  FILE *f = fopen(path, "rb");
  if (!f) { perror(path); exit(1); }
  void *p = malloc(bytes);
  if (fread(p, 1, bytes, f) != bytes) { fprintf(stderr, "%s: short read\n", path); exit(1); }
  fclose(f);
  return p;
}

__attribute__((noinline)) static void gather(const int32_t *idx) {
  for (size_t i = 0; i < B; ++i) memcpy(out + i * d, w + (size_t)idx[i] * d, d * sizeof(float));
}

__attribute__((noinline)) static void update(const int32_t *idx, float lr) {
  for (size_t i = 0; i < B; ++i) {
    float *row = w + (size_t)idx[i] * d;
    const float *g = grad + i * d;
    for (size_t j = 0; j < d; ++j) row[j] -= lr * g[j];
  }
}

int main(void) {
  char line[4096];
  while (fgets(line, sizeof line, stdin)) {
    if (strncmp(line, "setup ", 6) == 0) {
      char idxf[2048], gradf[2048], clock[8];
      int huge = 0;
      if (w) munmap(w, V * d * sizeof(float));
      if (sscanf(line + 6, "%zu %zu %zu %zu %2047s %2047s %7s %d", &V, &d, &B, &nbatches, idxf, gradf, clock, &huge) != 8) {
        printf("{\"error\":\"bad setup line\"}\n");
        fflush(stdout);
        continue;
      }
      clk = strcmp(clock, "wall") == 0 ? CLOCK_MONOTONIC : CLOCK_PROCESS_CPUTIME_ID;
      w = map(V * d * sizeof(float), huge);
      for (size_t i = 0; i < V * d; ++i) w[i] = (float)((i * 2654435761u) % 1000) * 1e-3f;  // every page backed
      free(out); free(batches); free(grad);
      out = malloc(B * d * sizeof(float));
      batches = read_file(idxf, nbatches * B * sizeof(int32_t));
      grad = read_file(gradf, B * d * sizeof(float));
      k = 0;
      printf("{\"ok\":1}\n");
    } else if (strncmp(line, "window ", 7) == 0) {
      const double target = atof(line + 7) / 1000;
      double fwd = 0, step = 0;
      size_t steps = 0;
      while (steps == 0 || fwd + step < target) {
        const int32_t *idx = batches + (k++ % nbatches) * B;
        const double t0 = now();
        gather(idx);
        const double t1 = now();
        update(idx, 0.01f);
        const double t2 = now();
        fwd += t1 - t0;
        step += t2 - t1;
        ++steps;
      }
      volatile float sink = out[0];
      (void)sink;
      printf("{\"steps\":%zu,\"phases\":{\"zeroGrad\":0,\"forward\":%.9g,\"backward\":0,\"step\":%.9g}}\n", steps, fwd, step);
    } else {
      printf("{\"error\":\"unknown command\"}\n");
    }
    fflush(stdout);
  }
  return 0;
}
