/** A small EKS-like estate (VPC CNI pods on addresses of the nodes' ENIs), shared by the ENI tests. */

/** Two VPC CNI nodes whose pods hold secondary addresses of the nodes' ENIs; the cluster group admits only itself. */
export const eks = (extra = '') => `
name: eks-secondary-ips
vpcs:
  - { id: vpc-eks, cidrBlocks: [10.0.0.0/16] }
subnets:
  - { id: subnet-a, vpc: vpc-eks, cidr: 10.0.0.0/19 }
  - { id: subnet-b, vpc: vpc-eks, cidr: 10.0.32.0/19 }
routeTables:
  - { id: rtb-eks, vpc: vpc-eks, main: true }
securityGroups:
  - id: sg-cluster
    vpc: vpc-eks
    ingress:
      - { proto: all, sg: sg-cluster }
instances:
  - { id: i-n1, subnet: subnet-a, privateIp: 10.0.1.10, secondaryIps: [10.0.1.20], securityGroups: [sg-cluster] }
  - { id: i-n2, subnet: subnet-b, privateIp: 10.0.33.10, secondaryIps: [10.0.33.20], securityGroups: [sg-cluster] }
nodes:
  - name: n1
    instance: i-n1
    routes: |
      default via 10.0.0.1 dev eth0
      10.0.0.0/19 dev eth0 proto kernel scope link src 10.0.1.10
      10.0.1.20 dev eni1a scope link
  - name: n2
    instance: i-n2
    routes: |
      default via 10.0.32.1 dev eth0
      10.0.32.0/19 dev eth0 proto kernel scope link src 10.0.33.10
      10.0.33.20 dev eni2a scope link
pods:
  - { name: a, node: n1, ip: 10.0.1.20 }
  - { name: b, node: n2, ip: 10.0.33.20 }
${extra}`;

