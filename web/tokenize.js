// The one tokenizer of the demo: the data script (scripts/demo-data.mjs) tokenises the spam
// corpus with it, and the page tokenises what a visitor types with it, so both agree.
// Lower-case words, numbers, and '$' / '!' (GloVe has vectors for all of them, and spam
// leans on them). Overlong tokens (base64, URLs run together) are dropped.
const TOKEN = /[a-z]+|[0-9]+|[$!]/g;
const MAX_TOKEN_LENGTH = 20;

/** @param {string} text @returns {string[]} */
export function tokenize(text) {
  return (text.toLowerCase().match(TOKEN) ?? []).filter((t) => t.length <= MAX_TOKEN_LENGTH);
}
