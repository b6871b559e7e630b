/**
 * Where the planned CIDRs go, per installer: kubeadm's ClusterConfiguration
 * (networking.podSubnet / serviceSubnet, controller-manager node-cidr-mask-size),
 * kops' cluster spec (networking.podCIDR via kubeControllerManager.clusterCIDR,
 * serviceClusterIPRange, nonMasqueradeCIDR) and eksctl (kubernetesNetworkConfig
 * .serviceIPv4CIDR; pods come from VPC subnets with the VPC CNI, so a pod
 * range means custom networking on secondary-block subnets).
 */

/** One installer's settings. */
export interface Setting {
  kind: 'cluster-settings';
  how: string;
  text: string;
}

export function clusterSettings(c: { podCidr: string; serviceCidr: string; perNodeLen: number; dnsServiceIp: string }): Setting[] {
  return [
    { kind: 'cluster-settings', how: 'kubeadm init --config (ClusterConfiguration)', text: [
      'apiVersion: kubeadm.k8s.io/v1beta3', 'kind: ClusterConfiguration', 'networking:', `  podSubnet: ${c.podCidr}`, `  serviceSubnet: ${c.serviceCidr}`,
      'controllerManager:', '  extraArgs:', `    node-cidr-mask-size: "${c.perNodeLen}"`, `# cluster DNS VIP (kubeadm picks the 10th address): ${c.dnsServiceIp}`, ''].join('\n') },
    { kind: 'cluster-settings', how: 'kops edit cluster (spec)', text: [
      'spec:', `  serviceClusterIPRange: ${c.serviceCidr}`, `  nonMasqueradeCIDR: ${c.podCidr}`, '  kubeControllerManager:', `    clusterCIDR: ${c.podCidr}`, ''].join('\n') },
    { kind: 'cluster-settings', how: 'eksctl ClusterConfig (new cluster; service range cannot change in place)', text: [
      'kubernetesNetworkConfig:', `  serviceIPv4CIDR: ${c.serviceCidr}`, `# pods: VPC CNI custom networking on subnets of a secondary VPC block inside ${c.podCidr}`, ''].join('\n') },
  ];
}
