/** Keys, values and small helpers shared by the modules. */

/** @typedef {import('./types.js').IDBSyncKey} IDBSyncKey */

/** The id of a record in the outbox's `rid` index and the versions store. @param {string} store @param {IDBSyncKey} key */
export function ridOf(store, key) {
  return JSON.stringify([store, key]);
}

/** @param {any} key @returns {IDBSyncKey} */
export function normalizeKey(key) {
  if (typeof key === 'string') return key;
  if (typeof key === 'number') {
    if (!Number.isFinite(key)) throw new TypeError('a number key must be finite');
    return key === 0 ? 0 : key; // -0 is the key 0
  }
  if (Array.isArray(key)) {
    if (key.length === 0) throw new TypeError('an array key must not be empty');
    return key.map(normalizeKey);
  }
  throw new TypeError(`a key must be a string, a finite number or a non-empty array of keys, not ${key === null ? 'null' : typeof key}`);
}

/** @param {any} value @returns {object} */
export function normalizeValue(value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError('a value must be a JSON object');
  }
  let json;
  try {
    json = JSON.stringify(value);
  } catch (e) {
    throw new TypeError('the value cannot be written as JSON: ' + /** @type {any} */ (e).message);
  }
  const copy = JSON.parse(json);
  if (copy === null || typeof copy !== 'object' || Array.isArray(copy)) throw new TypeError('a value must be a JSON object');
  return copy;
}

export function isOnline() {
  const n = /** @type {any} */ (globalThis.navigator);
  return !n || n.onLine !== false;
}

/** @param {string} s */
export function byteLength(s) {
  return new TextEncoder().encode(s).length;
}

/** @param {number} ms */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function randomId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return 'c-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
