/**
 * `--help` examples, by command path. Every command has at least one; they
 * use the examples shipped in the package (examples/), so they run as shown
 * from the package folder.
 */
export const EXAMPLES: Record<string, string[]> = {
  'podpath': ['podpath demo', 'podpath trace --estate examples/seed-2015.estate.yaml pod:api-7f9 rds:prod-db:5432', 'podpath doctor --snapshot examples/seed-2015'],
  'podpath demo': ['podpath demo', 'podpath demo -o json', 'podpath demo --snapshot examples/seed-2015'],
  'podpath trace': [
    'podpath trace --estate examples/seed-2015.estate.yaml pod:api-7f9 rds:prod-db:5432',
    'podpath trace --snapshot examples/seed-2015 node:node-1 10.0.18.52:5432 -o json',
    'podpath trace --estate examples/tgw-egress.estate.yaml instance:i-a-1a 93.184.216.34:443',
  ],
  'podpath iptables': ['podpath iptables check examples/seed-2015/nodes/node-1/iptables-save.txt'],
  'podpath iptables check': ['podpath iptables check examples/seed-2015/nodes/node-1/iptables-save.txt', 'iptables -t nat -S | podpath iptables check /dev/stdin --table nat'],
  'podpath iptables trace': [
    'podpath iptables trace --node examples/seed-2015/nodes/node-1 --addr eth0=172.20.0.23/24 --src 10.244.1.5 --dst 10.0.18.52:5432 --in cbr0',
    'podpath iptables trace examples/seed-2015/nodes/node-1/iptables-save.txt --src 172.20.0.23 --dst 10.100.0.10:53 --proto udp --local',
  ],
  'podpath snapshot': ['podpath snapshot check examples/seed-2015'],
  'podpath snapshot check': ['podpath snapshot check examples/seed-2015', 'podpath snapshot check my-snapshot -o json'],
  'podpath collect': ['AWS_PROFILE=prod podpath collect --out snap', 'podpath collect --region eu-west-1 --context prod-eks --out snap'],
  'podpath doctor': ['podpath doctor --snapshot examples/seed-2015', 'podpath doctor --estate examples/seed-2015.estate.yaml -o sarif > podpath.sarif', 'podpath doctor --snapshot snap --fail-on error -o junit > podpath.xml'],
  'podpath fix': ['podpath fix --estate examples/seed-2015.estate.yaml', 'podpath fix --snapshot examples/seed-2015 --finding PP101 -o json'],
  'podpath plan': ['podpath plan --estate examples/seed-2015.estate.yaml', 'podpath plan --snapshot snap --nodes 300 --on-prem 192.168.0.0/16'],
  'podpath diff': ['podpath diff examples/seed-2015.estate.yaml examples/seed-2015', 'podpath diff before/ after/ -o json'],
  'podpath report': ['podpath report --estate examples/seed-2015.estate.yaml --html seed.html', 'podpath report --snapshot examples/seed-2015 --html report.html'],
  'podpath completion': ['podpath completion bash > /etc/bash_completion.d/podpath', 'podpath completion zsh > "${fpath[1]}/_podpath"', 'podpath completion fish > ~/.config/fish/completions/podpath.fish'],
  'podpath nft': ['podpath nft check examples/nft-vpc-cni-calico-mark/nft-ruleset.txt'],
  'podpath nft check': ['podpath nft check examples/nft-vpc-cni-calico-mark/nft-ruleset.txt', 'podpath nft check nodes/node-1/nft-ruleset.json'],
  'podpath nft trace': ['podpath nft trace nodes/node-1/nft-ruleset.json --iptables nodes/node-1/iptables-save.txt --src 10.244.1.5 --dst 10.0.18.52:5432 --in eni1a2b --out eth0 --addr eth0=172.20.0.23/24'],
  'podpath gen': ['podpath gen --vpcs 48 --clusters 5 --nodes-per-cluster 6 --services 60 --seed 1 --out /tmp/estate', 'podpath gen --vpcs 48 --clusters 5 --nodes-per-cluster 6 --services 60 --seed 1 --clean --out /tmp/clean'],
  'podpath agent': ['podpath agent --config /etc/config/ip-masq-agent --once --dry-run', 'podpath agent --check', 'podpath agent --uninstall --once'],
  'podpath lab': ['sudo podpath lab up --estate examples/seed-2015.estate.yaml --name seed', 'sudo podpath lab check seed', 'sudo podpath lab down seed'],
  'podpath lab up': ['sudo podpath lab up --estate examples/seed-2015.estate.yaml --name seed'],
  'podpath lab exec': ['sudo podpath lab exec seed pod:api-7f9 -- psql -h 10.0.18.52 -c "select 1"'],
  'podpath lab check': ['sudo podpath lab check seed'],
  'podpath lab down': ['sudo podpath lab down seed'],
  'podpath lab gc': ['sudo podpath lab gc'],
};

/** The help text block for a command path, or undefined when it has none. */
export function examplesHelp(path: string): string | undefined {
  const list = EXAMPLES[path];
  return list ? `\nExamples:\n${list.map((e) => `  $ ${e}`).join('\n')}\n` : undefined;
}
