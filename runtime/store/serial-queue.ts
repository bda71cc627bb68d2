/**
 * Runs async tasks one at a time, in call order. A task that fails rejects only its own promise;
 * the tasks queued after it still run. Stores use it so two concurrent saves cannot both read the
 * same state and lose one another's change.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T> | T): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
