/**
 * The flows Batfish's AWS end-to-end tests state for the recorded deployments
 * in ../shared/corpus/batfish-aws, with the disposition Batfish asserts
 * (batfish/batfish @ cba1873, projects/batfish/src/test/java/org/batfish/
 * representation/aws/<Test>.java, method named in `from`).
 *
 * Batfish's `getAnyFlow` builds an IP flow with no protocol (number 0) and no
 * ports; podpath traces tcp, udp or icmp, so such flows run here as tcp to
 * port 9 with the same addresses (`any: true`). The recorded security groups
 * decide the same for both: none of them allows protocol 0 or tcp/9 between
 * the instances tested (checked per flow by the test's expectation).
 * `podpath` is the verdict podpath gives under docs/verdicts.md's mapping of
 * the Batfish disposition; `note` says why a mapping is not one to one.
 */
export interface BatfishFlow {
  /** Folder under corpus/batfish-aws (the test class). */
  estate: string;
  /** The test method that states the flow. */
  from: string;
  src: string;
  dst: string;
  /** Batfish's getAnyFlow (IP protocol 0, no ports): traced as tcp/9. */
  any?: boolean;
  /** Where the packet enters, for a source outside the estate (`--from`). */
  entry?: string;
  disposition: 'ACCEPTED' | 'DENIED_IN' | 'DENIED_OUT' | 'NO_ROUTE' | 'NULL_ROUTED' | 'NEIGHBOR_UNREACHABLE' | 'EXITS_NETWORK';
  /** The podpath verdict that agrees with the disposition (docs/verdicts.md). */
  podpath: 'delivered' | 'dropped' | 'no-route' | 'unknown';
  /** A flow podpath cannot express: why. */
  inexpressible?: string;
  note?: string;
}

