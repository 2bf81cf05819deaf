import { describe, expect, it } from 'vitest';
import { addressBlockReason, hostnameBlockReason } from './address-policy.ts';

describe('addressBlockReason', () => {
  describe('when the address is in a range that reaches the server or its network', () => {
    it.each([
      ['127.0.0.1', 'loopback'],
      ['127.255.255.254', 'loopback'],
      ['10.1.2.3', 'private'],
      ['172.16.0.1', 'private'],
      ['172.31.255.255', 'private'],
      ['192.168.0.1', 'private'],
      ['169.254.169.254', 'metadata'],
      ['100.100.100.200', 'metadata'],
      ['169.254.1.1', 'link_local'],
      ['0.0.0.0', 'unspecified'],
      ['0.1.2.3', 'unspecified'],
      ['100.64.0.1', 'shared_address_space'],
      ['100.127.255.255', 'shared_address_space'],
      ['224.0.0.1', 'multicast'],
      ['239.255.255.250', 'multicast'],
      ['255.255.255.255', 'broadcast'],
      ['240.0.0.1', 'reserved'],
      ['198.18.0.1', 'benchmarking'],
      ['192.0.2.1', 'documentation'],
      ['::1', 'loopback'],
      ['::', 'unspecified'],
      ['fc00::1', 'private'],
      ['fd12:3456::1', 'private'],
      ['fd00:ec2::254', 'metadata'],
      ['fe80::1', 'link_local'],
      ['fe80::1%eth0', 'link_local'],
      ['ff02::1', 'multicast'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:7f00:1', 'loopback'],
      ['::ffff:169.254.169.254', 'metadata'],
      ['::ffff:0:10.0.0.1', 'private'],
      ['64:ff9b::7f00:1', 'loopback'],
      ['64:ff9b::10.0.0.1', 'private'],
      ['2002:a9fe:a9fe::1', 'metadata'],
      ['2002:c0a8:0101::', 'private'],
      ['::7f00:1', 'reserved'],
      ['2001::1', 'reserved'],
      ['2001:db8::1', 'documentation'],
      ['fec0::1', 'private'],
      ['100::1', 'reserved'],
    ])('refuses %s (%s)', (address, reason) => {
      expect(addressBlockReason(address)).toBe(reason);
    });
  });

  describe('when the address is public', () => {
    it.each([
      '8.8.8.8',
      '93.184.216.34',
      '172.15.255.255',
      '172.32.0.1',
      '100.63.255.255',
      '100.128.0.1',
      '2606:4700:4700::1111',
      '::ffff:8.8.8.8',
      '64:ff9b::808:808',
      '2002:808:808::1',
    ])('allows %s', (address) => {
      expect(addressBlockReason(address)).toBeUndefined();
    });
  });

  describe('when the IPv6 address is outside global unicast and not otherwise listed', () => {
    it('refuses it by default', () => {
      expect(addressBlockReason('4000::1')).toBe('not_global_unicast');
    });
  });

  describe('when the text is not an IP address', () => {
    it('refuses it', () => {
      expect(addressBlockReason('example.com')).toBe('unparseable_address');
    });
  });
});

describe('hostnameBlockReason', () => {
  describe('when the name points inside a network by convention', () => {
    it.each([
      'localhost',
      'LOCALHOST',
      'localhost.',
      'app.localhost',
      'metadata.google.internal',
      'metadata',
      'ip-10-0-0-1.ec2.internal',
      'printer.local',
      'nas.home.arpa',
      'redis',
    ])('refuses %s', (hostname) => {
      expect(hostnameBlockReason(hostname)).toBe('internal_hostname');
    });
  });

  describe('when the name is an ordinary public one, or an IP literal', () => {
    it.each(['api.example.com', 'hooks.slack.com', '127.0.0.1', '[::1]'])('leaves %s to the address check', (hostname) => {
      expect(hostnameBlockReason(hostname)).toBeUndefined();
    });
  });
});
