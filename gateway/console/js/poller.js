// Live status without polling storms: one GET per job every 2 s at most. A job is
// keyed by its path; a second watcher of the same job shares its poll. The next poll
// starts 2 s after the previous one answered (so never two within 2 s, however slow
// the browser or the gateway); nothing is polled while the tab is hidden.

import { api } from "./api.js";

export const POLL_INTERVAL_MS = 2000;

const jobs = new Map();

async function run(path, job, fresh) {
  if (fresh) await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  while (job.listeners.size > 0) {
    if (document.hidden) {
      await new Promise((resolve) =>
        document.addEventListener("visibilitychange", resolve, { once: true }),
      );
      continue;
    }
    let body = null;
    let backOffMs = 0;
    try {
      body = await api(path);
    } catch (error) {
      for (const listener of job.listeners) listener.onError?.(error);
      // Gone (deleted), or the key no longer works: asking again cannot help.
      if ([401, 403, 404].includes(error.status)) job.listeners.clear();
      // Rate limited: come back when the gateway says, not sooner.
      if (error.retryAfter) backOffMs = Number(error.retryAfter) * 1000 || 0;
    }
    if (body) {
      for (const listener of [...job.listeners]) {
        listener.onUpdate(body);
        if (listener.isDone(body)) job.listeners.delete(listener);
      }
    }
    if (job.listeners.size === 0) break;
    await new Promise((resolve) => setTimeout(resolve, Math.max(backOffMs, POLL_INTERVAL_MS)));
  }
  jobs.delete(path);
}

/**
 * Poll `path` (under /api/v1) until isDone(body); onUpdate(body) after each answer.
 * `fresh`: the caller has just read the job (a list or a create), so the first poll
 * waits one interval too. Answers a function that stops this watcher.
 */
export function watch(path, { onUpdate, isDone, onError, fresh = true }) {
  const listener = { onUpdate, isDone, onError };
  let job = jobs.get(path);
  if (!job) {
    job = { listeners: new Set() };
    jobs.set(path, job);
    job.listeners.add(listener);
    run(path, job, fresh);
  } else {
    job.listeners.add(listener);
  }
  return () => job.listeners.delete(listener);
}

/** Stop every watcher (signing out, leaving a view). */
export function stopAll() {
  for (const job of jobs.values()) job.listeners.clear();
}
