/**
 * iptables-nft's own tables in an `nft list ruleset` listing: set aside when
 * the iptables dump holds the same table (the dump is walked, once), walked
 * when it does not, and never confused with a native table of another shape.
 */
import { describe, expect, it } from 'vitest';
import { parseNftText } from '../../../src/linux/nftables/parse-text.js';
import { walkHookWithNft } from '../../../src/linux/nftables/hook.js';
import { isIptablesNftTable } from '../../../src/linux/nftables/iptables-nft.js';
import { parseIptablesSave } from '../../../src/linux/iptables/parse.js';
import type { NetfilterContext, Ruleset } from '../../../src/linux/iptables/types.js';
import { parseIpv4 } from '../../../src/net/ipv4.js';

const ctx: NetfilterContext = { isLocal: () => false, ifaceAddress: () => undefined, ctState: 'NEW', inIface: 'eni1', outIface: 'eth0' };
const packet = { src: parseIpv4('10.0.1.80'), dst: parseIpv4('10.0.33.20'), proto: 'tcp' as const, sport: 40000, dport: 80 };
// What nft 1.0.6 prints for `-A PREROUTING -i eni+ -j CONNMARK --restore-mark --nfmask 0x80 --ctmask 0x80`: the whole mark replaced.
const LISTING = `table ip mangle {
	chain PREROUTING {
		type filter hook prerouting priority mangle; policy accept;
		iifname "eni*" counter packets 0 bytes 0 meta mark set ct mark and 0x80
	}
}
table ip own {
	chain PREROUTING {
		type filter hook prerouting priority mangle + 10; policy accept;
		meta mark set meta mark | 0x2
	}
}
`;
const DUMP = '*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -i eni+ -j CONNMARK --restore-mark --nfmask 0x80 --ctmask 0x80\nCOMMIT\n';
const dump: Ruleset = parseIptablesSave({ text: DUMP, file: 'iptables-save.txt' }).value;
const none: Ruleset = { tables: new Map(), file: 'none' };

describe('iptables-nft tables in an nft listing', () => {
  const nft = parseNftText(LISTING, 'nft-ruleset.txt');
  it('are recognised by family, name and built-in chain names only', () => {
    expect(nft.tables.map((t) => `${t.name}:${isIptablesNftTable(t)}`)).toEqual(['mangle:true', 'own:false']);
    const renamed = parseNftText(LISTING.replace('chain PREROUTING {\n\t\ttype filter hook prerouting priority mangle;', 'chain pre {\n\t\ttype filter hook prerouting priority mangle;'), 'x.nft');
    expect(isIptablesNftTable(renamed.tables[0]!)).toBe(false);
    const inet = parseNftText(LISTING.replace('table ip mangle', 'table inet mangle'), 'x.nft');
    expect(isIptablesNftTable(inet.tables[0]!)).toBe(false);
  });

  it('with the dump: walked from iptables-save (the masked restore keeps mark bit 0x4), the listing\'s copy set aside and named', () => {
    const [o] = walkHookWithNft(dump, nft, 'PREROUTING', packet, { ...ctx, connmark: 0x80 }, 0x4);
    expect(o!.stages.map((s) => s.kind === 'nft' ? `nft ${s.outcome.table.name}` : s.kind === 'iptables' ? `iptables ${s.outcome.table}` : `skipped ${s.what}`))
      .toEqual(['skipped nft ip mangle PREROUTING', 'iptables mangle', 'nft own']);
    expect(o!.mark).toBe(0x86);
  });

  it('without the dump: the listing\'s table is walked as nft prints it (the translated restore clears bit 0x4)', () => {
    const [o] = walkHookWithNft(none, nft, 'PREROUTING', packet, { ...ctx, connmark: 0x80 }, 0x4);
    expect(o!.stages.map((s) => s.kind)).toEqual(['nft', 'nft']);
    expect(o!.mark).toBe(0x82);
  });
});
