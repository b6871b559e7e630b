/**
 * Which mode the cluster's kube-proxy runs in, from the snapshot's objects:
 * its configuration file in a kube-system ConfigMap (`kube-proxy` with
 * `config.conf`, as kubeadm writes it; `kube-proxy-config` with `config`, as
 * EKS does), else the kube-proxy DaemonSet's `--proxy-mode` flag. The file
 * wins: with `--config`, kube-proxy's configuration file takes precedence over
 * its flags (kubernetes/kubernetes issue 108737, PR 120354 discussion).
 * An empty or absent mode is kube-proxy's Linux default, iptables.
 */
import type { VendorRecords } from './collect-docs.js';

/** The mode and where it was read. */
export interface KubeProxyMode {
  mode: string;
  from: string;
}

const CONFIGS: [string, string][] = [['kube-proxy', 'config.conf'], ['kube-proxy-config', 'config']];

/** The mode when the snapshot says it; undefined when it holds neither the ConfigMap nor the DaemonSet. */
export function kubeProxyMode(r: VendorRecords): KubeProxyMode | undefined {
  for (const [name, key] of CONFIGS) {
    const cm = r.configMaps.find((c) => c.metadata.name === name && (c.metadata.namespace ?? 'kube-system') === 'kube-system');
    const text = cm?.data?.[key];
    if (cm && text !== undefined) {
      // A top-level key of the KubeProxyConfiguration YAML (not indented).
      const m = /^mode:[ \t]*(?:"([^"]*)"|'([^']*)'|([^\s#]*))/m.exec(text);
      const mode = m?.[1] ?? m?.[2] ?? m?.[3] ?? '';
      return { mode: mode || 'iptables', from: `${cm.file}: ConfigMap kube-system/${name} ${key}${mode ? ` mode: ${mode}` : ' (no mode: the default)'}` };
    }
  }
  const ds = r.daemonSets.find((d) => d.metadata.name === 'kube-proxy');
  if (!ds) return undefined;
  for (const c of ds.spec.template.spec.containers) {
    const argv = [...(c.command ?? []), ...(c.args ?? [])];
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      const v = a.startsWith('--proxy-mode=') ? a.slice('--proxy-mode='.length) : a === '--proxy-mode' ? argv[i + 1] : undefined;
      if (v !== undefined) return { mode: v || 'iptables', from: `${ds.file}: DaemonSet kube-proxy --proxy-mode=${v}` };
    }
  }
  return { mode: 'iptables', from: `${ds.file}: DaemonSet kube-proxy (no --proxy-mode: the default)` };
}
