#!/usr/bin/env python3
"""Measures the bench kit's cursor workload with 1 % of members that never
read (issue 2: server RSS stays bounded, the others' p99 stays within 20 %).

The load generator has no such workload, so this script adds the stuck
members itself: while `loadgen cursor` runs against a server on an SQLite
file, it reads the boards the load generator created from that file, joins
each with N raw WebSocket connections that never read a byte, and samples
the server's RSS. Run it once with --stuck 0 and once with --stuck 10 and
compare the loadgen's p99. Loopback only.

  scripts/bench-stuck-readers.py --server ./target/release/corkboard \
      --loadgen /tmp/bench/loadgen/target/release/loadgen --rate 5 --stuck 10
"""
import argparse, base64, json, os, socket, sqlite3, subprocess, sys, tempfile, time

def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0

def stuck_member(port, board, token, name):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET /ws/boards/{board}?token={token}&name={name} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    return s  # never read from again

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--loadgen", required=True)
    ap.add_argument("--rate", default="5")
    ap.add_argument("--stuck", type=int, default=10, help="stuck members in all (spread over the boards)")
    ap.add_argument("--port", type=int, default=28510)
    args = ap.parse_args()
    db = os.path.join(tempfile.mkdtemp(), "stuck.db")
    env = dict(os.environ, CORKBOARD_BIND=f"127.0.0.1:{args.port}", DATABASE_URL=db, RUST_LOG="warn")
    server = subprocess.Popen([args.server, "serve"], env=env)
    time.sleep(1.5)
    lg = subprocess.Popen([args.loadgen, "cursor", "--base", f"http://127.0.0.1:{args.port}", "--boards", "10",
                           "--members", "100", "--rate", args.rate, "--warmup", "8", "--duration", "15",
                           "--server-pid", str(server.pid)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    time.sleep(3)
    boards = sqlite3.connect(db).execute("select id, view_token from boards").fetchall()
    sockets = [stuck_member(args.port, *boards[i % len(boards)], f"stuck{i}") for i in range(args.stuck)]
    samples = []
    while lg.poll() is None:
        samples.append(rss_kb(server.pid))
        time.sleep(1)
    out = json.loads(lg.stdout.readline())
    r = out["results"]
    server.terminate()
    server.wait()
    print(json.dumps({"stuck": args.stuck, "rate_hz": float(args.rate), "deliveries_per_s": r.get("deliveries_per_s"),
                      "delivery_ratio": r.get("delivery_ratio"), "latency_ms": r.get("latency_ms"),
                      "rss_kb_first": samples[0] if samples else None, "rss_kb_max": max(samples or [0]),
                      "rss_kb_last": samples[-1] if samples else None, "stuck_sockets": len(sockets)}))

if __name__ == "__main__":
    sys.exit(main())
