/**
 * The change a candidate proposes, in the forms people apply: an
 * iptables-restore fragment, AWS CLI commands and Terraform snippets.
 * Rendering only; the model-copy edit lives next to each candidate.
 */

/** A ready-to-apply form of a change. */
export interface Artifact {
  kind: 'ip-masq-agent-configmap' | 'iptables-restore' | 'aws-cli' | 'terraform' | 'cluster-settings';
  /** Where it goes or how to run it, one line. */
  how: string;
  text: string;
}

const tfName = (...parts: string[]) => parts.join('_').replace(/[^A-Za-z0-9_]/g, '_');

/** `iptables-restore --noflush` input inserting rules at the top of nat POSTROUTING; `match` is the destination match. */
export function masqueradeRestore(rules: { match: string; comment: string }[]): Artifact {
  const lines = ['*nat', ...rules.map((r) => `-I POSTROUTING 1 ${r.match} -o eth0 -m comment --comment "${r.comment}" -j MASQUERADE`), 'COMMIT', ''];
  return { kind: 'iptables-restore', how: 'on every node: iptables-restore --noflush < fragment (or the node bootstrap script)', text: lines.join('\n') };
}

function portArgs(proto: string, ports?: string | number): { from: number; to: number } {
  if (proto === 'all' || proto === '-1') return { from: -1, to: -1 };
  if (ports === undefined) return { from: 0, to: 65535 };
  const [a, b] = String(ports).split('-');
  return { from: Number(a), to: Number(b ?? a) };
}

/** Security group ingress rule: AWS CLI and Terraform. */
export function sgIngress(sg: string, proto: string, ports: string | number | undefined, cidr: string, why: string): Artifact[] {
  const p = portArgs(proto, ports);
  const ipProto = proto === 'all' ? '-1' : proto;
  return [
    { kind: 'aws-cli', how: 'run once with credentials for the account', text: `aws ec2 authorize-security-group-ingress --group-id ${sg} --ip-permissions 'IpProtocol=${ipProto},FromPort=${p.from},ToPort=${p.to},IpRanges=[{CidrIp=${cidr},Description="${why}"}]'\n` },
    { kind: 'terraform', how: 'add to the module that owns the security group', text: [
      `resource "aws_vpc_security_group_ingress_rule" "${tfName(sg, 'from', cidr)}" {`,
      `  security_group_id = "${sg}"`,
      `  cidr_ipv4         = "${cidr}"`,
      `  ip_protocol       = "${ipProto}"`,
      ...(p.from >= 0 ? [`  from_port         = ${p.from}`, `  to_port           = ${p.to}`] : []),
      `  description       = "${why}"`,
      '}', ''].join('\n') },
  ];
}

/** A network ACL entry: AWS CLI and Terraform. */
export function naclEntry(acl: string, direction: 'ingress' | 'egress', rule: number, proto: string, from: number, to: number, cidr: string): Artifact[] {
  return [
    { kind: 'aws-cli', how: 'run once with credentials for the account', text: `aws ec2 create-network-acl-entry --network-acl-id ${acl} ${direction === 'egress' ? '--egress' : '--ingress'} --rule-number ${rule} --protocol ${proto} --port-range From=${from},To=${to} --cidr-block ${cidr} --rule-action allow\n` },
    { kind: 'terraform', how: 'add to the module that owns the network ACL', text: [
      `resource "aws_network_acl_rule" "${tfName(acl, direction, String(rule))}" {`,
      `  network_acl_id = "${acl}"`, `  egress         = ${direction === 'egress'}`, `  rule_number    = ${rule}`, `  protocol       = "${proto}"`,
      `  rule_action    = "allow"`, `  cidr_block     = "${cidr}"`, `  from_port      = ${from}`, `  to_port        = ${to}`, '}', ''].join('\n') },
  ];
}

function targetArg(target: string): { cli: string; tf: string } {
  if (target.startsWith('pcx-')) return { cli: `--vpc-peering-connection-id ${target}`, tf: `vpc_peering_connection_id = "${target}"` };
  if (target.startsWith('i-')) return { cli: `--instance-id ${target}`, tf: `network_interface_id      = "<primary ENI of ${target}>"` };
  if (target.startsWith('igw-')) return { cli: `--gateway-id ${target}`, tf: `gateway_id                = "${target}"` };
  return { cli: `--gateway-id ${target}`, tf: `gateway_id                = "${target}"` };
}

/** A route: AWS CLI and Terraform. */
export function route(table: string, destination: string, target: string): Artifact[] {
  const t = targetArg(target);
  return [
    { kind: 'aws-cli', how: 'run once with credentials for the account', text: `aws ec2 create-route --route-table-id ${table} --destination-cidr-block ${destination} ${t.cli}\n` },
    { kind: 'terraform', how: 'add to the module that owns the route table', text: [
      `resource "aws_route" "${tfName(table, destination)}" {`, `  route_table_id            = "${table}"`, `  destination_cidr_block    = "${destination}"`, `  ${t.tf}`, '}', ''].join('\n') },
  ];
}

/** Deleting a route: AWS CLI and the Terraform change. */
export function deleteRoute(table: string, destination: string): Artifact[] {
  return [
    { kind: 'aws-cli', how: 'run once with credentials for the account', text: `aws ec2 delete-route --route-table-id ${table} --destination-cidr-block ${destination}\n` },
    { kind: 'terraform', how: 'in the module that owns the route table', text: `# remove the aws_route (or inline route block) of ${table} with destination_cidr_block = "${destination}"\n` },
  ];
}

/** Turning off an instance's source/destination check. */
export function sourceDestCheckOff(instance: string): Artifact[] {
  return [
    { kind: 'aws-cli', how: 'run once with credentials for the account', text: `aws ec2 modify-instance-attribute --instance-id ${instance} --no-source-dest-check\n` },
    { kind: 'terraform', how: 'on the aws_instance (or launch template network interface)', text: `  source_dest_check = false   # ${instance}\n` },
  ];
}
