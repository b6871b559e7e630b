/** Report kinds of the `iptables` commands and their text rendering (placeholder until implemented). */

export interface IptablesCheckReport {
  kind: 'iptables-check';
  [field: string]: unknown;
}

export function iptablesCheckText(r: IptablesCheckReport): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}

export interface IptablesTraceReport {
  kind: 'iptables-trace';
  [field: string]: unknown;
}

export function iptablesTraceText(r: IptablesTraceReport): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}
