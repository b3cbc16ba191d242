// wasm_host.mjs: a developer's test host that runs a guest's real .wasm build under Node.js.
//
// Mirrors tools/native_host.c (same options, same exit codes) but executes the WebAssembly
// module, so the committed artifacts can be driven with redis-cli, redis-benchmark, curl and
// wrk. The real host is the Java agent (Chicory); this one only follows docs/guest-abi.md:
// imports only from "colo", colo_abi_version() == 1 before _initialize, colo_init, then one
// event at a time with input split into deliveries of at most 16 KiB.
//
//   node tools/wasm_host.mjs GUEST.wasm [--disk FILE] [--disk-size BYTES] [--split N]
//                            [--fail-writes-after N] [--fsync] [--quiet] PORT
import fs from 'node:fs';
import net from 'node:net';
import crypto from 'node:crypto';

const MAX_DATA_CHUNK = 16384;
const MAX_TIMERS = 64;
const MAX_DISK_REQUEST = 1024 * 1024;
const SECTOR = 512;
const E = { NOCONN: -1, RANGE: -2, ALIGN: -3, IO: -4, NODISK: -5, LIMIT: -6 };

function usage() {
  console.error('usage: node wasm_host.mjs GUEST.wasm [--disk FILE] [--disk-size BYTES] ' +
    '[--split N] [--fail-writes-after N] [--fsync] [--quiet] PORT');
  process.exit(64);
}

const opts = { disk: null, diskSize: 0, split: MAX_DATA_CHUNK, failWritesAfter: -1, fsync: false, quiet: false };
let wasmPath = null;
let port = -1;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const v = argv[i + 1];
  if (a === '--disk' && v !== undefined) { opts.disk = v; i++; }
  else if (a === '--disk-size' && v !== undefined) { opts.diskSize = Number(v); i++; }
  else if (a === '--split' && v !== undefined) { opts.split = Number(v); i++; }
  else if (a === '--fail-writes-after' && v !== undefined) { opts.failWritesAfter = Number(v); i++; }
  else if (a === '--fsync') { opts.fsync = true; }
  else if (a === '--quiet') { opts.quiet = true; }
  else if (!a.startsWith('-') && wasmPath === null) { wasmPath = a; }
  else if (!a.startsWith('-') && port < 0) { port = Number(a); }
  else { usage(); }
}
if (wasmPath === null || !(port > 0 && port < 65536) || !(opts.split >= 1 && opts.split <= MAX_DATA_CHUNK)) {
  usage();
}

// ---- disk ----
let diskFd = -1;
let diskBytes = 0;
if (opts.disk !== null) {
  diskFd = fs.openSync(opts.disk, fs.existsSync(opts.disk) ? 'r+' : 'w+');
  const st = fs.fstatSync(diskFd);
  diskBytes = opts.diskSize > 0 ? opts.diskSize : (st.size > 0 ? st.size : 64 * 1024 * 1024);
  if (st.size < diskBytes) fs.ftruncateSync(diskFd, diskBytes);
}

function diskCheck(off, len) {
  if (diskFd < 0) return E.NODISK;
  if (off < 0 || len < 0 || off % SECTOR !== 0 || len % SECTOR !== 0) return E.ALIGN;
  if (len > MAX_DISK_REQUEST) return E.LIMIT;
  if (off > diskBytes || len > diskBytes - off) return E.RANGE;
  return 0;
}

// ---- module ----
const module = new WebAssembly.Module(fs.readFileSync(wasmPath));
for (const imp of WebAssembly.Module.imports(module)) {
  if (imp.module !== 'colo') {
    console.error(`wasm_host: invalid guest: imports ${imp.module}.${imp.name}`);
    process.exit(5);
  }
}
const required = ['memory', '_initialize', 'colo_abi_version', 'colo_alloc', 'colo_init',
  'colo_on_open', 'colo_on_data', 'colo_on_close', 'colo_on_timer'];
const exported = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
for (const name of required) {
  if (!exported.has(name)) {
    console.error(`wasm_host: invalid guest: no export ${name}`);
    process.exit(5);
  }
}

let mem = null;
const bytes = (ptr, len) => new Uint8Array(mem.buffer, ptr, len);
const conns = new Map(); // id -> { socket, closed }
const timers = new Map(); // id -> Timeout
const levels = ['debug', 'info', 'warn', 'error'];

