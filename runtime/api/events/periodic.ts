/** Things the hub does every so often on its one timer (new rate window, heartbeat, token re-check). */

/** A test that is true at most once per `periodMs`, the first time `periodMs` after `start`. */
export function every(periodMs: number, start: number): (now: number) => boolean {
  let last = start;
  return (now) => {
    if (now - last < periodMs) return false;
    last = now;
    return true;
  };
}
