// @ts-check
// The admin pages work without JavaScript; this only adds conveniences.

import { wireCopyButtons } from './copy.js';

wireCopyButtons();

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'short' });
const exact = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const sameDay = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });
const otherDay = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** @type {[Intl.RelativeTimeFormatUnit, number][]} */
const UNITS = [
  ['year', 365 * 86400],
  ['month', 30 * 86400],
  ['week', 7 * 86400],
  ['day', 86400],
  ['hour', 3600],
  ['minute', 60],
];

/** "3 min. ago", "just now". @param {number} seconds (negative: past) */
function ago(seconds) {
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
  }
  return Math.abs(seconds) < 10 ? 'just now' : relative.format(Math.round(seconds), 'second');
}

/**
 * The server writes each time in UTC (<time datetime="…">); show it in the
 * viewer's time zone and relative to now, with the exact time on hover.
 */
function localTimes() {
  const now = Date.now();
  for (const el of /** @type {NodeListOf<HTMLTimeElement>} */ (document.querySelectorAll('time[datetime]'))) {
    const when = new Date(el.dateTime);
    if (Number.isNaN(when.getTime())) continue;
    const day = when.toDateString() === new Date(now).toDateString();
    el.textContent = `${(day ? sameDay : otherDay).format(when)} · ${ago((when.getTime() - now) / 1000)}`;
    el.title = `${exact.format(when)} (${el.dateTime} UTC)`.replace('Z UTC)', ' UTC)');
  }
}

localTimes();
setInterval(localTimes, 30_000);

/**
 * The overview's charts come back from the server every 10 s (the same
 * server-rendered fragment the page was built with), so they stay live
 * without a reload; the stats above them too.
 */
function liveCharts() {
  const charts = document.getElementById('charts');
  const url = charts?.dataset.refresh;
  if (!charts || !url) return;
  setInterval(async () => {
    if (document.hidden) return;
    try {
      const res = await fetch(url, { cache: 'no-store', credentials: 'same-origin' });
      if (!res.ok) return;
      const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
      const fresh = doc.getElementById('charts');
      const now = document.getElementById('charts');
      if (fresh && now) now.replaceWith(document.importNode(fresh, true));
    } catch {
      // offline for a moment: the next tick tries again
    }
  }, 10_000);
}

liveCharts();
