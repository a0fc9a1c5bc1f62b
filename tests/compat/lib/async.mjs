// Small promise helpers shared by the compatibility tests.
//
// Every wait in these tests goes through withTimeout() so that a server that
// never answers makes the test fail with a message naming the step, instead
// of hanging until the test runner's own (much longer) timeout.

/** Default time allowed for one step (one request, one expected event). */
export const STEP_TIMEOUT_MS = 10_000;

/**
 * Resolve or reject like `promise`, but reject with a clear error if it has
 * not settled after `ms` milliseconds.
 *
 * @param {Promise<T>} promise
 * @param {string} what  a short description of the step, used in the error
 * @param {number} [ms]
 * @returns {Promise<T>}
 * @template T
 */
export function withTimeout(promise, what, ms = STEP_TIMEOUT_MS) {
    let timer;
    const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A promise together with its resolve/reject functions, for turning callback
 * APIs (Echo's .listen(), .subscribed(), ...) into something to await.
 *
 * @returns {{promise: Promise<T>, resolve: (value: T) => void, reject: (err: any) => void}}
 * @template T
 */
export function deferred() {
    let resolve;
    let reject;
    const promise = new Promise((res, rej) => {
        resolve = res;
        reject = rej;
    });
    return { promise, resolve, reject };
}

/** Resolve after `ms` milliseconds. */
export function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
}
