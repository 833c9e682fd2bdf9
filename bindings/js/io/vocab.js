// Vocab: words <-> table rows, held compactly in three typed arrays: the words' UTF-8 bytes
// (each followed by '\n'), where each starts, and an open-addressing table of rows hashed by
// FNV-1a over the bytes, the layout of the parser's WordSet (src/io/word_set.h), which
// loadWordVectors copies as it is. About 25 bytes a word: a Map and a string a word would
// take ~100, and build for longer.
import { checkOptions, describe } from '../check.js';

export const kFromWordSet = Symbol('Vocab from a WordSet');
export const kText = Symbol('the words as UTF-8, each followed by a newline');

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
let query = new Uint8Array(64); // the word looked up, as UTF-8

function fnv1a(bytes, start, end) {
  let h = 0x811c9dc5;
  for (let i = start; i < end; ++i) h = Math.imul(h ^ bytes[i], 16777619);
  return h >>> 0;
}

// Bytes of `word` in UTF-8, written to `query` (grown as needed).
function encodeQuery(word) {
  if (query.length < 3 * word.length) query = new Uint8Array(3 * word.length);
  return encoder.encodeInto(word, query).written;
}

export class Vocab {
  #text;
  #starts; // Uint32Array(size + 1): word i is #text[#starts[i], #starts[i + 1] - 1)
  #slots; // Uint32Array, a power of two at least twice size: row + 1, or 0 for none
  #plain; // no word holds a newline: the words are the text split at newlines

  /** @param {string[]} words row i's word is words[i]; each word once */
  constructor(words) {
    if (words === kFromWordSet) return; // filled by Vocab[kFromWordSet]
    if (!Array.isArray(words)) throw new TypeError(`Vocab expects an array of strings, got ${describe(words)}`);
    const n = words.length;
    this.#starts = new Uint32Array(n + 1);
    for (let i = 0; i < n; ++i) {
      const word = words[i];
      if (typeof word !== 'string') throw new TypeError(`Vocab: word ${i} is ${describe(word)}, not a string`);
      if (/\p{Surrogate}/u.test(word)) throw new TypeError(`Vocab: word ${i} ${JSON.stringify(word)} is not valid Unicode (a lone surrogate)`);
      this.#starts[i + 1] = this.#starts[i] + encodeQuery(word) + 1;
    }
    this.#text = encoder.encode(n > 0 ? `${words.join('\n')}\n` : '');
    this.#plain = !words.some((w) => w.includes('\n'));
    this.#slots = new Uint32Array(2 ** Math.max(4, Math.ceil(Math.log2(2 * n + 1))));
    const mask = this.#slots.length - 1;
    for (let i = 0; i < n; ++i) {
      const [start, end] = [this.#starts[i], this.#starts[i + 1] - 1];
      let slot = fnv1a(this.#text, start, end) & mask;
      for (; this.#slots[slot] !== 0; slot = (slot + 1) & mask) {
        if (this.#equals(this.#slots[slot] - 1, this.#text, start, end)) {
          throw new TypeError(`Vocab: the word ${JSON.stringify(words[i])} appears twice (at ${this.#slots[slot] - 1} and ${i})`);
        }
      }
      this.#slots[slot] = i + 1;
    }
  }

  /** A Vocab over a parser's WordSet (copies of its text, starts with the end added, slots). */
  static [kFromWordSet](text, starts, slots) {
    const vocab = new Vocab(kFromWordSet);
    vocab.#text = text;
    vocab.#starts = starts;
    vocab.#slots = slots;
    vocab.#plain = true;
    return vocab;
  }

  /** The words as UTF-8, each followed by '\n' (no word holds one), or null when one does. */
  get [kText]() {
    return this.#plain ? this.#text : null;
  }

  // Whether word `row` is bytes[start : end).
  #equals(row, bytes, start, end) {
    const at = this.#starts[row];
    if (this.#starts[row + 1] - 1 - at !== end - start) return false;
    for (let i = start; i < end; ++i) if (this.#text[at + i - start] !== bytes[i]) return false;
    return true;
  }

  /** The number of words (the table's rows). */
  get size() {
    return this.#starts.length - 1;
  }

  /** The row of `word`, or -1. */
  indexOf(word) {
    if (typeof word !== 'string') return -1;
    const n = encodeQuery(word);
    const mask = this.#slots.length - 1;
    for (let slot = fnv1a(query, 0, n) & mask; this.#slots[slot] !== 0; slot = (slot + 1) & mask) {
      if (this.#equals(this.#slots[slot] - 1, query, 0, n)) {
        // No word holds a lone surrogate; encoding turned any in `word` into U+FFFD (EF BF BD).
        return query.subarray(0, n).includes(0xef) && /\p{Surrogate}/u.test(word) ? -1 : this.#slots[slot] - 1;
      }
    }
    return -1;
  }

  /** The word of row i. */
  wordAt(i) {
    if (!(Number.isInteger(i) && i >= 0 && i < this.size)) {
      throw new RangeError(`wordAt: row ${describe(i)} is out of range (valid rows: ${this.size > 0 ? `[0, ${this.size - 1}]` : 'none'})`);
    }
    return decoder.decode(this.#text.subarray(this.#starts[i], this.#starts[i + 1] - 1));
  }

  /** All the words in row order (a new array). */
  get words() {
    if (!this.#plain) return Array.from({ length: this.size }, (_, i) => this.wordAt(i));
    const words = decoder.decode(this.#text).split('\n');
    words.pop();
    return words;
  }

  /**
   * The rows of `words`. An unknown word is a RangeError unless `unk` (a row) stands in for it.
   * @param {string[]} words
   * @param {{ unk?: number }} [options]
   * @returns {Int32Array}
   */
  encode(words, options = {}) {
    checkOptions(options, ['unk'], 'encode options');
    const { unk } = options;
    if (!Array.isArray(words)) throw new TypeError(`encode expects an array of strings, got ${describe(words)}`);
    if (unk !== undefined && !(Number.isInteger(unk) && unk >= 0 && unk < this.size)) {
      throw new RangeError(`encode: unk must be a row in [0, ${this.size - 1}], got ${describe(unk)}`);
    }
    const rows = new Int32Array(words.length);
    for (let i = 0; i < words.length; ++i) {
      const word = words[i];
      if (typeof word !== 'string') throw new TypeError(`encode: word ${i} is ${describe(word)}, not a string`);
      const row = this.indexOf(word);
      if (row < 0 && unk === undefined) throw new RangeError(`encode: unknown word ${JSON.stringify(word)} at position ${i}`);
      rows[i] = row < 0 ? unk : row;
    }
    return rows;
  }
}
