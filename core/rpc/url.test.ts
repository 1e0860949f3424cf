import { describe, expect, it } from 'vitest';
import { redactUrl, scrubSecrets, urlSecrets } from './url.js';

describe('redactUrl', () => {
  it.each([
    ['http://127.0.0.1:8545', 'http://127.0.0.1:8545'],
    ['http://127.0.0.1:8545/', 'http://127.0.0.1:8545'],
    ['https://besu.example/rpc', 'https://besu.example/rpc'],
    ['http://user:secret@127.0.0.1:1/?apikey=abc', 'http://127.0.0.1:1?apikey=***'],
    [
      'https://mainnet.infura.io/v3/0123456789abcdef0123456789abcdef',
      'https://mainnet.infura.io/v3/***',
    ],
    ['https://node.example/rpc?a=1&token=xyz#frag', 'https://node.example/rpc?a=***&token=***'],
    ['http://:only-password@host:8545', 'http://host:8545'],
    ['not a url user:pw@host', '<invalid URL>'],
  ])('%s → %s', (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });
});

describe('urlSecrets / scrubSecrets', () => {
  it('finds the user, the password (raw and decoded), query values and key-like path segments', () => {
    const url = 'https://alice:p%40ss@host/v3/0123456789abcdef0123456789abcdef?apikey=abc';
    expect(urlSecrets(url).sort()).toEqual(
      ['0123456789abcdef0123456789abcdef', 'abc', 'alice', 'p%40ss', 'p@ss'].sort(),
    );
  });

  it('scrubs every occurrence', () => {
    expect(scrubSecrets('abc said abc to p@ss', ['abc', 'p@ss'])).toBe('*** said *** to ***');
  });

  it('ignores values too short to be secrets, which would mangle other words', () => {
    expect(urlSecrets('http://h/?v=1&on=no')).toEqual([]);
  });
});
