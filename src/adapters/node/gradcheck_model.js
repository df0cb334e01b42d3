'use strict';
// gradcheck's Node.js adapter for models as named tensors (`gradcheck check --model`, docs/protocol.md
// "Models"): serveModel for code with a gradient, serveUpdate for code with only an update step.
// Reach both through gradcheck_adapter.js, which keeps stdout for the replies:
//
//   const gradcheck = require('./gradcheck_adapter');
//   gradcheck.serveModel({W1, b1}, (p) => ({J, gradient: {W1: dW1, b1: db1}}));   // nested arrays
//   gradcheck.serveUpdate({get: () => ({W1: net.W1, b1: net.b1}), set: (p) => Object.assign(net, p),
//                          step: (lr) => { net.lr = lr; net.train(x, y); }, cost: () => net.loss(x, y)});
//
// serveUpdate reads the gradient back from the step, g = (before − after)/(lr·scale): the step must
// move every weight by −lr·scale·∇cost (plain SGD). It is called three times from θ (the weights
// restored after each call): twice at `lr`, which must move them alike (momentum, Adam's moments or
// randomness in the step stop the check, exit 3), then at 2^k·lr, so large that lr·g dwarfs the
// weights and before − after keeps every digit of g; the two must agree to 1e-6 of g (a step that
// updates a layer before propagating the error through it, or clips the weights, stops the check).
const adapter = require('./gradcheck_adapter');

const EPS = 2 ** -52;
const REACH = 2 ** 30;  // the precise call moves the largest weight by up to 2^30 times its size
const SAME = 1e-9;      // two calls at θ may differ by this fraction of the largest move
const LINEAR = 1e-6;    // g at lr and at 2^k·lr may differ by this fraction of g and of |w|/lr

const number = (x) => (Number.isNaN(x) ? 'NaN' : x === Infinity ? 'Infinity' : x === -Infinity ? '-Infinity' : x);

/** A number, a nested array or a typed array of numbers: its shape and its numbers, row-major. */
function flatten(value, name) {
  if (typeof value === 'number') return {shape: [], values: [value]};
  if (!value || typeof value.length !== 'number' || typeof value === 'string')
    throw new TypeError(`${name} is ${JSON.stringify(value)}; expected a number or an array of them`);
  const items = Array.from(value, (item, i) => flatten(item, `${name}[${i}]`));
  const inner = items.length ? items[0].shape : [];
  items.forEach((item, i) => {
    if (String(item.shape) !== String(inner))
      throw new TypeError(`${name} is ragged: ${name}[${i}] has shape [${item.shape}], ${name}[0] [${inner}]`);
  });
  return {shape: [value.length, ...inner], values: items.flatMap((item) => item.values)};
}

/** The numbers of `flat` from `at` on, nested in `shape`. */
function nest(flat, shape, at = 0) {
  if (!shape.length) return flat[at];
  const [n, ...inner] = shape;
  const size = inner.reduce((a, b) => a * b, 1);
  return Array.from({length: n}, (_, i) => nest(flat, inner, at + i * size));
}

/** Named tensors: their names in order, shapes, and conversions between {name: nested} and one flat array. */
function tensors(parameters) {
  const names = Object.keys(parameters);
  const parts = names.map((name) => flatten(parameters[name], name));
  const sizes = parts.map((p) => p.values.length);
  return {
    names, parts,
    flat: parts.flatMap((p) => p.values),
    flatOf: (values, what) => names.flatMap((name, k) => {
      if (!(name in values)) throw new TypeError(`${what} has no entry for ${name}; expected one per parameter`);
      const {values: v} = flatten(values[name], `${what}.${name}`);
      if (v.length !== sizes[k]) throw new TypeError(`${what}.${name} has ${v.length} numbers; expected ${sizes[k]}`);
      return v;
    }),
    nested: (flat) => {
      let at = 0;
      return Object.fromEntries(names.map((name, k) => {
        const out = nest(flat, parts[k].shape, at);
        at += sizes[k];
        return [name, out];
      }));
    },
    entry: (k) => {  // "W1[2, 0]": the name and 0-based index of flat entry k
      let at = 0, t = 0;
      while (k >= at + sizes[t]) at += sizes[t++];
      const index = [];
      let rest = k - at;
      for (let d = parts[t].shape.length - 1; d >= 0; --d) {
        index.unshift(rest % parts[t].shape[d]);
        rest = Math.floor(rest / parts[t].shape[d]);
      }
      return index.length ? `${names[t]}[${index.join(', ')}]` : names[t];
    },
  };
}

/** Answers every request with `error`, a mistake in how the adapter was called: gradcheck quotes it
 *  (exit 3) rather than reporting a process that ended before its first reply. */
function refusing(error) {
  adapter.serveLines(() => { throw error; });
}

/** Serves a model of named tensors: `parameters` maps each name to its value at θ (a number or a
 *  nested array); costAndGradient(p) returns {J, gradient: {name: shaped like p[name]}} (or [J,
 *  gradient]) for p like `parameters`; cost(p), if given, returns J alone. */
