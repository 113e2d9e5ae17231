// Sinew explorer: checks a state proof in the browser, so the figures on an account page are
// shown to be in the state under the root the node reports for a block (whether that root is
// final is for the block's finalization certificate to say: `sinew verify-proof --finalization`). BLAKE3 (the hash of the state tree) and the Jellyfish Merkle proof walk of the
// `jmt` crate, written from their specifications; the browser test compares both with the Rust
// implementations on the same inputs.
(function () {
  "use strict";

  var IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
  var PERM = [2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8];
  var CHUNK_START = 1, CHUNK_END = 2, PARENT = 4, ROOT = 8;
  var CHUNK_LEN = 1024, BLOCK_LEN = 64;

  function rotr(x, n) { return ((x >>> n) | (x << (32 - n))) >>> 0; }

  function g(s, a, b, c, d, x, y) {
    s[a] = (s[a] + s[b] + x) >>> 0; s[d] = rotr(s[d] ^ s[a], 16);
    s[c] = (s[c] + s[d]) >>> 0;     s[b] = rotr(s[b] ^ s[c], 12);
    s[a] = (s[a] + s[b] + y) >>> 0; s[d] = rotr(s[d] ^ s[a], 8);
    s[c] = (s[c] + s[d]) >>> 0;     s[b] = rotr(s[b] ^ s[c], 7);
  }

  // The compression function: 16 output words.
  function compress(cv, m, counter, blockLen, flags) {
    var s = [cv[0], cv[1], cv[2], cv[3], cv[4], cv[5], cv[6], cv[7],
             IV[0], IV[1], IV[2], IV[3], counter >>> 0, Math.floor(counter / 4294967296) >>> 0, blockLen, flags];
    m = m.slice();
    for (var r = 0; r < 7; r++) {
      g(s, 0, 4, 8, 12, m[0], m[1]);   g(s, 1, 5, 9, 13, m[2], m[3]);
      g(s, 2, 6, 10, 14, m[4], m[5]);  g(s, 3, 7, 11, 15, m[6], m[7]);
      g(s, 0, 5, 10, 15, m[8], m[9]);  g(s, 1, 6, 11, 12, m[10], m[11]);
      g(s, 2, 7, 8, 13, m[12], m[13]); g(s, 3, 4, 9, 14, m[14], m[15]);
      if (r < 6) { var p = new Array(16); for (var i = 0; i < 16; i++) { p[i] = m[PERM[i]]; } m = p; }
    }
    for (var j = 0; j < 8; j++) { s[j] = (s[j] ^ s[j + 8]) >>> 0; s[j + 8] = (s[j + 8] ^ cv[j]) >>> 0; }
    return s;
  }

  function words(bytes, at, len) {
    var w = new Array(16);
    for (var i = 0; i < 16; i++) {
      var v = 0;
      for (var k = 3; k >= 0; k--) { var o = i * 4 + k; v = (v * 256) + (o < len ? bytes[at + o] : 0); }
      w[i] = v >>> 0;
    }
    return w;
  }

  // A chunk's chaining value, or (root) the hash's first 8 words.
  function chunk(bytes, start, end, index, root) {
    var cv = IV.slice();
    var blocks = Math.max(1, Math.ceil((end - start) / BLOCK_LEN));
    for (var b = 0; b < blocks; b++) {
      var at = start + b * BLOCK_LEN;
      var len = Math.min(BLOCK_LEN, end - at);
      var flags = (b === 0 ? CHUNK_START : 0) | (b === blocks - 1 ? CHUNK_END | (root ? ROOT : 0) : 0);
      cv = compress(cv, words(bytes, at, len), index, len, flags).slice(0, 8);
    }
    return cv;
  }

  // Chunks [first, first + count) of the input as a subtree.
  function subtree(bytes, first, count, root) {
    if (count === 1) {
      return chunk(bytes, first * CHUNK_LEN, Math.min(bytes.length, (first + 1) * CHUNK_LEN), first, root);
    }
    var left = 1;
    while (left * 2 < count) { left *= 2; }
    var l = subtree(bytes, first, left, false), r = subtree(bytes, first + left, count - left, false);
    return compress(IV, l.concat(r), 0, BLOCK_LEN, PARENT | (root ? ROOT : 0)).slice(0, 8);
  }

  // BLAKE3 of a Uint8Array: 32 bytes.
  function blake3(bytes) {
    var n = Math.max(1, Math.ceil(bytes.length / CHUNK_LEN));
    var w = subtree(bytes, 0, n, true);
    var out = new Uint8Array(32);
    for (var i = 0; i < 8; i++) { for (var k = 0; k < 4; k++) { out[i * 4 + k] = (w[i] >>> (8 * k)) & 255; } }
    return out;
  }

  function concat(parts) {
    var len = 0, i;
    for (i = 0; i < parts.length; i++) { len += parts[i].length; }
    var out = new Uint8Array(len), at = 0;
    for (i = 0; i < parts.length; i++) { out.set(parts[i], at); at += parts[i].length; }
    return out;
  }
  function ascii(s) { var b = new Uint8Array(s.length); for (var i = 0; i < s.length; i++) { b[i] = s.charCodeAt(i); } return b; }
  function hex(bytes) { var s = ""; for (var i = 0; i < bytes.length; i++) { s += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16); } return s; }
  function unhex(s) {
    if (typeof s !== "string" || s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) { throw new Error("not hex"); }
    var b = new Uint8Array(s.length / 2);
    for (var i = 0; i < b.length; i++) { b[i] = parseInt(s.substr(i * 2, 2), 16); }
    return b;
  }
  function equal(a, b) { if (a.length !== b.length) { return false; } for (var i = 0; i < a.length; i++) { if (a[i] !== b[i]) { return false; } } return true; }

  var LEAF = ascii("JMT::LeafNode"), INTERNAL = ascii("JMT::IntrnalNode");
  var PLACEHOLDER = ascii("SPARSE_MERKLE_PLACEHOLDER_HASH__");

  // The borsh encoding of jmt's SparseMerkleProof: an optional leaf, then the siblings (bottom
  // to top), each Null, Internal(left, right) or Leaf(key hash, value hash).
  function decodeProof(bytes) {
    var at = 0;
    function take(n) { if (at + n > bytes.length) { throw new Error("proof ends early"); } var s = bytes.subarray(at, at + n); at += n; return s; }
    var leaf = null, tag = take(1)[0];
    if (tag === 1) { leaf = { key: take(32), value: take(32) }; } else if (tag !== 0) { throw new Error("bad leaf tag"); }
    var l = take(4), count = l[0] + l[1] * 256 + l[2] * 65536 + l[3] * 16777216;
    if (count > 256) { throw new Error("more than 256 siblings"); }
    var siblings = [];
    for (var i = 0; i < count; i++) {
      var t = take(1)[0];
      if (t === 0) { siblings.push(PLACEHOLDER); }
      else if (t === 1) { siblings.push(blake3(concat([INTERNAL, take(32), take(32)]))); }
      else if (t === 2) { siblings.push(blake3(concat([LEAF, take(32), take(32)]))); }
      else { throw new Error("bad sibling tag"); }
    }
    if (at !== bytes.length) { throw new Error("trailing bytes"); }
    return { leaf: leaf, siblings: siblings };
  }

  function bit(hash, i) { return (hash[i >> 3] >> (7 - (i & 7))) & 1; }
  function commonPrefixBits(a, b) { var n = 0; while (n < 256 && bit(a, n) === bit(b, n)) { n++; } return n; }

  // Checks that under `root` the state key holds `value` (null: absent). All hex. Throws why not.
  function verifyProof(rootHex, keyHex, valueHex, proofHex) {
    var p = decodeProof(unhex(proofHex));
    var keyHash = blake3(unhex(keyHex));
    if (valueHex !== null) {
      if (!p.leaf) { throw new Error("expected an inclusion proof"); }
      if (!equal(p.leaf.key, keyHash)) { throw new Error("the proof is for another key"); }
      if (!equal(p.leaf.value, blake3(unhex(valueHex)))) { throw new Error("the value does not match the proof"); }
    } else if (p.leaf) {
      if (equal(p.leaf.key, keyHash)) { throw new Error("the key exists"); }
      if (commonPrefixBits(keyHash, p.leaf.key) < p.siblings.length) { throw new Error("not a valid absence proof"); }
    }
    var h = p.leaf ? blake3(concat([LEAF, p.leaf.key, p.leaf.value])) : PLACEHOLDER;
    var n = p.siblings.length;
    for (var k = 0; k < n; k++) {
      h = bit(keyHash, n - 1 - k) ? blake3(concat([INTERNAL, p.siblings[k], h])) : blake3(concat([INTERNAL, h, p.siblings[k]]));
    }
    if (hex(h) !== rootHex.toLowerCase()) { throw new Error("the proof leads to another state root"); }
    return true;
  }

  // A little-endian unsigned integer of `n` bytes as a decimal string.
  function uint(bytes, at, n) {
    if (at + n > bytes.length) { throw new Error("the proven value ends early"); }
    var v = BigInt(0);
    for (var i = n - 1; i >= 0; i--) { v = v * BigInt(256) + BigInt(bytes[at + i]); }
    return v.toString();
  }

  // The borsh encoding of an `Account`: balance (u128), nonce (u64), staked (u128), then the
  // unbonding entries (amount u128, release height u64), and nothing after.
  function decodeAccount(bytes) {
    var a = { balance: uint(bytes, 0, 16), nonce: uint(bytes, 16, 8), staked: uint(bytes, 24, 16) };
    var n = Number(uint(bytes, 40, 4));
    if (bytes.length !== 44 + n * 24) { throw new Error("the proven value is not an account"); }
    return a;
  }

  // The state key of an account: variant tag 3 of `StateKey`, then the address.
  var ACCOUNT_TAG = "03";

  // Checks the proof of an account page's section; says what it found in `status`.
  function checkAccount(section, status) {
    var d = section.dataset;
    try {
      if (d.key !== ACCOUNT_TAG + d.address) { throw new Error("the proof is not for this account's key"); }
      verifyProof(d.root, d.key, d.value === "" ? null : d.value, d.proof);
      var a = d.value === "" ? { balance: "0", nonce: "0", staked: "0" } : decodeAccount(unhex(d.value));
      ["balance", "nonce", "staked"].forEach(function (k) {
        if (a[k] !== d[k]) { throw new Error("the proven " + k + " (" + a[k] + ") is not the one shown"); }
      });
      status.textContent = "✓ Checked in your browser: this balance, nonce and stake are in the state under root " +
        d.root.slice(0, 8) + "…, the root this node reports for block " + d.height +
        ". To trust no node, check that root against the block's finalization certificate (sinew verify-proof --finalization).";
      status.className = "ok";
    } catch (e) {
      status.textContent = "✗ The proof does not check: " + e.message + ".";
      status.className = "bad";
    }
  }

  window.SinewProof = { blake3: function (b) { return hex(blake3(b)); }, verifyProof: verifyProof, checkAccount: checkAccount };
  var section = document.getElementById("proof"), status = document.getElementById("proof-status");
  if (section && status) { checkAccount(section, status); }
})();
