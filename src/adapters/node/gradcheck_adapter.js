'use strict';
// gradcheck's Node.js adapter: serve your cost-and-gradient function over gradcheck's protocol
// (docs/protocol.md), version 2. No dependencies.
//
//   const gradcheck = require('./gradcheck_adapter');
//   gradcheck.serve((theta, X, Y, lambda, spec) => {
//     // theta[l] is Θ^(l+1) as an array of rows (s_(l+2) × (s_(l+1) + 1), bias column first);
//     // X: m rows of s_1 numbers; Y: m rows of s_L (one-hot rows for class labels);
//     // spec: {sizes, activations, cost, labels (1..K or null), want: ['J'] or ['J', 'gradient'],
//     //        conventions: {layout, regularization, reduction}}; with --layout w-out-in or w-in-out,
//     //        theta is {W: [W1, …], b: [b1, …]} (W as rows in your orientation, b plain arrays)
//     return {J, gradient};  // gradient[l] shaped like theta[l] (or {W: [dW1, …], b: [db1, …]})
//   });
//
// Models of named tensors (--model): serveModel(parameters, costAndGradient) and, for code with only
// an update step, serveUpdate({get, set, step, cost}); both in gradcheck_model.js.
//
// then `gradcheck check -- node your_file.js`. Your code may print: from the moment this module is
// loaded, console.log, process.stdout.write and fs.writeSync(1, …) are collected and sent in the
// reply's "output" (gradcheck shows it as a hint); the replies go to the real stdout.

const fs = require('fs');
const path = require('path');
const readline = require('readline');

const KEPT = 64 << 10;
const replies = fs.openSync('/dev/fd/1', 'w');  // before anything can print
let printed = '';
let printedBytes = 0;
const collect = (chunk, encoding, callback) => {
  const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  printedBytes += Buffer.byteLength(text);
  if (printed.length < KEPT) printed += text.slice(0, KEPT - printed.length);
  if (typeof encoding === 'function') encoding();
  else if (typeof callback === 'function') callback();
  return true;
};
process.stdout.write = collect;
// fs.writeSync(1, …) and fs.write(1, …) reach fd 1 without process.stdout: collected too.
const bytesOf = (data, offset, length) => {
  if (typeof data === 'string') return Buffer.from(data);
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const start = typeof offset === 'number' ? offset : 0;
  return bytes.subarray(start, typeof length === 'number' ? start + length : bytes.length);
};
const writeSync = fs.writeSync;
fs.writeSync = (fd, data, offset, length, ...rest) => {
  if (fd !== 1) return writeSync(fd, data, offset, length, ...rest);
  const bytes = bytesOf(data, offset, length);
  collect(bytes.toString('utf8'));
  return bytes.length;
};
const write = fs.write;
fs.write = (fd, data, ...rest) => {
  if (fd !== 1) return write(fd, data, ...rest);
  const callback = rest.find((a) => typeof a === 'function');
  const numbers = rest.filter((a) => typeof a === 'number');
  const bytes = bytesOf(data, numbers[0], numbers[1]);
  collect(bytes.toString('utf8'));
  if (callback) process.nextTick(callback, null, bytes.length, data);
};

const number = (x) => (Number.isNaN(x) ? 'NaN' : x === Infinity ? 'Infinity' : x === -Infinity ? '-Infinity' : x);

/**
 * An array gradcheck sent as {"base64": little-endian doubles, row-major, "shape": [...]}
 * (docs/protocol.md "Compact numbers") as plain arrays: rows of numbers for a matrix, numbers for
 * a vector; anything else as it is.
 */
function decoded(value) {
  if (!value || typeof value !== 'object' || Array.isArray(value) || !('base64' in value)) return value;
  const bytes = Buffer.from(value.base64, 'base64');
  const numbers = Array.from({length: bytes.length / 8}, (_, k) => bytes.readDoubleLE(8 * k));
  const shape = value.shape || [numbers.length];
  if (shape.length < 2) return numbers;
  const cols = numbers.length / shape[0];
  return Array.from({length: shape[0]}, (_, i) => numbers.slice(i * cols, (i + 1) * cols));
}

/** What version 2 lets a request leave out: the problem sent last, and θ. */
class Session {
  constructor() {
    this.problem = null;
    this.arrays = null;  // the parameters last sent, in the protocol's order: every Θ, or every W then every b
    this.split = false;  // W and b apart
  }