function serveModel(parameters, costAndGradient, cost) {
  let model;
  try {
    model = tensors(parameters);
  } catch (error) {
    return refusing(error);
  }
  const pair = (result) => (Array.isArray(result) ? result : [result.J, result.gradient]);
  const J = (p) => {
    const value = cost ? cost(p) : pair(costAndGradient(p))[0];
    if (typeof value !== 'number') throw new TypeError(`the cost returned ${JSON.stringify(value)}; expected one number`);
    return value;
  };
  adapter.serveLines((request) => {
    if ('at' in request) {
      const directions = request.directions || [];
      return {id: request.id, protocol: 2, J: request.at.map(([index, step]) => {
        const point = model.flat.slice();
        if (directions.length) point.forEach((_, k) => { point[k] += step * directions[index][k]; });
        else point[index] += step;
        return number(J(model.nested(point)));
      })};
    }
    const [value, gradient] = pair(costAndGradient(model.nested(model.flat)));
    if (typeof value !== 'number') throw new TypeError(`the cost returned ${JSON.stringify(value)}; expected one number`);
    const flat = model.flatOf(gradient || {}, 'gradient');
    let at = 0;
    const reply = {id: request.id, protocol: 2, J: number(value), gradient: {},
                   parameters: model.names.map((name, k) => ({name, shape: model.parts[k].shape,
                                                              values: model.parts[k].values.map(number)}))};
    model.names.forEach((name, k) => {
      reply.gradient[name] = flat.slice(at, at += model.parts[k].values.length).map(number);
    });
    return reply;
  });
}

/** ∇cost at θ (flat) from a plain SGD step that moves the weights by −lr·scale·∇cost. */
function gradientFromStep(model, {set, get, step, lr = 1, scale = 1}, theta) {
  const moved = (rate) => {
    set(model.nested(theta));
    step(rate);
    const after = model.flatOf(get(), 'get()');
    set(model.nested(theta));
    return theta.map((w, k) => w - after[k]);
  };
  const first = moved(lr), again = moved(lr);
  const largest = Math.max(0, ...first.map(Math.abs));
  const worst = (excess) => excess.reduce((best, e, k) => (e > excess[best] || Number.isNaN(e) ? k : best), 0);
  let k = worst(first.map((d, i) => Math.abs(again[i] - d) - SAME * largest - 4 * EPS * Math.abs(theta[i])));
  if (Math.abs(again[k] - first[k]) > SAME * largest + 4 * EPS * Math.abs(theta[k]))
    throw new Error(`your step called twice at the same θ moved ${model.entry(k)} by ${first[k]} then by ` +
                    `${again[k]}: it keeps state (momentum, Adam's moments) or draws random numbers (dropout, ` +
                    'shuffling); serveUpdate needs plain SGD, w ← w − lr·∇J');
  const g = first.map((d) => d / (lr * scale));
  const gMax = Math.max(0, ...g.map(Math.abs)), wMax = Math.max(1, ...theta.map(Math.abs));
  if (gMax === 0 || !Number.isFinite(gMax)) return g;
  const power = Math.ceil(Math.log2(REACH * wMax / (lr * Math.abs(scale) * gMax)));
  if (power <= 0) return g;
  const big = lr * 2 ** power;
  const precise = moved(big).map((d) => d / (big * scale));
  const bound = (i) => LINEAR * (Math.abs(g[i]) + (Math.abs(theta[i]) + EPS) / Math.abs(lr * scale));
  k = worst(precise.map((p, i) => Math.abs(p - g[i]) - bound(i)));
  if (!(Math.abs(precise[k] - g[k]) <= bound(k)))
    throw new Error(`your step is not linear in the learning rate: (before − after)/lr for ${model.entry(k)} is ` +
                    `${g[k]} at lr = ${lr} and ${precise[k]} at lr = ${big}; a plain SGD step moves by lr·∇J. Does it ` +
                    'update a layer before propagating the error through it, or clip or project the weights?');
  return precise;
}

/** Serves J = cost() and the gradient that step(lr) applies: get() returns {name: nested array} of
 *  the current weights, set(p) installs such an object, step(lr) is one plain SGD step moving the
 *  weights by −lr·scale·∇cost, cost() is J at the current weights. The weights are restored after
 *  every call. */
function serveUpdate(update) {
  const {get, set, step, cost, lr = 1, scale = 1} = update;
  let model;
  try {
    for (const [key, f] of Object.entries({get, set, step, cost}))
      if (typeof f !== 'function') throw new TypeError(`serveUpdate: ${key} is ${typeof f}; expected a function`);
    if (!(lr > 0 && Number.isFinite(lr) && scale !== 0 && Number.isFinite(scale)))
      throw new RangeError(`serveUpdate: lr = ${lr}, scale = ${scale}; expected lr > 0 and a finite scale ≠ 0`);
    model = tensors(get());
  } catch (error) {
    return refusing(error);
  }
  const start = model.flat.slice();
  const at = (p, evaluate) => {
    try {
      set(p);
      return evaluate();
    } finally {
      set(model.nested(start));
    }
  };
  serveModel(model.nested(start), (p) => {
    const J = at(p, cost);
    return [J, model.nested(gradientFromStep(model, update, model.flatOf(p, 'parameters')))];
  }, (p) => at(p, cost));
}

module.exports = {serveModel, serveUpdate, gradientFromStep, tensors};
