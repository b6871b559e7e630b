/** Evidence from native nft counters (src/lab/nft-counters.ts), on a listing in `nft -a list ruleset`'s format. */
import { expect, it } from 'vitest';
import { counterRises, parseCounters } from '../../src/lab/nft-counters.js';

const listing = (drop: number, restore: number) => `table ip filter { # handle 1
	chain FORWARD { # handle 2
		type filter hook forward priority filter; policy accept;
		meta l4proto icmp counter packets 9 bytes 756 drop # handle 4
	}
}
table ip pp-native { # handle 3
	chain pp-drop { # handle 1
		type filter hook forward priority filter + 10; policy accept;
		udp dport 53 counter packets ${drop} bytes 0 reject # handle 2
	}
}
table ip aws-cni { # handle 4
	chain mangle-prerouting { # handle 1
		type filter hook prerouting priority mangle; policy accept;
		iifname "eni*" counter packets ${restore} bytes 0 meta mark set ct mark & 0x00000080 # handle 3
	}
}
`;

it('reads the counted rules of native tables, leaving iptables-nft\'s tables to iptables-save', () => {
  expect([...parseCounters(listing(2, 5))]).toEqual([
    ['ip pp-native pp-drop #2', [2, 'udp dport 53 counter packets 2 bytes 0 reject']],
    ['ip aws-cni mangle-prerouting #3', [5, 'iifname "eni*" counter packets 5 bytes 0 meta mark set ct mark & 0x00000080']],
  ]);
});

it('reports only the rules whose packet count rose between two readings', () => {
  const before = new Map([['ns1', parseCounters(listing(2, 5))]]);
  const after = new Map([['ns1', parseCounters(listing(2, 7))], ['ns2', parseCounters(listing(0, 0))]]);
  expect([...counterRises(before, after)]).toEqual([['ns1', ['nft ip aws-cni mangle-prerouting #3: +2 packets: iifname "eni*" counter packets 7 bytes 0 meta mark set ct mark & 0x00000080']]]);
});
