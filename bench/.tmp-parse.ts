import { kubeProxyDump } from '../test/linux/iptables/generate.js';
import { parseIptablesSave } from '../src/linux/iptables/parse.js';
import { tokenize } from '../src/linux/iptables/tokenize.js';
import { splitLines } from '../src/linux/iptables/parse.js';
const text = kubeProxyDump(8000, 2);
for (let k = 0; k < 3; k++) {
  let t = performance.now();
  const r = parseIptablesSave({ text });
  console.log('parse', performance.now() - t);
  t = performance.now();
  let c = 0; for (const l of splitLines(text)) c += tokenize(l).tokens.length;
  console.log('tokenize only', performance.now() - t, c);
}
