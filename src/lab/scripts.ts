/**
 * Small Node.js programs the lab runs inside namespaces with `node -e`
 * (kept as source text so they work from src/ and dist/ alike):
 * - PROBE: one client attempt, printed as one JSON line:
 *   `tcp` connect from SRC:SPORT, `udp` send and wait for any datagram from
 *   the connected peer (a DNS query when the port is 53, so real DNS servers
 *   answer), `dns` query a server for a name and report rcode and A records.
 *   Results: connected | refused (ECONNREFUSED: a TCP RST or an ICMP port
 *   unreachable) | unreachable (another ICMP error or a local refusal:
 *   EHOSTUNREACH, ENETUNREACH, EACCES, EPERM, EINVAL from a blackhole
 *   route...) | timeout | error, with the
 *   error code as detail.
 * - RESPONDER: listens on the given TCP ports (accepts, closes) and UDP
 *   ports on each given address (echoes from that address), prints `ready`
 *   once every socket is bound.
 * Every wait is bounded by the given timeout (at most a few seconds).
 */

export const PROBE = String.raw`
const net = require('node:net'), dgram = require('node:dgram');
const a = JSON.parse(process.argv[1]);
const done = (o) => { process.stdout.write(JSON.stringify(o) + '\n'); process.exit(0); };
const kind = (e) => e.code === 'ECONNREFUSED' ? 'refused' : /UNREACH|ENETDOWN|EHOSTDOWN|EACCES|EPERM|EINVAL|ENONET|ENOPROTOOPT/.test(e.code || '') ? 'unreachable' : 'error';
function query(name) {
  const id = Math.floor(Math.random() * 65536);
  const parts = name.replace(/\.$/, '').split('.');
  const q = Buffer.concat([Buffer.from([id >> 8, id & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
    ...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p)])), Buffer.from([0, 0, 1, 0, 1])]);
  return q;
}
function skipName(b, o) { for (;;) { const l = b[o]; if (l === undefined) return b.length; if (l >= 192) return o + 2; if (l === 0) return o + 1; o += l + 1; } }
function parse(b) {
  const rcode = b[3] & 15, qd = b.readUInt16BE(4), an = b.readUInt16BE(6);
  let o = 12;
  for (let i = 0; i < qd; i++) o = skipName(b, o) + 4;
  const answers = [];
  for (let i = 0; i < an && o < b.length; i++) {
    o = skipName(b, o);
    const type = b.readUInt16BE(o), len = b.readUInt16BE(o + 8);
    if (type === 1 && len === 4) answers.push([...b.subarray(o + 10, o + 14)].join('.'));
    o += 10 + len;
  }
  return { rcode: ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'][rcode] || String(rcode), answers };
}
setTimeout(() => done({ result: 'timeout' }), a.timeoutMs).unref();
if (a.mode === 'tcp') {
  const s = net.connect({ host: a.dst, port: a.port, localAddress: a.src, localPort: a.sport });
  s.on('connect', () => { s.resetAndDestroy(); done({ result: 'connected' }); });
  s.on('error', (e) => done({ result: kind(e), detail: e.code }));
} else {
  const s = dgram.createSocket('udp4');
  s.on('error', (e) => done({ result: kind(e), detail: e.code }));
  s.bind({ address: a.src, port: a.sport || 0 }, () => s.connect(a.port, a.dst, (e) => {
    if (e) return done({ result: kind(e), detail: e.code });
    s.on('message', (m) => done(a.mode === 'dns' ? { result: 'connected', ...parse(m) } : { result: 'connected' }));
    s.send(a.mode === 'dns' || a.port === 53 ? query(a.name || 'podpath-lab-probe.invalid') : Buffer.from('podpath-lab'));
  }));
}
setInterval(() => {}, 1000);
`;

export const RESPONDER = String.raw`
const net = require('node:net'), dgram = require('node:dgram');
const a = JSON.parse(process.argv[1]);
let pending = a.tcp.length + a.udp.length;
const ready = () => { if (--pending === 0) process.stdout.write('ready\n'); };
if (pending === 0) process.stdout.write('ready\n');
for (const port of a.tcp) {
  const srv = net.createServer((s) => { s.on('error', () => {}); s.end(); });
  srv.on('error', (e) => { process.stdout.write('error tcp ' + port + ' ' + e.code + '\n'); process.exit(1); });
  srv.listen(port, '0.0.0.0', ready);
}
// One UDP socket per local address, so each answer leaves from the address asked (as a server using IP_PKTINFO would).
pending += a.udp.length * (a.addresses.length - 1);
for (const port of a.udp) for (const addr of a.addresses) {
  const s = dgram.createSocket('udp4');
  s.on('message', (m, r) => s.send(m, r.port, r.address));
  s.on('error', (e) => { process.stdout.write('error udp ' + port + ' ' + e.code + '\n'); process.exit(1); });
  s.bind(port, addr, ready);
}
process.on('SIGTERM', () => process.exit(0));
`;