  /** The parameters of each evaluation `request` asks for (one, or one per point of "at"): θ as a list
   *  of arrays of rows, or {W: [...], b: [...]} with --layout w-out-in or w-in-out. */
  evaluations(request) {
    if ('sizes' in request) {
      const {sizes, activations, cost, lambda, labels, conventions} = request;
      const [X, Y] = [decoded(request.X), decoded(request.Y)];
      this.problem = {sizes, activations, cost, lambda, labels: labels || null, X, Y,
                      conventions: conventions || {layout: 'theta', regularization: 'course', reduction: 'mean'}};
    } else if (!this.problem) {
      throw new Error('a request without the problem before any request with it');
    }
    if ('theta' in request || 'W' in request) {
      // With --layout w-out-in or w-in-out: every W^(l) row by row, then every b^(l) (docs/protocol.md "Conventions").
      this.split = 'W' in request;
      this.arrays = this.split ? [...request.W.map(decoded), ...request.b.map((b) => [decoded(b)])] : request.theta.map(decoded);
      return [this.parameters(this.arrays.map((T) => T.map((row) => row.slice())))];
    }
    if (!('at' in request) || !this.arrays) throw new Error('a request with neither parameters nor "at" after them');
    const flat = this.arrays.flat(2);  // the protocol's order: Θ^(1) row by row, then Θ^(2) …
    const directions = (request.directions || []).map(decoded);
    return request.at.map(([index, step]) => {
      const point = flat.slice();
      if (directions.length) {
        const v = directions[index];
        for (let k = 0; k < point.length; ++k) point[k] += step * v[k];
      } else {
        point[index] += step;
      }
      let at = 0;
      return this.parameters(this.arrays.map((T) => T.map((row) => {
        const out = point.slice(at, at + row.length);
        at += row.length;
        return out;
      })));
    });
  }

  /** Θ as a list of matrices, or {W, b} (each b^(l) a plain array) in a W, b layout. */
  parameters(arrays) {
    if (!this.split) return arrays;
    const half = arrays.length / 2;
    return {W: arrays.slice(0, half), b: arrays.slice(half).map(([b]) => b)};
  }
}

const sources = new Map();
/** Line `n` (1-based) of `file`, trimmed, or ''. */
function lineOf(file, n) {
  try {
    if (!sources.has(file)) sources.set(file, fs.readFileSync(file, 'utf8').split('\n'));
    return (sources.get(file)[n - 1] || '').trim();
  } catch (e) {
    return '';
  }
}

/** A stack frame's file is the user's: not this adapter, not node's own (node:…), not node_modules. */
// Frames of this adapter and of the ones built on it (gradcheck_model.js) are not the user's either.
const usersFile = (file) => path.dirname(path.resolve(file)) !== __dirname && !file.startsWith('node:') && !file.startsWith('internal/') &&
  !file.split(path.sep).includes('node_modules') && path.isAbsolute(file);

/**
 * The error as its author should read it: the deepest frame in their own files, then the message and
 * that line's text: "net.js line 42 (in backward): TypeError: … — in: dW[i][j] = …".
 */
function located(error) {
  const frames = String((error && error.stack) || '').split('\n').slice(1);
  const message = error instanceof Error ? `${error.name || 'Error'}: ${error.message}` : String(error);
  for (const frame of frames) {  // the deepest first
    const match = frame.match(/at (?:(\S+) \()?(?:file:\/\/)?([^\s()]+):(\d+):\d+\)?$/);
    if (match && usersFile(match[2])) {
      const inside = match[1] && !match[1].startsWith('Object.<anonymous>') ? ` (in ${match[1]})` : '';
      const line = lineOf(match[2], Number(match[3]));
      return `${path.basename(match[2])} line ${match[3]}${inside}: ${message}${line ? ` — in: ${line}` : ''}`;
    }
  }
  return message;
}

/** Copies of arrays of rows (or of numbers), to pass the user's function and compare after. */
const copy = (rows) => rows.map((row) => (Array.isArray(row) ? row.slice() : row));
const same = (a, b) => a === b || (Number.isNaN(a) && Number.isNaN(b));
// x in 6 digits, or in 17 where 6 would print it as `beside` (a change of one ulp read "multiplied by 1");
// what is not a number (a string written into X) as JSON.
const shown = (x, beside) => {
  if (typeof x !== 'number') return JSON.stringify(x) === undefined ? String(x) : JSON.stringify(x);
  if (Number.isNaN(x)) return 'NaN';
  const short = String(Number(x.toPrecision(6)));
  return typeof beside === 'number' && short === String(Number(beside.toPrecision(6))) ? String(x) : short;
};

