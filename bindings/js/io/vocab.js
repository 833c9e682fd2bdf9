// Vocab: words <-> table rows. loadWordVectors makes one; any list of distinct words does too.
import { checkOptions, describe } from '../check.js';

export class Vocab {
  #words;
  #rows = new Map();

  /** @param {string[]} words row i's word is words[i]; each word once */
  constructor(words) {
    if (!Array.isArray(words)) throw new TypeError(`Vocab expects an array of strings, got ${describe(words)}`);
    this.#words = words.slice();
    const rows = this.#rows;
    for (let i = 0; i < this.#words.length; ++i) {
      const word = this.#words[i];
      if (typeof word !== 'string') throw new TypeError(`Vocab: word ${i} is ${describe(word)}, not a string`);
      const before = rows.size;
      rows.set(word, i);
      if (rows.size === before) {
        throw new TypeError(`Vocab: the word ${JSON.stringify(word)} appears twice (at ${this.#words.indexOf(word)} and ${i})`);
      }
    }
  }

  /** The number of words (the table's rows). */
  get size() {
    return this.#words.length;
  }

  /** The row of `word`, or -1. */
  indexOf(word) {
    return this.#rows.get(word) ?? -1;
  }

  /** The word of row i. */
  wordAt(i) {
    if (!(Number.isInteger(i) && i >= 0 && i < this.#words.length)) {
      throw new RangeError(`wordAt: row ${describe(i)} is out of range (valid rows: ${this.#words.length > 0 ? `[0, ${this.#words.length - 1}]` : 'none'})`);
    }
    return this.#words[i];
  }

  /** All the words in row order (a copy). */
  get words() {
    return this.#words.slice();
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
    if (unk !== undefined && !(Number.isInteger(unk) && unk >= 0 && unk < this.#words.length)) {
      throw new RangeError(`encode: unk must be a row in [0, ${this.#words.length - 1}], got ${describe(unk)}`);
    }
    const rows = new Int32Array(words.length);
    for (let i = 0; i < words.length; ++i) {
      const word = words[i];
      const row = this.#rows.get(word);
      if (row !== undefined) {
        rows[i] = row;
      } else if (typeof word !== 'string') {
        throw new TypeError(`encode: word ${i} is ${describe(word)}, not a string`);
      } else if (unk === undefined) {
        throw new RangeError(`encode: unknown word ${JSON.stringify(word)} at position ${i}`);
      } else {
        rows[i] = unk;
      }
    }
    return rows;
  }
}
