/**
 * `aws ec2 describe-managed-prefix-lists` (ids and names) and
 * `aws ec2 get-managed-prefix-list-entries` (CIDRs; that output does not name
 * its list, so the file name must hold the `pl-` id).
 */
import { z } from 'zod';
import { AwsCidr } from './common.js';

export const DescribePrefixLists = z.looseObject({
  PrefixLists: z.array(z.looseObject({ PrefixListId: z.string().startsWith('pl-'), PrefixListName: z.string().optional(), AddressFamily: z.string().optional() })),
});
export const PrefixListEntries = z.looseObject({ Entries: z.array(z.looseObject({ Cidr: AwsCidr, Description: z.string().optional() })) });