/**
 * What a call did to the matrix `name` (arrays of rows; `before` a copy, `after` what it was given),
 * or null: "column 0 of theta[0] (every row) set to 0", "every entry of X multiplied by 0.5".
 */
function change(name, before, after) {
  if (!Array.isArray(after) || after.length !== before.length ||
      after.some((row, i) => !Array.isArray(row) || row.length !== before[i].length)) {
    return `${name} resized or replaced by something else`;
  }
  const moved = [];
  before.forEach((row, i) => row.forEach((b, j) => { if (!same(b, after[i][j])) moved.push([i, j]); }));
  if (!moved.length) return null;
  const rows = before.length, cols = before[0] ? before[0].length : 0;
  const columns = [...new Set(moved.map(([, j]) => j))].sort((a, b) => a - b);
  const rowsMoved = [...new Set(moved.map(([i]) => i))].sort((a, b) => a - b);
  let where;
  if (moved.length === 1) where = `${name}[${moved[0][0]}][${moved[0][1]}]`;
  else if (moved.length === rows * cols) where = `every entry of ${name}`;
  else if (moved.length === columns.length * rows) where = `column${columns.length > 1 ? 's' : ''} ${columns.join(', ')} of ${name} (every row)`;
  else if (moved.length === rowsMoved.length * cols) where = `row${rowsMoved.length > 1 ? 's' : ''} ${rowsMoved.join(', ')} of ${name}`;
  else where = `${moved.length} of ${rows * cols} entries of ${name}`;
  const now = moved.map(([i, j]) => after[i][j]), was = moved.map(([i, j]) => before[i][j]);
  const ratio = now[0] / was[0];
  let became;
  if (now.every((x) => same(x, now[0]))) became = `set to ${shown(now[0], was[0])}`;
  else if (was.every((x) => x !== 0) && now.every((x, k) => Math.abs(x / was[k] - ratio) <= 1e-12 * Math.abs(ratio))) became = `multiplied by ${shown(ratio, 1)}`;
  else became = `changed, first ${name}[${moved[0][0]}][${moved[0][1]}] from ${shown(was[0])} to ${shown(now[0])}`;
  return `${where} ${became}`;
}

function answer(request, session, f) {
  const want = request.want || ['J', 'gradient'];
  const many = 'at' in request;
  const changed = [];
  const results = session.evaluations(request).map((theta) => {
    const p = session.problem;
    // The user's function gets copies; what it changes of them is a side effect, told to gradcheck.
    // θ is a list of Θ^(l), or {W, b} in a W, b layout (each b^(l) a plain array, compared as a row).
    const named = (t) => (Array.isArray(t) ? t.map((T, l) => [`theta[${l}]`, T])
      : [...t.W.map((W, l) => [`W[${l}]`, W]), ...t.b.map((b, l) => [`b[${l}]`, [b]])]);
    // X and Y: one copy per problem, compared after each call with the problem's own (p.X, which
    // nothing else changes) and copied afresh only when a call changed it. A copy per call cost more
    // than the call at ex4's size.
    if (session.given === undefined || session.given.of !== p) session.given = {of: p, X: copy(p.X), Y: copy(p.Y)};
    const given = session.given;
    const kept = {theta: named(theta).map(([, T]) => copy(T))};
    const result = f(theta, given.X, given.Y, p.lambda, {sizes: p.sizes, activations: p.activations, cost: p.cost,
                                                         labels: p.labels, conventions: p.conventions,
                                                         want: many ? ['J'] : want});
    const said = {
      theta: named(theta).map(([name, T], k) => change(name, kept.theta[k], T)).filter(Boolean).join(' and '),
      X: change('X', p.X, given.X), Y: change('Y', p.Y, given.Y),
    };
    if (said.X) given.X = copy(p.X);
    if (said.Y) given.Y = copy(p.Y);
    const why = {theta: "the caller's θ changes", X: "the caller's data changes", Y: "the caller's targets change"};
    for (const input of ['theta', 'X', 'Y']) {
      if (said[input] && !changed.some((c) => c.input === input)) {
        changed.push({input, says: `${f.name || 'the function'} changes ${input} in place: ${said[input]}; ${why[input]}`});
      }
    }
    const [J, gradient] = Array.isArray(result) ? result : [result.J, result.gradient];
    if (typeof J !== 'number') throw new TypeError(`the function returned J = ${JSON.stringify(J)}; expected one number`);
    if (!many && want.includes('gradient')) checkGradient(gradient, theta, session.split);
    return [J, gradient];
  });
  const reply = {id: request.id, protocol: 2, encodings: ['base64']};
  if (changed.length) reply.changed = changed;
  if (many) {
    reply.J = results.map(([J]) => number(J));
  } else {
    reply.J = number(results[0][0]);
    const gradient = results[0][1];
    const rows = (D) => D.map((row) => Array.from(row, number));
    if (want.includes('gradient') && session.split) {
      reply.dW = gradient.W.map(rows);
      reply.db = gradient.b.map((d) => Array.from(d, number));
    } else if (want.includes('gradient')) {
      reply.gradient = gradient.map(rows);
    }
  }
  return reply;
}