const T = 'AwsConfiguration';
export const BATFISH_FLOWS: BatfishFlow[] = [
  // AwsConfigurationNatGatewayTest
  { estate: `${T}NatGatewayTest`, from: 'testInstanceToInternet_bidirectional', src: 'instance:i-0a128d26e59be60f3', dst: '8.8.8.8:80', disposition: 'ACCEPTED', podpath: 'delivered', note: 'forward and reply both through nat-07ab4846da51f4612 and the IGW' },
  { estate: `${T}NatGatewayTest`, from: 'testUnsupportedIpProtocol', src: 'instance:i-0a128d26e59be60f3', dst: '8.8.8.8', disposition: 'DENIED_IN', podpath: 'dropped', inexpressible: 'IP protocol AN (107): podpath traces tcp, udp and icmp only' },
  { estate: `${T}NatGatewayTest`, from: 'testNonSessionPacket', src: '8.8.8.8', dst: '3.135.127.225:80', entry: 'internet', disposition: 'DENIED_IN', podpath: 'dropped' },
  { estate: `${T}NatGatewayTest`, from: 'testIntraSubnetPacket', src: 'instance:i-0b31b509174d7f5de', dst: '10.1.250.210:80', disposition: 'DENIED_IN', podpath: 'dropped' },
  // AwsConfigurationPublicPrivateSubnetTest
  { estate: `${T}PublicPrivateSubnetTest`, from: 'testFromPrivateToPublicSubnet', src: 'instance:i-099cf38911942421c', dst: '13.58.55.60', any: true, disposition: 'NO_ROUTE', podpath: 'unknown', note: 'the default route is vgw-070087240d6fa2989; what the VGW learns is in the VPN configuration, which the corpus does not keep' },
  { estate: `${T}PublicPrivateSubnetTest`, from: 'testFromPrivateToPublicSubnet', src: 'instance:i-099cf38911942421c', dst: '10.0.0.47', any: true, disposition: 'DENIED_IN', podpath: 'dropped' },
  { estate: `${T}PublicPrivateSubnetTest`, from: 'testFromPublicToPrivateSubnet', src: 'instance:i-094a9e5b545a4fde4', dst: '10.0.1.204', any: true, disposition: 'DENIED_IN', podpath: 'dropped' },
  { estate: `${T}PublicPrivateSubnetTest`, from: 'testFromInternet', src: '8.8.8.8', dst: '13.58.55.60', any: true, entry: 'internet', disposition: 'DENIED_IN', podpath: 'dropped' },
  { estate: `${T}PublicPrivateSubnetTest`, from: 'testFromInternet', src: '8.8.8.8', dst: '10.0.0.47', any: true, entry: 'internet', disposition: 'NULL_ROUTED', podpath: 'dropped', note: 'a private address is not routed across the internet' },
  { estate: `${T}PublicPrivateSubnetTest`, from: 'testToInternet', src: 'instance:i-094a9e5b545a4fde4', dst: '8.8.8.8', any: true, disposition: 'EXITS_NETWORK', podpath: 'delivered' },
  { estate: `${T}PublicPrivateSubnetTest`, from: 'testToInternet', src: 'instance:i-099cf38911942421c', dst: '8.8.8.8', any: true, disposition: 'NO_ROUTE', podpath: 'unknown', note: 'to the VGW, whose VPN configuration the corpus does not keep' },
  { estate: `${T}PublicPrivateSubnetTest`, from: 'testToSite', src: 'instance:i-094a9e5b545a4fde4', dst: '19.168.0.0', any: true, disposition: 'EXITS_NETWORK', podpath: 'delivered' },
  { estate: `${T}PublicPrivateSubnetTest`, from: 'testToSite', src: 'instance:i-099cf38911942421c', dst: '19.168.0.0', any: true, disposition: 'EXITS_NETWORK', podpath: 'unknown', note: 'Batfish: exits through either VPN tunnel, the far end is not in the snapshot; podpath ends at the VGW route' },
  { estate: `${T}PublicPrivateSubnetTest`, from: 'testFromVgw', src: '19.168.0.1', dst: '13.58.55.60', any: true, entry: 'vgw-070087240d6fa2989', disposition: 'NO_ROUTE', podpath: 'no-route' },
  { estate: `${T}PublicPrivateSubnetTest`, from: 'testFromVgw', src: '19.168.0.1', dst: '10.0.0.47', any: true, entry: 'vgw-070087240d6fa2989', disposition: 'DENIED_IN', podpath: 'dropped' },
  { estate: `${T}PublicPrivateSubnetTest`, from: 'testFromVgw', src: '19.168.0.1', dst: '10.0.1.204', any: true, entry: 'vgw-070087240d6fa2989', disposition: 'DENIED_IN', podpath: 'dropped' },
  // AwsConfigurationPublicSubnetTest
  { estate: `${T}PublicSubnetTest`, from: 'testFromInternetToValidPublicIp', src: '8.8.8.8', dst: '18.216.80.133:80', entry: 'internet', disposition: 'DENIED_IN', podpath: 'dropped' },
  { estate: `${T}PublicSubnetTest`, from: 'testFromInternetToInvalidPublicIp', src: '8.8.8.8', dst: '54.191.107.23', any: true, entry: 'internet', disposition: 'NULL_ROUTED', podpath: 'dropped' },
  { estate: `${T}PublicSubnetTest`, from: 'testFromInternetToPrivateIp', src: '8.8.8.8', dst: '10.0.0.91', any: true, entry: 'internet', disposition: 'NULL_ROUTED', podpath: 'dropped' },
  { estate: `${T}PublicSubnetTest`, from: 'testFromInternetToPrivateIp', src: '8.8.8.8', dst: '192.18.0.8', any: true, entry: 'internet', disposition: 'EXITS_NETWORK', podpath: 'delivered', inexpressible: 'an internet-to-internet flow: podpath traces flows that enter or leave the estate' },
  { estate: `${T}PublicSubnetTest`, from: 'testToInternet', src: 'instance:i-06669a407b2ef3ae5', dst: '8.8.8.8', any: true, disposition: 'EXITS_NETWORK', podpath: 'delivered' },
  { estate: `${T}PublicSubnetTest`, from: 'testToInternetInvalidPrivateIp', src: '10.0.0.92', dst: '8.8.8.8:80', disposition: 'DENIED_IN', podpath: 'dropped', inexpressible: 'a spoofed source injected at the subnet: podpath sends from an interface, whose source/dest check stops it first' },
  // AwsConfigurationSubnetTest
  { estate: `${T}SubnetTest`, from: 'testInstanceToInstance', src: 'instance:i-08ef86e76fceabd8d', dst: '10.10.1.44', any: true, disposition: 'DENIED_IN', podpath: 'dropped' },
  { estate: `${T}SubnetTest`, from: 'testInstanceToOutsideSubnet', src: 'instance:i-08ef86e76fceabd8d', dst: '10.10.0.1', any: true, disposition: 'NULL_ROUTED', podpath: 'dropped' },
  { estate: `${T}SubnetTest`, from: 'testOutsideSubnetToInstance', src: '10.10.0.9', dst: '10.10.1.44', any: true, entry: 'vpc-062867d29dbf9386f', disposition: 'DENIED_IN', podpath: 'dropped', inexpressible: 'a flow injected at the VPC router with no source: podpath needs a source and an entry gateway' },
  // AwsConfigurationVpcPeeringTest
  { estate: `${T}VpcPeeringTest`, from: 'testFromAtoB', src: 'instance:i-06ba034d88c84ef07', dst: '192.168.1.106', any: true, disposition: 'DENIED_IN', podpath: 'dropped' },
  { estate: `${T}VpcPeeringTest`, from: 'testFromBtoA', src: 'instance:i-0b14080af811fda3d', dst: '10.10.10.157', any: true, disposition: 'DENIED_IN', podpath: 'dropped' },
  { estate: `${T}VpcPeeringTest`, from: 'testFromAtoUnusedSubnet', src: 'instance:i-06ba034d88c84ef07', dst: '192.168.100.1', any: true, disposition: 'NO_ROUTE', podpath: 'no-route' },
  { estate: `${T}VpcPeeringTest`, from: 'testFromBtoUnusedSubnet', src: 'instance:i-0b14080af811fda3d', dst: '10.10.100.1', any: true, disposition: 'NULL_ROUTED', podpath: 'dropped' },
  { estate: `${T}VpcPeeringTest`, from: 'testFromBtoUnusedIp', src: 'instance:i-0b14080af811fda3d', dst: '10.10.10.11', any: true, disposition: 'NEIGHBOR_UNREACHABLE', podpath: 'dropped' },
  // AwsConfigurationVpcPeeringCrossAccountTest
  { estate: `${T}VpcPeeringCrossAccountTest`, from: 'testFromAtoB', src: 'instance:i-07ae69cc808e8804e', dst: '10.2.1.252:22', disposition: 'ACCEPTED', podpath: 'delivered' },
  { estate: `${T}VpcPeeringCrossAccountTest`, from: 'testFromBtoA', src: 'instance:i-066ce0b1efbb5602c', dst: '10.1.1.100:22', disposition: 'ACCEPTED', podpath: 'delivered' },
  // AwsConfigurationTransitGatewayTest
  { estate: `${T}TransitGatewayTest`, from: 'testFromAtoB', src: 'instance:i-06ba034d88c84ef07', dst: '192.168.1.106', any: true, disposition: 'DENIED_IN', podpath: 'dropped' },
  { estate: `${T}TransitGatewayTest`, from: 'testFromBtoA', src: 'instance:i-0b14080af811fda3d', dst: '10.10.10.157', any: true, disposition: 'DENIED_IN', podpath: 'dropped' },
  { estate: `${T}TransitGatewayTest`, from: 'testFromA2toB', src: 'instance:i-075e846ed41670385', dst: '192.168.1.106', any: true, disposition: 'NULL_ROUTED', podpath: 'dropped', note: 'A2 is in an Availability Zone without a subnet of the TGW attachment: AWS does not forward it (Batfish: null-routed at the subnet)' },
  { estate: `${T}TransitGatewayTest`, from: 'testFromBtoA2', src: 'instance:i-0b14080af811fda3d', dst: '10.10.20.154', any: true, disposition: 'DENIED_IN', podpath: 'dropped' },
  // AwsConfigurationTransitGatewayAsymmetricPathsTest
  { estate: `${T}TransitGatewayAsymmetricPathsTest`, from: 'testBatToFish', src: 'instance:i-04bbbcaefdd1937f9', dst: '10.2.1.100', any: true, disposition: 'DENIED_IN', podpath: 'dropped' },
  { estate: `${T}TransitGatewayAsymmetricPathsTest`, from: 'testFishToBat', src: 'instance:i-0973ce90749865a7f', dst: '10.1.1.100', any: true, disposition: 'DENIED_IN', podpath: 'dropped' },
  // AwsConfigurationTransitGatewayMultiAccountTest
  { estate: `${T}TransitGatewayMultiAccountTest`, from: 'testFromAtoB', src: 'instance:i-0bdf35d561be3d962', dst: '10.2.1.183:22', disposition: 'ACCEPTED', podpath: 'delivered' },
  { estate: `${T}TransitGatewayMultiAccountTest`, from: 'testFromBtoA', src: 'instance:i-03df168b3f73cc262', dst: '10.1.1.100:22', disposition: 'ACCEPTED', podpath: 'delivered' },
  // AwsConfigurationTransitGatewayMultiTableTest
  { estate: `${T}TransitGatewayMultiTableTest`, from: 'testFromAtoB', src: 'instance:i-06ba034d88c84ef07', dst: '192.168.1.106', any: true, disposition: 'DENIED_IN', podpath: 'dropped' },
  { estate: `${T}TransitGatewayMultiTableTest`, from: 'testFromBtoA', src: 'instance:i-0b14080af811fda3d', dst: '10.10.10.157', any: true, disposition: 'DENIED_IN', podpath: 'dropped' },
  // AwsConfigurationTransitGatewayPeeringTest
  { estate: `${T}TransitGatewayPeeringTest`, from: 'testBatToFish', src: 'instance:i-08f3abb6471637c66', dst: '192.168.1.100', any: true, disposition: 'NO_ROUTE', podpath: 'no-route' },
  { estate: `${T}TransitGatewayPeeringTest`, from: 'testBat2ToFish', src: 'instance:i-05e25e43074216229', dst: '192.168.1.100', any: true, disposition: 'DENIED_IN', podpath: 'dropped' },
  { estate: `${T}TransitGatewayPeeringTest`, from: 'testFishToBat', src: 'instance:i-0afb0a59f6bf36397', dst: '10.10.1.100', any: true, disposition: 'NO_ROUTE', podpath: 'no-route' },
  { estate: `${T}TransitGatewayPeeringTest`, from: 'testFishToBat2', src: 'instance:i-0afb0a59f6bf36397', dst: '10.20.1.100', any: true, disposition: 'NO_ROUTE', podpath: 'no-route' },
];
