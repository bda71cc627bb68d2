// What the bench runs inside the page. Plain JavaScript source, because the root tsconfig (Node only)
// has no DOM types; each is called as `(source)(argument)`.

/** Starts collecting requestAnimationFrame intervals into window.benchFrames. */
export const START_FRAMES = `() => {
  window.benchFrames = [];
  window.benchMeasuring = true;
  let last = 0;
  const tick = (t) => { window.benchFrames.push(t - last); last = t; if (window.benchMeasuring) requestAnimationFrame(tick); };
  requestAnimationFrame((t) => { last = t; requestAnimationFrame(tick); });
}`;

/** Stops collecting and returns the intervals. */
export const STOP_FRAMES = `() => { window.benchMeasuring = false; return window.benchFrames; }`;

/** The scale of React Flow's viewport transform. */
export const VIEWPORT_SCALE = `() => Number(/scale\\(([\\d.]+)\\)/.exec(document.querySelector(".react-flow__viewport").style.transform)?.[1] ?? 1)`;

/** A point of bare canvas inside box {x, y, width, height}: the element there has class \`className\`. */
export const BARE_POINT = `({ box, className }) => {
  for (let top = box.y + 40; top < box.y + box.height - 100; top += 8)
    for (let left = box.x + 40; left < box.x + box.width - 200; left += 8)
      if (document.elementFromPoint(left, top)?.classList.contains(className)) return { x: left, y: top };
  throw new Error("no bare canvas in view");
}`;

/** A grab point on the first element matching \`selector\` inside box, with 300 px of room to its right. */
export const GRAB_POINT = `({ box, selector }) => {
  const el = [...document.querySelectorAll(selector)].find((e) => {
    const r = e.getBoundingClientRect();
    return r.left > box.x + 20 && r.left + 15 < box.x + box.width - 320 && r.top > box.y + 20 && r.bottom < box.y + box.height - 100;
  });
  if (!el) throw new Error("no " + selector + " in view");
  const r = el.getBoundingClientRect();
  return { x: r.left + Math.min(15, r.width / 2), y: r.top + r.height / 2 };
}`;

export const COUNT = `(selector) => document.querySelectorAll(selector).length`;
