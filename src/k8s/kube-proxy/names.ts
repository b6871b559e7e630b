/**
 * kube-proxy's chain names (pkg/proxy/iptables/proxier.go, portProtoHash and
 * friends): the first 16 characters of base32(sha256(servicePortName +
 * protocol [+ endpoint])), after a prefix, so names fit iptables' 28
 * characters. servicePortName is `namespace/name:portName` (the colon stays
 * when the port has no name); protocol is lowercase; endpoint is `ip:port`.
 *
 * Verified against real dumps: default/kubernetes:https tcp -> KUBE-SVC-NPX46M4PTMTKRN6Y,
 * kube-system/kube-dns:dns udp 10.244.0.3:53 -> KUBE-SEP-6E7XQMQ4RAYOWTTM.
 */
import { base32, sha256 } from './sha256.js';

/** `namespace/name:portName`. */
export function servicePortName(namespace: string, name: string, portName = ''): string {
  return `${namespace}/${name}:${portName}`;
}

/** The 16-character hash kube-proxy puts after its prefixes. */
export function portProtoHash(spn: string, protocol: string, endpoint = ''): string {
  return base32(sha256(`${spn}${protocol}${endpoint}`)).slice(0, 16);
}

/** KUBE-SVC-* (cluster policy), KUBE-SVL-* (local policy), KUBE-EXT-* (external traffic), KUBE-FW-* (firewall). */
export const svcChain = (spn: string, proto: string): string => `KUBE-SVC-${portProtoHash(spn, proto)}`;
export const svlChain = (spn: string, proto: string): string => `KUBE-SVL-${portProtoHash(spn, proto)}`;
export const extChain = (spn: string, proto: string): string => `KUBE-EXT-${portProtoHash(spn, proto)}`;
/** KUBE-SEP-* of one endpoint (`ip:port`). */
export const sepChain = (spn: string, proto: string, endpoint: string): string => `KUBE-SEP-${portProtoHash(spn, proto, endpoint)}`;