const colo = {
  send(id, ptr, len) {
    const c = conns.get(id);
    if (c === undefined || c.closed) return E.NOCONN;
    c.socket.write(Buffer.from(bytes(ptr, len))); // copies
    return len;
  },
  close(id) {
    const c = conns.get(id);
    if (c === undefined || c.closed) return E.NOCONN;
    c.closed = true;
    c.socket.end();
    conns.delete(id);
    return 0;
  },
  clock_realtime() {
    return BigInt(Date.now()) * 1000000n + (process.hrtime.bigint() % 1000000n);
  },
  clock_monotonic() {
    return process.hrtime.bigint();
  },
  random(ptr, len) {
    crypto.randomFillSync(bytes(ptr, len));
  },
  disk_size() {
    return BigInt(diskFd < 0 ? 0 : diskBytes);
  },
  disk_read(off, ptr, len) {
    const o = Number(off);
    const r = diskCheck(o, len);
    if (r !== 0) return r;
    const buf = bytes(ptr, len);
    const n = fs.readSync(diskFd, buf, 0, len, o);
    if (n < len) buf.fill(0, n);
    return 0;
  },
  disk_write(off, ptr, len) {
    const o = Number(off);
    const r = diskCheck(o, len);
    if (r !== 0) return r;
    if (opts.failWritesAfter >= 0) {
      if (opts.failWritesAfter === 0) return E.IO;
      opts.failWritesAfter--;
    }
    fs.writeSync(diskFd, bytes(ptr, len), 0, len, o);
    return 0;
  },
  disk_flush() {
    if (diskFd < 0) return E.NODISK;
    if (opts.fsync) fs.fdatasyncSync(diskFd);
    return 0;
  },
  timer_set(id, delayMs) {
    if (!timers.has(id) && timers.size >= MAX_TIMERS) return E.LIMIT;
    clearTimeout(timers.get(id));
    const d = Number(delayMs);
    timers.set(id, setTimeout(() => { timers.delete(id); guest.colo_on_timer(id); }, d < 0 ? 0 : d));
    return 0;
  },
  timer_cancel(id) {
    clearTimeout(timers.get(id));
    timers.delete(id);
    return 0;
  },
  env_get(namePtr, nameLen, bufPtr, bufLen) {
    const v = process.env[Buffer.from(bytes(namePtr, nameLen)).toString('utf8')];
    if (v === undefined) return -7;
    const b = Buffer.from(v, 'utf8');
    bytes(bufPtr, bufLen).set(b.subarray(0, Math.min(b.length, bufLen)));
    return b.length;
  },
  log(level, ptr, len) {
    if (opts.quiet && level < 2) return;
    console.error(`[guest ${levels[level] ?? '?'}] ${Buffer.from(bytes(ptr, len)).toString('utf8')}`);
  },
};

const instance = new WebAssembly.Instance(module, { colo });
const guest = instance.exports;
mem = guest.memory;

const abi = guest.colo_abi_version();
if (abi !== 1) {
  console.error(`wasm_host: guest ABI version ${abi} is not supported`);
  process.exit(3);
}
guest._initialize();
if (guest.colo_init() !== 0) {
  console.error('wasm_host: colo_init failed');
  process.exit(4);
}

// A trap is a guest crash: report it and stop, like the real host's CRASHED state.
function guestCall(fn) {
  try {
    fn();
  } catch (e) {
    console.error(`wasm_host: guest crashed: ${e}`);
    process.exit(6);
  }
}

let nextId = 1;
const server = net.createServer({ noDelay: true }, (socket) => {
  const id = nextId++;
  const c = { socket, closed: false };
  conns.set(id, c);
  guestCall(() => guest.colo_on_open(id));
  socket.on('data', (data) => {
    let off = 0;
    while (off < data.length && !c.closed) {
      let n = Math.min(data.length - off, MAX_DATA_CHUNK);
      if (opts.split < MAX_DATA_CHUNK) n = Math.min(n, 1 + crypto.randomInt(opts.split));
      const ptr = guest.colo_alloc(n);
      if (ptr === 0) {
        console.error(`wasm_host: colo_alloc(${n}) failed, closing connection ${id}`);
        colo.close(id);
        return;
      }
      bytes(ptr, n).set(data.subarray(off, off + n));
      guestCall(() => guest.colo_on_data(id, ptr, n));
      off += n;
    }
    if (socket.writableLength > 4 * 1024 * 1024) {
      socket.pause();
      socket.once('drain', () => socket.resume());
    }
  });
  const gone = () => {
    if (!c.closed) {
      c.closed = true;
      conns.delete(id);
      guestCall(() => guest.colo_on_close(id));
    }
  };
  socket.on('end', gone);
  socket.on('close', gone);
  socket.on('error', gone);
});
server.listen(port, '127.0.0.1', () => console.error(`wasm_host: listening on 127.0.0.1:${port}`));

function stop() {
  console.error('wasm_host: stopping');
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
