// Starts the real server binary and headless Chromium (Debian's package).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BINARY =
  process.env.CORKBOARD_BIN ?? path.join(process.env.CARGO_TARGET_DIR ?? path.join(ROOT, 'target'), 'debug/corkboard');

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

// A server process on a fixed port and database, so that it can be restarted.
export class Server {
  constructor({ port, db, env = {} }) {
    this.port = port;
    this.db = db;
    this.env = env;
    this.base = `http://127.0.0.1:${port}`;
  }

  static async start(env = {}) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'corkboard-browser-'));
    const server = new Server({ port: await freePort(), db: path.join(dir, 'board.db'), env });
    await server.up();
    return server;
  }

  async up() {
    this.proc = spawn(BINARY, ['serve'], {
      cwd: ROOT,
      env: {
        ...process.env,
        CORKBOARD_BIND: `127.0.0.1:${this.port}`,
        DATABASE_URL: this.db,
        CORKBOARD_HEARTBEAT_INTERVAL_MS: '1000',
        CORKBOARD_HEARTBEAT_TIMEOUT_MS: '3000',
        RUST_LOG: 'warn',
        ...this.env,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const deadline = Date.now() + 15000;
    while (Date.now() < deadline) {
      try {
        const res = await fetch(`${this.base}/healthz`);
        if (res.ok) return;
      } catch {
        // not yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the server did not start');
  }

  async down() {
    if (!this.proc || this.proc.exitCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGTERM');
    await exited;
  }

  async createBoard(title) {
    const res = await fetch(`${this.base}/api/boards`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title }),
    });
    if (res.status !== 201) throw new Error(`create board: ${res.status}`);
    return res.json();
  }

  async state(board) {
    const res = await fetch(`${this.base}/api/boards/${board.id}?token=${board.view_token}`);
    return res.json();
  }
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      '--autoplay-policy=no-user-gesture-required',
      '--disable-features=WebRtcHideLocalIpsWithMdns',
    ],
  });
}

// A server and a browser for one test file (its `before`), and their end
// (its `after`).
export async function startBoth(env = {}) {
  mkdirSync(ARTIFACTS, { recursive: true });
  return { server: await Server.start(env), browser: await launch() };
}

export async function stopBoth(server, browser) {
  await browser?.close();
  await server?.down();
}

// A page of a member: name set, board opened, welcome received.
export async function openBoard(browser, server, board, token, name, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  await context.addInitScript((n) => localStorage.setItem('corkboard.name', n), name);
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => {
    page.errors.push(e);
    console.error(`[${name}] page error:`, e);
  });
  page.on('dialog', (d) => {
    page.alertSeen = d.message();
    d.dismiss();
  });
  await page.goto(`${server.base}/b/${board.id}?token=${token}`);
  await page.locator('#status[data-state="connected"]').waitFor();
  return page;
}

export const sticker = (page, text) => page.locator('.sticker', { hasText: text });

const ADMIN_PASSWORD = 'correct horse battery staple';

// An admin's page on this server (the account is made once, by the CLI).
export async function adminPage(browser, server) {
  if (!server.adminMade) {
    await new Promise((resolve, reject) => {
      const p = spawn(BINARY, ['admin', 'create', 'root'], {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: server.db, CORKBOARD_ADMIN_PASSWORD: ADMIN_PASSWORD, RUST_LOG: 'warn' },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`admin create: exit ${code}`))));
    });
    server.adminMade = true;
  }
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.base}/admin/login`);
  await page.fill('#username', 'root');
  await page.fill('#password', ADMIN_PASSWORD);
  await Promise.all([page.waitForURL(/\/admin$/), page.click('button[type="submit"]')]);
  return page;
}

// Admin actions on one board, posted as the admin pages post them (with the
// CSRF token, confirmed: a destructive action has a confirmation page).
async function adminPost(admin, server, board, action, fields) {
  await admin.goto(`${server.base}/admin/boards/${board.id}`);
  const csrf = await admin.locator('input[name="csrf_token"]').first().inputValue();
  const res = await admin.request.post(`${server.base}/admin/boards/${board.id}/${action}`, {
    form: { csrf_token: csrf, confirm: 'yes', ...fields },
  });
  if (!res.ok()) throw new Error(`admin ${action}: ${res.status()} ${await res.text()}`);
}
export async function kick(admin, server, board, name, keepOutMinutes = 0) {
  await admin.goto(`${server.base}/admin/boards/${board.id}`);
  const session = await admin.locator('#sessions tr', { hasText: name }).first().getAttribute('data-session');
  await adminPost(admin, server, board, 'kick', { session, keep_out_minutes: String(keepOutMinutes) });
}
export async function rotate(admin, server, board, which) {
  await adminPost(admin, server, board, 'rotate', { which });
}
export async function restore(admin, server, board, seq) {
  await adminPost(admin, server, board, 'restore', { seq: String(seq) });
}
export async function deleteBoard(admin, server, board) {
  await adminPost(admin, server, board, 'delete', { title: board.title });
}

// Sends durable ops from a script client inside a page (its own socket), e.g.
// a sticker at a given place; resolves with the replies.
export async function scriptOps(page, server, board, token, messages) {
  return page.evaluate(
    ({ url, messages }) =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(url);
        const replies = [];
        ws.onmessage = (e) => {
          const m = JSON.parse(e.data);
          if (m.type === 'welcome') messages.forEach((msg, i) => ws.send(JSON.stringify({ ...msg, ref: i + 1 })));
          if (m.type === 'reply') {
            replies.push(m);
            if (replies.length === messages.length) {
              ws.close();
              resolve(replies);
            }
          }
        };
        ws.onerror = () => reject(new Error('script socket failed'));
      }),
    { url: `${server.base.replace('http', 'ws')}/ws/boards/${board.id}?token=${token}&name=script`, messages },
  );
}

export const stickerAt = (x, y, text = '', extra = {}) => ({
  type: 'sticker.create',
  sticker: { id: crypto.randomUUID(), x, y, w: 160, h: 120, color: '#fff59d', text, ...extra },
});

export const ARTIFACTS = path.resolve(import.meta.dirname, '../../artifacts');

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

// axe-core on a page: no serious or critical violations (the CSP allows no
// inline script, so axe goes in through evaluate). Returns every violation.
export async function axe(page, label) {
  await page.evaluate(AXE);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const report = bad
    .map((v) => `${v.impact} ${v.id}: ${v.help}\n    ${v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')} ${n.any?.[0]?.message ?? ''}`).join('\n    ')}`)
    .join('\n');
  assert.equal(bad.length, 0, `${label}:\n${report}`);
  return result.violations;
}
