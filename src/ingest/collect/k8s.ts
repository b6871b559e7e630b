/**
 * Live Kubernetes collection with @kubernetes/client-node: list calls only
 * (nodes, pods, services, endpointslices, configmaps, daemonsets), each
 * written as a typed list (`NodeList`...) like the API returns it.
 */
import { AppsV1Api, CoreV1Api, DiscoveryV1Api, KubeConfig } from '@kubernetes/client-node';
import type { CallResult } from './aws.js';

/** The kubeconfig of `context` (default: the current one), from the usual places. */
export function loadKubeConfig(context?: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  if (context) kc.setCurrentContext(context);
  return kc;
}

interface ListSpec { call: string; kind: string; apiVersion: string; list: (kc: KubeConfig) => Promise<{ items: unknown[] }> }

export const K8S_CALLS: ListSpec[] = [
  { call: 'kubectl get nodes', kind: 'NodeList', apiVersion: 'v1', list: (kc) => kc.makeApiClient(CoreV1Api).listNode() },
  { call: 'kubectl get pods -A', kind: 'PodList', apiVersion: 'v1', list: (kc) => kc.makeApiClient(CoreV1Api).listPodForAllNamespaces() },
  { call: 'kubectl get services -A', kind: 'ServiceList', apiVersion: 'v1', list: (kc) => kc.makeApiClient(CoreV1Api).listServiceForAllNamespaces() },
  { call: 'kubectl get endpointslices -A', kind: 'EndpointSliceList', apiVersion: 'discovery.k8s.io/v1', list: (kc) => kc.makeApiClient(DiscoveryV1Api).listEndpointSliceForAllNamespaces() },
  { call: 'kubectl get configmaps -n kube-system', kind: 'ConfigMapList', apiVersion: 'v1', list: (kc) => kc.makeApiClient(CoreV1Api).listNamespacedConfigMap({ namespace: 'kube-system' }) },
  { call: 'kubectl get daemonsets -A', kind: 'DaemonSetList', apiVersion: 'apps/v1', list: (kc) => kc.makeApiClient(AppsV1Api).listDaemonSetForAllNamespaces() },
];

export async function runList(spec: ListSpec, kc: KubeConfig): Promise<CallResult> {
  const r = await spec.list(kc);
  const file = `k8s/${spec.kind.replace(/List$/, '').toLowerCase()}s.json`;
  // JSON round trip: the client's model classes carry Dates; the snapshot holds plain API JSON.
  const items = JSON.parse(JSON.stringify(r.items)) as unknown[];
  return { call: spec.call, file, body: { apiVersion: spec.apiVersion, kind: spec.kind, items } as unknown as Record<string, unknown[]>, pages: 1, items: items.length };
}
