/**
 * Live Kubernetes collection with @kubernetes/client-node: list calls only
 * (nodes, pods, services, endpointslices, configmaps, daemonsets,
 * servicecidrs), each written as a typed list (`NodeList`...) like the API
 * returns it. ServiceCIDR is served from Kubernetes 1.33 (networking.k8s.io/v1):
 * an older API server answers 404, which is no failure.
 */
import { AppsV1Api, CoreV1Api, DiscoveryV1Api, KubeConfig, NetworkingV1Api } from '@kubernetes/client-node';
import type { CallResult } from './aws.js';

/** The kubeconfig of `context` (default: the current one), from the usual places. */
export function loadKubeConfig(context?: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  if (context) kc.setCurrentContext(context);
  return kc;
}

interface ListSpec {
  call: string;
  kind: string;
  apiVersion: string;
  list: (kc: KubeConfig) => Promise<{ items: unknown[] }>;
  /** Served only by newer API servers: a 404 means "not there", not a failure. @default false */
  optional?: boolean;
}

export const K8S_CALLS: ListSpec[] = [
  { call: 'kubectl get nodes', kind: 'NodeList', apiVersion: 'v1', list: (kc) => kc.makeApiClient(CoreV1Api).listNode() },
  { call: 'kubectl get pods -A', kind: 'PodList', apiVersion: 'v1', list: (kc) => kc.makeApiClient(CoreV1Api).listPodForAllNamespaces() },
  { call: 'kubectl get services -A', kind: 'ServiceList', apiVersion: 'v1', list: (kc) => kc.makeApiClient(CoreV1Api).listServiceForAllNamespaces() },
  { call: 'kubectl get endpointslices -A', kind: 'EndpointSliceList', apiVersion: 'discovery.k8s.io/v1', list: (kc) => kc.makeApiClient(DiscoveryV1Api).listEndpointSliceForAllNamespaces() },
  { call: 'kubectl get configmaps -n kube-system', kind: 'ConfigMapList', apiVersion: 'v1', list: (kc) => kc.makeApiClient(CoreV1Api).listNamespacedConfigMap({ namespace: 'kube-system' }) },
  { call: 'kubectl get daemonsets -A', kind: 'DaemonSetList', apiVersion: 'apps/v1', list: (kc) => kc.makeApiClient(AppsV1Api).listDaemonSetForAllNamespaces() },
  { call: 'kubectl get servicecidrs', kind: 'ServiceCIDRList', apiVersion: 'networking.k8s.io/v1', list: (kc) => kc.makeApiClient(NetworkingV1Api).listServiceCIDR(), optional: true },
];

/** True when an optional list's error says the API server does not serve it (HTTP 404). */
export function notServed(spec: ListSpec, e: unknown): boolean {
  return !!spec.optional && (e as { code?: number })?.code === 404;
}

/** `aws eks describe-cluster` for the clusters the instances' tags name: @aws-sdk/client-eks is not a dependency, so collect prints the command. */
export function eksDescribeCommands(reservations: unknown[], out: string, region: string, profile?: string): string[] {
  const names = new Set<string>();
  for (const r of reservations as { Instances?: { Tags?: { Key?: string; Value?: string }[] }[] }[]) {
    for (const i of r.Instances ?? []) {
      for (const t of i.Tags ?? []) {
        // EKS managed node groups tag their instances eks:cluster-name; every node of a cluster carries kubernetes.io/cluster/NAME.
        if (t.Key === 'eks:cluster-name' && t.Value) names.add(t.Value);
        const m = /^kubernetes\.io\/cluster\/(.+)$/.exec(t.Key ?? '');
        if (m) names.add(m[1]!);
      }
    }
  }
  const p = profile ? ` --profile ${profile}` : '';
  return [...names].sort().map((n) => `aws eks describe-cluster --region ${region}${p} --name ${n} > ${out}/aws/eks-describe-cluster.${n}.json`);
}

export async function runList(spec: ListSpec, kc: KubeConfig): Promise<CallResult> {
  const r = await spec.list(kc);
  const file = `k8s/${spec.kind.replace(/List$/, '').toLowerCase()}s.json`;
  // JSON round trip: the client's model classes carry Dates; the snapshot holds plain API JSON.
  const items = JSON.parse(JSON.stringify(r.items)) as unknown[];
  return { call: spec.call, file, body: { apiVersion: spec.apiVersion, kind: spec.kind, items } as unknown as Record<string, unknown[]>, pages: 1, items: items.length };
}
