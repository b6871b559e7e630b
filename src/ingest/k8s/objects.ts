/**
 * Kubernetes objects as `kubectl get ... -o json` and the API print them:
 * `kind: List` with typed items, or typed lists (`NodeList`, `PodList`...)
 * whose items carry no `kind`. Only the fields podpath reads are declared;
 * everything else passes through (z.looseObject).
 */
import { z } from 'zod';

const Meta = z.looseObject({
  name: z.string(),
  namespace: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
});

export const K8sNode = z.looseObject({
  metadata: Meta,
  spec: z.looseObject({ podCIDR: z.string().optional(), podCIDRs: z.array(z.string()).optional(), providerID: z.string().optional() }).default({}),
  status: z.looseObject({ addresses: z.array(z.looseObject({ type: z.string(), address: z.string() })).default([]) }).default({ addresses: [] }),
});
export type K8sNode = z.infer<typeof K8sNode>;

const PodContainer = z.looseObject({ name: z.string(), command: z.array(z.string()).optional(), args: z.array(z.string()).optional() });

export const K8sPod = z.looseObject({
  metadata: Meta,
  spec: z.looseObject({ nodeName: z.string().optional(), hostNetwork: z.boolean().optional(), containers: z.array(PodContainer).default([]) }).default({ containers: [] }),
  status: z.looseObject({ podIP: z.string().optional(), phase: z.string().optional() }).default({}),
});
export type K8sPod = z.infer<typeof K8sPod>;

export const K8sService = z.looseObject({
  metadata: Meta,
  spec: z.looseObject({
    type: z.string().optional(),
    clusterIP: z.string().optional(),
    /** Every ClusterIP of a dual-stack Service (IPv4 and IPv6); `clusterIP` is the first. */
    clusterIPs: z.array(z.string()).optional(),
    ports: z.array(z.looseObject({ name: z.string().optional(), port: z.number().int(), protocol: z.string().optional(), targetPort: z.union([z.number(), z.string()]).optional() })).default([]),
  }),
});
export type K8sService = z.infer<typeof K8sService>;

export const K8sEndpointSlice = z.looseObject({
  metadata: Meta,
  addressType: z.string().optional(),
  endpoints: z.array(z.looseObject({ addresses: z.array(z.string()), conditions: z.looseObject({ ready: z.boolean().optional() }).optional() })).nullish(),
});
export type K8sEndpointSlice = z.infer<typeof K8sEndpointSlice>;

export const K8sConfigMap = z.looseObject({ metadata: Meta, data: z.record(z.string(), z.string()).optional() });
export type K8sConfigMap = z.infer<typeof K8sConfigMap>;

const Container = z.looseObject({
  name: z.string(),
  env: z.array(z.looseObject({ name: z.string(), value: z.string().optional() })).optional(),
  args: z.array(z.string()).optional(),
  command: z.array(z.string()).optional(),
});
export const K8sDaemonSet = z.looseObject({
  metadata: Meta,
  spec: z.looseObject({ template: z.looseObject({ spec: z.looseObject({ containers: z.array(Container).default([]) }) }) }),
});
export type K8sDaemonSet = z.infer<typeof K8sDaemonSet>;

/**
 * A networking.k8s.io/v1 ServiceCIDR (Kubernetes 1.33+): the ranges ClusterIPs
 * are allocated from, at most one per IP family; the apiserver creates the one
 * named `kubernetes` from --service-cluster-ip-range, and more can be added.
 */
export const K8sServiceCidr = z.looseObject({
  metadata: Meta.extend({ deletionTimestamp: z.string().optional() }),
  spec: z.looseObject({ cidrs: z.array(z.string()).default([]) }).default({ cidrs: [] }),
});
export type K8sServiceCidr = z.infer<typeof K8sServiceCidr>;

/** The item kinds podpath reads, and their schemas. */
export const ITEM_SCHEMAS = {
  Node: K8sNode,
  Pod: K8sPod,
  Service: K8sService,
  EndpointSlice: K8sEndpointSlice,
  ConfigMap: K8sConfigMap,
  DaemonSet: K8sDaemonSet,
  ServiceCIDR: K8sServiceCidr,
} as const;
export type ItemKind = keyof typeof ITEM_SCHEMAS;

/** A list document: `kind` is `List` or `<Kind>List`. */
export const K8sList = z.looseObject({
  kind: z.string().regex(/List$/, 'expected a kubectl list (kind List or <Kind>List)'),
  // Only each item's kind is checked (and kept) here: the item itself is read by its kind's schema,
  // so copying its other fields at this step would be wasted on lists of thousands of items.
  items: z.array(z.object({ kind: z.string().optional() })),
});
