// One remote lookup, as the page and the worker make it: the values as float32 bits (exact
// through JSON), the stats, or the error.
export async function lookup({ Embedding, EmbeddingBag }, url, indices, options) {
  try {
    const { bag, offsets, ...rest } = options;
    const table = bag ? await EmbeddingBag.open(url, { mode: bag, ...rest }) : await Embedding.open(url, rest);
    const out = bag ? await table.forward(indices, offsets) : await table.forward(indices);
    const stats = table.stats;
    table.dispose();
    return { bits: Array.from(new Uint32Array(out.buffer)), stats };
  } catch (err) {
    return { error: `${err?.name}: ${err?.message}`, isError: err instanceof Error };
  }
}