/** Throws, in the user's terms, if `gradient` does not have one entry per matrix of `theta`. */
function checkGradient(gradient, theta, split) {
  if (split) {
    const ok = gradient && Array.isArray(gradient.W) && Array.isArray(gradient.b) &&
               gradient.W.length === theta.W.length && gradient.b.length === theta.b.length;
    if (!ok) throw new TypeError(`the function returned ${JSON.stringify(gradient && Object.keys(gradient))} as ` +
                                 `its gradient; expected {W: [dW1, …], b: [db1, …]}, ${theta.W.length} of each`);
    gradient.W.forEach((dW, l) => checkShape(`gradient.W[${l}]`, dW, theta.W[l], `W[${l}]`));
    gradient.b.forEach((db, l) => checkShape(`gradient.b[${l}]`, [db], [theta.b[l]], `b[${l}]`));
    return;
  }
  if (!Array.isArray(gradient) || gradient.length !== theta.length) {
    throw new TypeError(`the function returned a gradient of ${Array.isArray(gradient) ? gradient.length : 'no'} ` +
                        `matrices; expected ${theta.length}, one per Θ^(l)`);
  }
  gradient.forEach((D, l) => checkShape(`gradient[${l}]`, D, theta[l], `theta[${l}]`));
}

/** A TypeError naming `name` when D (rows of numbers) is not shaped like T: "gradient[1] is 3 rows of 5; expected 3 rows of 6, theta[1]'s shape". */
function checkShape(name, D, T, of) {
  const what = D === null || D === undefined ? String(D)
    : !Array.isArray(D) ? `a ${typeof D}`
    : D.length !== T.length || D.some((row) => !Array.isArray(row) || row.length !== T[0].length)
      ? `${D.length} rows${Array.isArray(D[0]) ? ` of ${D[0].length}` : ''}` : null;
  if (what) throw new TypeError(`${name} is ${what}; expected ${T.length} rows of ${T[0].length}, ${of}'s shape`);
}

/** Answers gradcheck's requests with f until stdin closes. */
function serve(f) {
  const session = new Session();
  const lines = readline.createInterface({input: process.stdin, crlfDelay: Infinity});
  lines.on('line', (line) => {
    if (!line.trim()) return;
    const request = JSON.parse(line);
    let reply;
    try {
      reply = answer(request, session, f);
    } catch (error) {  // the user's code failed: say so in the reply, keep serving
      reply = {id: request.id, protocol: 2, error: located(error)};
    }
    if (printedBytes) {
      reply.output = printed;
      printed = '';
      printedBytes = 0;
    }
    fs.writeSync(replies, JSON.stringify(reply) + '\n');
  });
}

/** Answers each request line with handle(request) until stdin closes (the loop of serveModel). */
function serveLines(handle) {
  const lines = readline.createInterface({input: process.stdin, crlfDelay: Infinity});
  lines.on('line', (line) => {
    if (!line.trim()) return;
    const request = JSON.parse(line);
    let reply;
    try {
      reply = handle(request);
    } catch (error) {  // the user's code failed: say so in the reply, keep serving
      reply = {id: request.id, protocol: 2, error: located(error)};
    }
    if (printedBytes) {
      reply.output = printed;
      printed = '';
      printedBytes = 0;
    }
    fs.writeSync(replies, JSON.stringify(reply) + '\n');
  });
}

// Models as named tensors (--model) live in gradcheck_model.js, loaded when first used.
const serveModel = (...args) => require('./gradcheck_model').serveModel(...args);
const serveUpdate = (...args) => require('./gradcheck_model').serveUpdate(...args);

module.exports = {serve, serveLines, serveModel, serveUpdate, Session, located, change};
